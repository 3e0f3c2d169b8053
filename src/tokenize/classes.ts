// Character classes of the pre-tokenization patterns (docs/token-counting.md, "How the count is
// made"), as bit flags per code point. The patterns name Unicode general categories (\p{L} and its
// parts, \p{M}, \p{N}) and \s, which in OpenAI's tokenizer (Rust regex) is Unicode White_Space, not
// JavaScript's \s (that one adds U+FEFF and lacks U+0085).
//
// Classes are computed with the engine's own Unicode tables on first sight of a code point and
// remembered: a table for the Basic Multilingual Plane, a map above it.

/** Lu Lt Lm Lo M: o200k's "upper" letter set. */
export const X = 1;
/** Ll Lm Lo M: o200k's "lower" letter set. */
export const Y = 2;
/** \p{L} (marks are not letters). */
export const L = 4;
/** \p{N} */
export const N = 8;
/** White_Space */
export const S = 16;
/** \r or \n */
export const NL = 32;
/** [^\r\n\p{L}\p{N}]: the optional first character of a letter piece. */
export const PRE = 64;
/** [^\s\p{L}\p{N}]: punctuation, symbols, marks, controls. */
export const P = 128;
/** Set on every computed entry so that 0 means "not computed yet". */
const KNOWN = 256;

const RE_UPPER = /[\p{Lu}\p{Lt}]/u;
const RE_LOWER = /\p{Ll}/u;
const RE_BOTH = /[\p{Lm}\p{Lo}\p{M}]/u;
const RE_LETTER = /\p{L}/u;
const RE_NUMBER = /\p{N}/u;
const RE_SPACE = /\p{White_Space}/u;

function compute(cp: number): number {
  const ch = String.fromCodePoint(cp);
  let f = KNOWN;
  if (RE_UPPER.test(ch)) f |= X;
  else if (RE_LOWER.test(ch)) f |= Y;
  else if (RE_BOTH.test(ch)) f |= X | Y;
  const letter = RE_LETTER.test(ch);
  const number = RE_NUMBER.test(ch);
  const space = RE_SPACE.test(ch);
  if (letter) f |= L;
  if (number) f |= N;
  if (space) f |= S;
  if (cp === 0x0a || cp === 0x0d) f |= NL;
  if (!letter && !number && cp !== 0x0a && cp !== 0x0d) f |= PRE;
  if (!letter && !number && !space) f |= P;
  return f;
}

const bmp = new Uint16Array(0x10000);
for (let c = 0; c < 0x80; c++) bmp[c] = compute(c);
const astral = new Map<number, number>();
/** Distinct code points above the BMP remembered at most (a text of every emoji costs no more). */
const ASTRAL_MAX = 16_384;

/** The class flags of a code point. */
export function classOf(cp: number): number {
  if (cp < 0x10000) {
    const f = bmp[cp]!;
    if (f !== 0) return f;
    return (bmp[cp] = compute(cp));
  }
  let f = astral.get(cp);
  if (f === undefined) {
    f = compute(cp);
    if (astral.size < ASTRAL_MAX) astral.set(cp, f);
  }
  return f;
}
