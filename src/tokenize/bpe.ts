// Counting BPE tokens with a published vocabulary (docs/token-counting.md, "How the count is made").
// gpt-tokenizer supplies the vocabularies (OpenAI's rank files as arrays: index = rank, value = the
// token's text, or its bytes when they are not valid UTF-8); the count itself is done here because
// only the number of tokens is wanted, never the tokens:
// - the text is encoded to UTF-8 once, into a reused buffer; everything after works on its bytes;
// - pieces come from the hand-written pre-tokenizer (pretokenize.ts), with no match objects;
// - most pieces are one token: one probe of a hash table over the vocabulary's bytes, no strings;
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
/** The UTF-8 buffer kept between counts; a longer text gets one of its own. */
const SCRATCH_MAX_BYTES = 4 * 1024 * 1024;
const NONE = 0x7fffffff;

let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/** The text's UTF-8 bytes: a view of the scratch buffer (valid until the next call) and its length. */
function utf8(text: string): Buffer {
  const need = text.length * 3;
  if (need > scratch.length) {
    if (need > SCRATCH_MAX_BYTES) return Buffer.from(text, 'utf8');
    scratch = Buffer.allocUnsafeSlow(Math.max(need, scratch.length * 2));
  }
  return scratch.subarray(0, scratch.write(text, 0, 'utf8'));
}

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
    const b = utf8(text);
    const n = b.length;
    const table = this.#table;
    const general = this.#pieceEnd;
    const fast = this.#asciiPieceEnd;
    let total = 0;
    let i = 0;
    // The first byte above 0x7F at or after i (n when none): the ASCII scanner's piece stands when
    // every byte it looked at (up to one past the piece) lies before it.
    let nonAscii = -1;
    while (i < n) {
      if (nonAscii < i) {
        nonAscii = i;
        while (nonAscii < n && b[nonAscii]! < 0x80) nonAscii++;
      }
      let e: number;
      if (nonAscii === i || ((e = fast(b, i, n)) + 1 >= nonAscii && nonAscii < n)) e = general(b, i, n);
      total += table.rank(b, i, e) !== NONE ? 1 : this.#countPiece(b, i, e);
      i = e;
    }
    return total;
  }

  /** Tokens of b[from, to), a piece that is not a single token. */
  #countPiece(b: Buffer, from: number, to: number): number {
    const len = to - from;
    const memo = this.#memo;
    // latin1: one char per byte, a fresh string (no view of the request's text kept alive).
    const key = len <= MEMO_MAX_BYTES ? b.toString('latin1', from, to) : undefined;
    if (key !== undefined) {
      const known = memo.get(key);
      if (known !== undefined) return known;
    }
    let n = 0;
    for (let at = from; at < to; at += MAX_MERGE_BYTES) n += this.#merge(b, at, Math.min(to, at + MAX_MERGE_BYTES));
    if (key !== undefined) {
      if (memo.size >= MEMO_MAX) memo.clear();
      memo.set(key, n);
    }
    return n;
  }

  /** Byte-pair merges of b[from, to), as tiktoken's _byte_pair_merge: the number of parts left. */
  #merge(b: Uint8Array, from: number, to: number): number {
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
 * Rank by token bytes, looked up from a range of a byte array: open addressing over an Int32Array
 * (rank + 1, 0 for empty); every token's bytes in one array, token r at offsets[r]..offsets[r+1].
 * Faster than a Map<string, number>, which needs a string made and hashed for every lookup.
 */
class RankTable {
  readonly #bytes: Uint8Array;
  readonly #offsets: Int32Array;
  readonly #slots: Int32Array;
  readonly #mask: number;

  constructor(vocabulary: readonly (string | number[])[]) {
    const encoded = vocabulary.map((v) => (v === undefined ? undefined : typeof v === 'string' ? Buffer.from(v, 'utf8') : Uint8Array.from(v)));
    const offsets = new Int32Array(vocabulary.length + 1);
    for (let r = 0; r < encoded.length; r++) offsets[r + 1] = offsets[r]! + (encoded[r]?.length ?? 0);
    const bytes = new Uint8Array(offsets[vocabulary.length]!);
    for (let r = 0; r < encoded.length; r++) if (encoded[r] !== undefined) bytes.set(encoded[r]!, offsets[r]);
    let size = 1;
    while (size < vocabulary.length * 2.5) size <<= 1;
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let r = 0; r < encoded.length; r++) {
      if (encoded[r] === undefined) continue;
      let slot = hash(bytes, offsets[r]!, offsets[r + 1]!) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = r + 1;
    }
    this.#bytes = bytes;
    this.#offsets = offsets;
    this.#slots = slots;
    this.#mask = mask;
  }

  /** The rank of the token whose bytes are b[from, to), or NONE. */
  rank(b: Uint8Array, from: number, to: number): number {
    const len = to - from;
    const slots = this.#slots;
    const mask = this.#mask;
    const bytes = this.#bytes;
    const offsets = this.#offsets;
    for (let slot = hash(b, from, to) & mask; ; slot = (slot + 1) & mask) {
      const r = slots[slot]!;
      if (r === 0) return NONE;
      const start = offsets[r - 1]!;
      if (offsets[r]! - start !== len) continue;
      let k = 0;
      while (k < len && bytes[start + k] === b[from + k]) k++;
      if (k === len) return r - 1;
    }
  }
}

/** FNV-1a over b[from, to). */
function hash(b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
