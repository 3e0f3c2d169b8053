// Pre-tokenization: the split of a text into pieces before BPE, as OpenAI's tokenizer does it with
// one regular expression per vocabulary (docs/token-counting.md, "How the count is made"). These are
// hand-written scanners that give exactly the pieces those expressions give — the expressions'
// alternatives tried in order, with their greedy backtracking worked out — because V8 runs the
// expressions at about 50 ns a character, half of a whole count, and the scanners at a few.
//
// They read the text's UTF-8 bytes (BPE works on bytes, so pieces are looked up as bytes anyway),
// never string methods: a JavaScript string's methods get slow for the whole process once any
// module subclasses String (ioredis does), which took this counter from 1.7 to 6 ms in sluice.
// test/tokenize/pretokenize.test.ts checks the scanners against the expressions on mixed text.

import { classOf, L, N, NL, P, PRE, S, X, Y } from './classes.ts';

/** Returns the end of the piece that starts at byte `i` (< n) of the UTF-8 text `b`. */
export type PieceScanner = (b: Uint8Array, i: number, n: number) => number;

/** The code point whose UTF-8 sequence starts at j (the text is well-formed: it came from a string). */
function codePoint(b: Uint8Array, j: number): number {
  const c = b[j]!;
  if (c < 0x80) return c;
  if (c < 0xe0) return ((c & 0x1f) << 6) | (b[j + 1]! & 0x3f);
  if (c < 0xf0) return ((c & 0x0f) << 12) | ((b[j + 1]! & 0x3f) << 6) | (b[j + 2]! & 0x3f);
  return ((c & 0x07) << 18) | ((b[j + 1]! & 0x3f) << 12) | ((b[j + 2]! & 0x3f) << 6) | (b[j + 3]! & 0x3f);
}

/** Class flags of the code point at j (j < n). */
function flagsAt(b: Uint8Array, j: number): number {
  return classOf(codePoint(b, j));
}

/** Index after the code point at j. */
function next(b: Uint8Array, j: number): number {
  const c = b[j]!;
  return j + (c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4);
}

/** `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at j: its end, or j. Case folding makes ſ (U+017F, C5 BF) an s. */
function contraction(b: Uint8Array, j: number, n: number): number {
  if (j + 1 >= n || b[j] !== 0x27) return j;
  const a = b[j + 1]! | 0x20;
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return j + 2;
  if (j + 2 >= n) return j;
  if (b[j + 1] === 0xc5 && b[j + 2] === 0xbf) return j + 3;
  const c = b[j + 2]! | 0x20;
  if ((a === 0x6c && c === 0x6c) || ((a === 0x76 || a === 0x72) && c === 0x65)) return j + 3;
  return j;
}

/**
 * o200k's first alternative from s, without its prefix: `[X]*[Y]+` where X = Lu Lt Lm Lo M and
 * Y = Ll Lm Lo M. Greedy X* takes the whole X run; Y+ then continues with the Y run after it, or,
 * when the X run is not followed by a Y character, backtracking ends the match just after the last
 * character of the run that is also in Y. Returns -1 when there is none.
 */
function upperLower(b: Uint8Array, s: number, n: number): number {
  let k = s;
  let lastY = -1;
  while (k < n) {
    const f = flagsAt(b, k);
    if ((f & X) === 0) break;
    k = next(b, k);
    if ((f & Y) !== 0) lastY = k;
  }
  if (k < n && (flagsAt(b, k) & Y) !== 0) {
    do k = next(b, k);
    while (k < n && (flagsAt(b, k) & Y) !== 0);
    return k;
  }
  return lastY;
}

/** o200k's second alternative from s (X at s): `[X]+[Y]*`. */
function upperThenLower(b: Uint8Array, s: number, n: number): number {
  let k = s;
  while (k < n && (flagsAt(b, k) & X) !== 0) k = next(b, k);
  while (k < n && (flagsAt(b, k) & Y) !== 0) k = next(b, k);
  return k;
}

/** Up to three \p{N} code points from i (N at i). */
function digits(b: Uint8Array, i: number, n: number): number {
  let k = next(b, i);
  for (let m = 1; m < 3 && k < n && (flagsAt(b, k) & N) !== 0; m++) k = next(b, k);
  return k;
}

/** ` ?[^\s\p{L}\p{N}]+` then `[\r\n]*` (cl100k) or `[\r\n/]*` (o200k, slash true); -1 if none. */
function punctuation(b: Uint8Array, i: number, n: number, slash: boolean): number {
  let k = i;
  if (b[k] === 0x20 && k + 1 < n && (flagsAt(b, k + 1) & P) !== 0) k++;
  if ((flagsAt(b, k) & P) === 0) return -1;
  do k = next(b, k);
  while (k < n && (flagsAt(b, k) & P) !== 0);
  for (; k < n; k++) {
    const c = b[k];
    if (c !== 0x0a && c !== 0x0d && !(slash && c === 0x2f)) break;
  }
  return k;
}

/**
 * `\s*[\r\n]+|\s+(?!\S)|\s+` from i (White_Space at i): through the last line break of the
 * whitespace run; else the whole run at the end of the text; else all of the run but its last
 * character, which then starts the next piece (" word"); else the one character.
 */
function whitespace(b: Uint8Array, i: number, n: number): number {
  let k = i;
  let last = i;
  let chars = 0;
  let afterBreak = -1;
  while (k < n) {
    const f = flagsAt(b, k);
    if ((f & S) === 0) break;
    last = k;
    k = next(b, k);
    chars++;
    if ((f & NL) !== 0) afterBreak = k;
  }
  if (afterBreak >= 0) return afterBreak;
  if (k >= n || chars < 2) return k;
  return last;
}

