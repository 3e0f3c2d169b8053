// Pre-tokenization: the split of a text into pieces before BPE, as OpenAI's tokenizer does it with
// one regular expression per vocabulary (docs/token-counting.md, "How the count is made"). These are
// hand-written scanners that give exactly the pieces those expressions give — the expressions'
// alternatives tried in order, with their greedy backtracking worked out — because V8 runs the
// expressions at about 50 ns a character, half of a whole count, and the scanners at a few.
// test/tokenize/pretokenize.test.ts checks them against the expressions on mixed-script text.

import { classOf, L, N, NL, P, PRE, S, X, Y } from './classes.ts';

/** Returns the end of the piece that starts at `i` (< n). */
export type PieceScanner = (t: string, i: number, n: number) => number;

/** Class flags of the code point at j (j < n). */
function flagsAt(t: string, j: number, n: number): number {
  const c = t.charCodeAt(j);
  if (c < 0xd800 || c >= 0xe000) return classOf(c);
  if (c < 0xdc00 && j + 1 < n) {
    const d = t.charCodeAt(j + 1);
    if (d >= 0xdc00 && d < 0xe000) return classOf(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
  }
  return classOf(c);
}

/** Index after the code point at j. */
function next(t: string, j: number, n: number): number {
  const c = t.charCodeAt(j);
  if (c >= 0xd800 && c < 0xdc00 && j + 1 < n) {
    const d = t.charCodeAt(j + 1);
    if (d >= 0xdc00 && d < 0xe000) return j + 2;
  }
  return j + 1;
}

/** `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at j: its end, or j. Case folding makes ſ (U+017F) an s. */
function contraction(t: string, j: number, n: number): number {
  if (j + 1 >= n || t.charCodeAt(j) !== 0x27) return j;
  const a = t.charCodeAt(j + 1) | 0x20;
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64 || t.charCodeAt(j + 1) === 0x17f) return j + 2;
  if (j + 2 >= n) return j;
  const b = t.charCodeAt(j + 2) | 0x20;
  if ((a === 0x6c && b === 0x6c) || ((a === 0x76 || a === 0x72) && b === 0x65)) return j + 3;
  return j;
}

/**
 * o200k's first alternative from s, without its prefix: `[X]*[Y]+` where X = Lu Lt Lm Lo M and
 * Y = Ll Lm Lo M. Greedy X* takes the whole X run; Y+ then continues with the Y run after it, or,
 * when the X run is not followed by a Y character, backtracking ends the match just after the last
 * character of the run that is also in Y. Returns -1 when there is none.
 */
function upperLower(t: string, s: number, n: number): number {
  let k = s;
  let lastY = -1;
  while (k < n) {
    const f = flagsAt(t, k, n);
    if ((f & X) === 0) break;
    k = next(t, k, n);
    if ((f & Y) !== 0) lastY = k;
  }
  if (k < n && (flagsAt(t, k, n) & Y) !== 0) {
    do k = next(t, k, n);
    while (k < n && (flagsAt(t, k, n) & Y) !== 0);
    return k;
  }
  return lastY;
}

/** o200k's second alternative from s (X at s): `[X]+[Y]*`. */
function upperThenLower(t: string, s: number, n: number): number {
  let k = s;
  while (k < n && (flagsAt(t, k, n) & X) !== 0) k = next(t, k, n);
  while (k < n && (flagsAt(t, k, n) & Y) !== 0) k = next(t, k, n);
  return k;
}

/** Up to three \p{N} code points from i (N at i). */
function digits(t: string, i: number, n: number): number {
  let k = next(t, i, n);
  for (let m = 1; m < 3 && k < n && (flagsAt(t, k, n) & N) !== 0; m++) k = next(t, k, n);
  return k;
}

/** ` ?[^\s\p{L}\p{N}]+` then `[\r\n]*` (cl100k) or `[\r\n/]*` (o200k, slash true); -1 if none. */
function punctuation(t: string, i: number, n: number, slash: boolean): number {
  let k = i;
  if (t.charCodeAt(k) === 0x20 && k + 1 < n && (flagsAt(t, k + 1, n) & P) !== 0) k++;
  if ((flagsAt(t, k, n) & P) === 0) return -1;
  do k = next(t, k, n);
  while (k < n && (flagsAt(t, k, n) & P) !== 0);
  for (; k < n; k++) {
    const c = t.charCodeAt(k);
    if (c !== 0x0a && c !== 0x0d && !(slash && c === 0x2f)) break;
  }
  return k;
}

/**
 * `\s*[\r\n]+|\s+(?!\S)|\s+` from i (White_Space at i; all of it is in the BMP): through the last
 * line break of the whitespace run; else the whole run at the end of the text; else all of the run
 * but its last character, which then starts the next piece (" word"); else the one character.
 */
function whitespace(t: string, i: number, n: number): number {
  let k = i;
  let afterBreak = -1;
  while (k < n) {
    const f = flagsAt(t, k, n);
    if ((f & S) === 0) break;
    k++;
    if ((f & NL) !== 0) afterBreak = k;
  }
  if (afterBreak >= 0) return afterBreak;
  if (k >= n || k - i < 2) return k;
  return k - 1;
}

/**
 * o200k_base (GPT-4o and later):
 * `[^\r\n\p{L}\p{N}]?[X]*[Y]+(?i:'s|…)?|[^\r\n\p{L}\p{N}]?[X]+[Y]*(?i:'s|…)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 */
