// Counting BPE tokens with a published vocabulary (docs/token-counting.md, "How the count is made").
// gpt-tokenizer supplies the vocabularies (OpenAI's rank files as arrays: index = rank, value = the
// token's text, or its bytes when they are not valid UTF-8); the count itself is done here because
// only the number of tokens is wanted, never the tokens:
// - pieces come from the hand-written pre-tokenizer (pretokenize.ts), with no match objects;
// - most pieces are one token: one lookup in a map keyed by the piece's bytes (as a latin1 string,
//   so an ASCII piece is its own key);
// - other pieces are merged the way tiktoken merges (lowest rank first, leftmost on ties) and their
//   counts remembered;
// - a piece longer than MAX_MERGE_BYTES (one "word" of 100 KB: a minified line, base64 without
//   digits) is merged in windows of that size, so the cost stays linear; each window edge may cost
//   one token more than the exact count (< 1 %), where a whole-piece merge would take seconds.

import { Buffer } from 'node:buffer';
import type { PieceScanner } from './pretokenize.ts';

/** Longest piece merged as a whole; longer ones are merged in windows of this many bytes. */
export const MAX_MERGE_BYTES = 512;
/** Remembered counts of pieces that are not one token, at most (cleared when full). */
const MEMO_MAX = 65_536;
/** Pieces longer than this are not remembered: they rarely repeat. */
const MEMO_MAX_BYTES = 128;
const NONE = 0x7fffffff;
const NON_ASCII = /[^\x00-\x7f]/;

export class BpeCounter {
  readonly #table: RankTable;
  readonly #pieceEnd: PieceScanner;
  readonly #asciiPieceEnd: PieceScanner;
  readonly #memo = new Map<string, number>();
  readonly #starts = new Int32Array(MAX_MERGE_BYTES + 1);
  readonly #pairRanks = new Int32Array(MAX_MERGE_BYTES + 1);

  /** `vocabulary[rank]` is the token's text, or its bytes when they are not valid UTF-8. */
  constructor(vocabulary: readonly (string | number[])[], pieceEnd: PieceScanner, asciiPieceEnd: PieceScanner) {
    this.#table = new RankTable(vocabulary);
    this.#pieceEnd = pieceEnd;
    this.#asciiPieceEnd = asciiPieceEnd;
  }

  /** The number of tokens of `text` (special-token text such as `<|endoftext|>` counts as text). */
  countTokens(text: string): number {
    const n = text.length;
    const table = this.#table;
    const general = this.#pieceEnd;
    const fast = this.#asciiPieceEnd;
    let total = 0;
    let i = 0;
    // The first non-ASCII character at or after i (n when none): the ASCII scanner's piece stands
    // when everything it looked at (up to one character past the piece) lies before it.
    let nonAscii = -1;
    while (i < n) {
      if (nonAscii < i) {
        nonAscii = i;
        while (nonAscii < n && text.charCodeAt(nonAscii) < 0x80) nonAscii++;
      }
      let e: number;
      if (nonAscii > i && ((e = fast(text, i, n)) + 1 < nonAscii || nonAscii === n)) {
        total += table.rank(text, i, e) !== NONE ? 1 : this.#countPiece(text.slice(i, e));
      } else {
        e = general(text, i, n);
        const bytes = nonAscii < e ? bytesOf(text.slice(i, e)) : text.slice(i, e);
        total += table.rank(bytes, 0, bytes.length) !== NONE ? 1 : this.#countPiece(bytes);
      }
      i = e;
    }
    return total;
  }

  /** Tokens of a piece (its bytes as latin1) that is not a single token. */
  #countPiece(bytes: string): number {
    const memo = this.#memo;
    const known = memo.get(bytes);
    if (known !== undefined) return known;
    let n = 0;
    for (let at = 0; at < bytes.length; at += MAX_MERGE_BYTES) n += this.#merge(bytes, at, Math.min(bytes.length, at + MAX_MERGE_BYTES));
    if (bytes.length <= MEMO_MAX_BYTES) {
      if (memo.size >= MEMO_MAX) memo.clear();
      // A copy: a slice of the request's text would keep the whole text alive.
      memo.set(Buffer.from(bytes, 'latin1').toString('latin1'), n);
    }
    return n;
  }

  /** Byte-pair merges of b[from, to), as tiktoken's _byte_pair_merge: the number of parts left. */
  #merge(b: string, from: number, to: number): number {
    const len = to - from;
    if (len <= 1) return len;
    const table = this.#table;
    const starts = this.#starts;
    const pair = this.#pairRanks;
    // Part i spans starts[i]..starts[i+1]; pair[i] is the rank of parts i and i+1 joined.
    let parts = len;
    for (let i = 0; i <= len; i++) starts[i] = from + i;
    for (let i = 0; i < len - 1; i++) pair[i] = table.rank(b, from + i, from + i + 2);
    pair[len - 1] = NONE;
    for (;;) {
      let min = NONE;
      let at = -1;
      for (let i = 0; i < parts - 1; i++) {
        if (pair[i]! < min) {
          min = pair[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      // Join parts at and at+1; the pairs either side now span one more part.
      starts.copyWithin(at + 1, at + 2, parts + 1);
      pair.copyWithin(at + 1, at + 2, parts);
      parts--;
      pair[at] = at + 1 < parts ? table.rank(b, starts[at]!, starts[at + 2]!) : NONE;
      if (at > 0) pair[at - 1] = table.rank(b, starts[at - 1]!, starts[at + 1]!);
    }
    return parts;
  }
}

/**
 * Rank by token bytes, looked up from a range of a string without slicing it: open addressing over
 * an Int32Array (rank + 1, 0 for empty), the token strings kept for the comparison. Half the time of
 * a Map<string, number> lookup, which first has to make the key string and hash it.
 */
class RankTable {
  readonly #tokens: string[];
  readonly #slots: Int32Array;
  readonly #mask: number;

  constructor(vocabulary: readonly (string | number[])[]) {
    let size = 1;
    while (size < vocabulary.length * 2.5) size <<= 1;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    this.#tokens = new Array<string>(vocabulary.length);
    for (let rank = 0; rank < vocabulary.length; rank++) {
      const v = vocabulary[rank];
      if (v === undefined) continue;
      const key = typeof v === 'string' ? bytesOf(v) : String.fromCharCode(...v);
      this.#tokens[rank] = key;
      let slot = hash(key, 0, key.length) & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = rank + 1;
    }
  }

  /** The rank of the token whose bytes are s[from, to) (one char per byte), or NONE. */
  rank(s: string, from: number, to: number): number {
    const len = to - from;
    const slots = this.#slots;
    const mask = this.#mask;
    for (let slot = hash(s, from, to) & mask; ; slot = (slot + 1) & mask) {
      const r = slots[slot]!;
      if (r === 0) return NONE;
      const token = this.#tokens[r - 1]!;
      if (token.length !== len) continue;
      let k = 0;
      while (k < len && token.charCodeAt(k) === s.charCodeAt(from + k)) k++;
      if (k === len) return r - 1;
    }
  }
}

/** FNV-1a over the char codes of s[from, to). */
function hash(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

/** A string's UTF-8 bytes as a latin1 string (ASCII unchanged). */
function bytesOf(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}