/**
 * o200k_base (GPT-4o and later):
 * `[^\r\n\p{L}\p{N}]?[X]*[Y]+(?i:'s|…)?|[^\r\n\p{L}\p{N}]?[X]+[Y]*(?i:'s|…)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 */
export const o200kPieceEnd: PieceScanner = (b, i, n) => {
  const f = flagsAt(b, i);
  const j = next(b, i);
  const prefixed = (f & PRE) !== 0 && j < n && (flagsAt(b, j) & (X | Y)) !== 0;
  let e: number;
  if (prefixed && (e = upperLower(b, j, n)) >= 0) return contraction(b, e, n);
  if ((f & (X | Y)) !== 0 && (e = upperLower(b, i, n)) >= 0) return contraction(b, e, n);
  if (prefixed && (flagsAt(b, j) & X) !== 0) return contraction(b, upperThenLower(b, j, n), n);
  if ((f & X) !== 0) return contraction(b, upperThenLower(b, i, n), n);
  if ((f & N) !== 0) return digits(b, i, n);
  if ((e = punctuation(b, i, n, true)) >= 0) return e;
  if ((f & S) !== 0) return whitespace(b, i, n);
  return j;
};

/**
 * cl100k_base (GPT-4, GPT-3.5):
 * `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
 */
export const cl100kPieceEnd: PieceScanner = (b, i, n) => {
  let e = contraction(b, i, n);
  if (e !== i) return e;
  const f = flagsAt(b, i);
  const j = next(b, i);
  let k = -1;
  if ((f & PRE) !== 0 && j < n && (flagsAt(b, j) & L) !== 0) k = j;
  else if ((f & L) !== 0) k = i;
  if (k >= 0) {
    do k = next(b, k);
    while (k < n && (flagsAt(b, k) & L) !== 0);
    return k;
  }
  if ((f & N) !== 0) return digits(b, i, n);
  if ((e = punctuation(b, i, n, false)) >= 0) return e;
  if ((f & S) !== 0) return whitespace(b, i, n);
  return j;
};

// ASCII stretches (most of most prompts: code, English, JSON) take scanners with one table lookup
// per byte and no multi-byte or backtracking cases: in ASCII no character is in both of o200k's
// letter sets, so a letter piece is simply the capitals then the small letters after them. A byte
// above 0x7F reads as no class at all (undefined & flag is 0), which ends any run; the caller
// then rescans the piece with the general scanner (bpe.ts).
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

/** Where the letters of a `[^\r\n\p{L}\p{N}]?\p{L}+`-shaped piece at i start; -1 if it is not one. */
function asciiLetterStart(b: Uint8Array, i: number, n: number): number {
  const f = ASCII[b[i]!]!;
  if ((f & A_LETTER) !== 0) return i;
  if ((f & A_PRE) !== 0 && i + 1 < n && (ASCII[b[i + 1]!]! & A_LETTER) !== 0) return i + 1;
  return -1;
}

/** Digits, punctuation or whitespace from i in ASCII (see digits(), punctuation(), whitespace()). */
function asciiRest(b: Uint8Array, i: number, n: number, slash: boolean): number {
  if ((ASCII[b[i]!]! & A_DIGIT) !== 0) {
    let k = i + 1;
    if (k < n && (ASCII[b[k]!]! & A_DIGIT) !== 0 && ++k < n && (ASCII[b[k]!]! & A_DIGIT) !== 0) k++;
    return k;
  }
  let k = i;
  if (b[k] === 0x20 && k + 1 < n && (ASCII[b[k + 1]!]! & A_PUNCT) !== 0) k++;
  if ((ASCII[b[k]!]! & A_PUNCT) !== 0) {
    do k++;
    while (k < n && (ASCII[b[k]!]! & A_PUNCT) !== 0);
    for (; k < n; k++) {
      const c = b[k];
      if (c !== 0x0a && c !== 0x0d && !(slash && c === 0x2f)) break;
    }
    return k;
  }
  k = i;
  let afterBreak = -1;
  while (k < n) {
    const g = ASCII[b[k]!]!;
    if ((g & A_SPACE) === 0) break;
    k++;
    if ((g & A_BREAK) !== 0) afterBreak = k;
  }
  if (afterBreak >= 0) return afterBreak;
  if (k >= n || k - i < 2) return k;
  return k - 1;
}

/** o200kPieceEnd where the piece and the byte after it are ASCII. */
export const o200kAsciiPieceEnd: PieceScanner = (b, i, n) => {
  let k = asciiLetterStart(b, i, n);
  if (k < 0) return asciiRest(b, i, n, true);
  while (k < n && (ASCII[b[k]!]! & A_UPPER) !== 0) k++;
  while (k < n && (ASCII[b[k]!]! & A_LOWER) !== 0) k++;
  return contraction(b, k, n);
};

/** cl100kPieceEnd where the piece and the byte after it are ASCII. */
export const cl100kAsciiPieceEnd: PieceScanner = (b, i, n) => {
  const e = contraction(b, i, n);
  if (e !== i) return e;
  let k = asciiLetterStart(b, i, n);
  if (k < 0) return asciiRest(b, i, n, false);
  do k++;
  while (k < n && (ASCII[b[k]!]! & A_LETTER) !== 0);
  return k;
};