export const o200kPieceEnd: PieceScanner = (t, i, n) => {
  const f = flagsAt(t, i, n);
  const j = next(t, i, n);
  const prefixed = (f & PRE) !== 0 && j < n && (flagsAt(t, j, n) & (X | Y)) !== 0;
  let e: number;
  if (prefixed && (e = upperLower(t, j, n)) >= 0) return contraction(t, e, n);
  if ((f & (X | Y)) !== 0 && (e = upperLower(t, i, n)) >= 0) return contraction(t, e, n);
  if (prefixed && (flagsAt(t, j, n) & X) !== 0) return contraction(t, upperThenLower(t, j, n), n);
  if ((f & X) !== 0) return contraction(t, upperThenLower(t, i, n), n);
  if ((f & N) !== 0) return digits(t, i, n);
  if ((e = punctuation(t, i, n, true)) >= 0) return e;
  if ((f & S) !== 0) return whitespace(t, i, n);
  return j;
};

/**
 * cl100k_base (GPT-4, GPT-3.5):
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 */
export const cl100kPieceEnd: PieceScanner = (t, i, n) => {
  let e = contraction(t, i, n);
  if (e !== i) return e;
  const f = flagsAt(t, i, n);
  const j = next(t, i, n);
  let k = -1;
  if ((f & PRE) !== 0 && j < n && (flagsAt(t, j, n) & L) !== 0) k = j;
  else if ((f & L) !== 0) k = i;
  if (k >= 0) {
    do k = next(t, k, n);
    while (k < n && (flagsAt(t, k, n) & L) !== 0);
    return k;
  }
  if ((f & N) !== 0) return digits(t, i, n);
  if ((e = punctuation(t, i, n, false)) >= 0) return e;
  if ((f & S) !== 0) return whitespace(t, i, n);
  return j;
};

// ASCII-only texts (most prompts: code, English, JSON) take scanners with one table lookup per
// character and no surrogate or backtracking cases: in ASCII no character is in both of o200k's
// letter sets, so a letter piece is simply the capitals then the small letters after them.
const A_UPPER = 1;
const A_LOWER = 2;
const A_DIGIT = 4;
const A_SPACE = 8;
const A_BREAK = 16;
/** [^\r\n\p{L}\p{N}] in ASCII */
const A_PRE = 32;
/** [^\s\p{L}\p{N}] in ASCII */
const A_PUNCT = 64;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (c >= 0x41 && c <= 0x5a) ASCII[c] = A_UPPER;
  else if (c >= 0x61 && c <= 0x7a) ASCII[c] = A_LOWER;
  else if (c >= 0x30 && c <= 0x39) ASCII[c] = A_DIGIT;
  else if (c === 0x0a || c === 0x0d) ASCII[c] = A_SPACE | A_BREAK;
  else if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) ASCII[c] = A_SPACE | A_PRE;
  else ASCII[c] = A_PUNCT | A_PRE;
}
const A_LETTER = A_UPPER | A_LOWER;

/** [^\r\n\p{L}\p{N}]?\p{L}+ shapes from i when the piece starts with a letter (after an optional prefix); -1 if not. */
function asciiLetterStart(t: string, i: number, n: number): number {
  const f = ASCII[t.charCodeAt(i)]!;
  if ((f & A_LETTER) !== 0) return i;
  if ((f & A_PRE) !== 0 && i + 1 < n && (ASCII[t.charCodeAt(i + 1)]! & A_LETTER) !== 0) return i + 1;
  return -1;
}

function asciiRest(t: string, i: number, n: number, f: number, slash: boolean): number {
  if ((f & A_DIGIT) !== 0) {
    let k = i + 1;
    if (k < n && (ASCII[t.charCodeAt(k)]! & A_DIGIT) !== 0 && ++k < n && (ASCII[t.charCodeAt(k)]! & A_DIGIT) !== 0) k++;
    return k;
  }
  let k = i;
  if (t.charCodeAt(k) === 0x20 && k + 1 < n && (ASCII[t.charCodeAt(k + 1)]! & A_PUNCT) !== 0) k++;
  if ((ASCII[t.charCodeAt(k)]! & A_PUNCT) !== 0) {
    do k++;
    while (k < n && (ASCII[t.charCodeAt(k)]! & A_PUNCT) !== 0);
    for (; k < n; k++) {
      const c = t.charCodeAt(k);
      if (c !== 0x0a && c !== 0x0d && !(slash && c === 0x2f)) break;
    }
    return k;
  }
  // Whitespace (see whitespace()).
  k = i;
  let afterBreak = -1;
  while (k < n) {
    const g = ASCII[t.charCodeAt(k)]!;
    if ((g & A_SPACE) === 0) break;
    k++;
    if ((g & A_BREAK) !== 0) afterBreak = k;
  }
  if (afterBreak >= 0) return afterBreak;
  if (k >= n || k - i < 2) return k;
  return k - 1;
}

/** o200kPieceEnd for a text with no character above U+007F. */
export const o200kAsciiPieceEnd: PieceScanner = (t, i, n) => {
  let k = asciiLetterStart(t, i, n);
  if (k >= 0) {
    while (k < n && (ASCII[t.charCodeAt(k)]! & A_UPPER) !== 0) k++;
    while (k < n && (ASCII[t.charCodeAt(k)]! & A_LOWER) !== 0) k++;
    return contraction(t, k, n);
  }
  return asciiRest(t, i, n, ASCII[t.charCodeAt(i)]!, true);
};

/** cl100kPieceEnd for a text with no character above U+007F. */
export const cl100kAsciiPieceEnd: PieceScanner = (t, i, n) => {
  const e = contraction(t, i, n);
  if (e !== i) return e;
  let k = asciiLetterStart(t, i, n);
  if (k >= 0) {
    do k++;
    while (k < n && (ASCII[t.charCodeAt(k)]! & A_LETTER) !== 0);
    return k;
  }
  return asciiRest(t, i, n, ASCII[t.charCodeAt(i)]!, false);
};
