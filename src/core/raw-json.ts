// A same-dialect upstream body from the client's own bytes (docs/pipeline.md, "Large request
// bodies"). An OpenAI, Anthropic, Responses, Gemini or Cohere client talking to an upstream of its own dialect gets
// its body forwarded with a few top-level members changed (`model`, `stream`, quirks): the codec
// builds `{ ...raw, model, stream, … }` and, before this, serialised all of it again. An agent's
// request is 100–500 KB (a system prompt, tool schemas, the whole conversation), and re-serialising
// it was most of sluice's CPU for such a request: JSON.stringify of 185 KB, and a string that size
// in V8's large-object space, then a Buffer of it again for the socket.
//
// Here the client's bytes are kept beside the parsed body (rememberRawJson, when the body is read),
// and `jsonOver(body, raw)` writes the upstream body as the client's bytes of every top-level member
// the codec left as it was (the same value, by identity), the codec's new value for each member it
// changed, none for a member it removed, and the members it added at the end. Nested values are
// never re-serialised; the bytes are the client's (its number spellings, its escapes, big integers
// JSON.parse would round), which the upstream parses to the same values.
//
// What it relies on: a codec never mutates a nested value of `raw` in place (it builds new arrays
// and objects for what it changes, as the same-dialect paths do), and a top-level member replaced in
// `raw` itself after parsing is caught (the snapshot below is compared, not `raw`'s current value).
// Small bodies (under RAW_JSON_MIN_BYTES) are serialised as before: there the scan gains nothing.
// The bytes serve the first upstream request only (jsonOver lets go of them): a later attempt of the
// same request, a retry or a failover, is serialised.

/** Bodies smaller than this are serialised with JSON.stringify; larger ones are spliced. */
export const RAW_JSON_MIN_BYTES = 8 * 1024;

interface RawSource {
  bytes: Buffer;
  /** The parsed body's own top-level values when it was parsed, by key. */
  top: Map<string, unknown>;
}

const sources = new WeakMap<object, RawSource>();

/** Keeps `bytes` as the source of `parsed` (a JSON object parsed from them), when it is large enough to gain. */
export function rememberRawJson(parsed: unknown, bytes: Buffer): void {
  if (bytes.length < RAW_JSON_MIN_BYTES || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
  const top = new Map<string, unknown>();
  const record = parsed as Record<string, unknown>;
  for (const key of Object.keys(record)) top.set(key, record[key]);
  sources.set(parsed, { bytes, top });
}

/**
 * `body` as JSON: spliced from the bytes `raw` was parsed from when they were kept and can be read,
 * else JSON.stringify(body). `body` is what a codec built from `raw` (`{ ...raw, … }`).
 */
export function jsonOver(body: object, raw: Record<string, unknown>): string | Buffer {
  const source = sources.get(raw);
  if (source === undefined) return JSON.stringify(body);
  // Used once: an agent's stream runs for minutes, and its body's bytes are not kept all that time
  // beside the parsed body. A retry or failover serialises, as before.
  sources.delete(raw);
  return splice(body as Record<string, unknown>, source) ?? JSON.stringify(body);
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

/** One top-level member of the client's object: `"key": value` is bytes[start, end). */
interface Member {
  key: string;
  start: number;
  end: number;
}

function splice(body: Record<string, unknown>, source: RawSource): Buffer | undefined {
  const members = topLevelMembers(source.bytes);
  if (members === undefined) return undefined;
  const { bytes, top } = source;
  // The last occurrence of a key is the one JSON.parse kept (and the upstream would keep).
  const last = new Map<string, number>();
  for (let i = 0; i < members.length; i++) last.set(members[i]!.key, i);
  const pieces: Buffer[] = [];
  let total = 0;
  let first = true;
  const add = (piece: Buffer): void => {
    if (!first) {
      pieces.push(COMMA_BYTES);
      total++;
    }
    first = false;
    pieces.push(piece);
    total += piece.length;
  };
  pieces.push(OPEN_BYTES);
  total++;
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    if (last.get(m.key) !== i || !Object.hasOwn(body, m.key)) continue;
    const value = body[m.key];
    if (top.has(m.key) && value === top.get(m.key)) {
      add(bytes.subarray(m.start, m.end));
    } else {
      const json = memberJson(m.key, value);
      if (json !== undefined) add(json);
    }
  }
  for (const key of Object.keys(body)) {
    if (last.has(key)) continue;
    const json = memberJson(key, body[key]);
    if (json !== undefined) add(json);
  }
  pieces.push(CLOSE_BYTES);
  total++;
  return Buffer.concat(pieces, total);
}

const OPEN_BYTES = Buffer.from('{');
const CLOSE_BYTES = Buffer.from('}');
const COMMA_BYTES = Buffer.from(',');

/** `"key":value` as bytes, or undefined when JSON.stringify would leave the member out. */
function memberJson(key: string, value: unknown): Buffer | undefined {
  const json = JSON.stringify(value);
  return json === undefined ? undefined : Buffer.from(`${JSON.stringify(key)}:${json}`, 'utf8');
}

/**
 * The top-level members of a JSON object, or undefined when `bytes` is not one this scan reads (a
 * key with escapes, anything unexpected): the caller then serialises instead. `bytes` parsed with
 * JSON.parse already, so the scan only finds boundaries; strings are skipped with indexOf.
 */
export function topLevelMembers(bytes: Buffer): Member[] | undefined {
  const { start, end } = trimmed(bytes);
  if (bytes[start] !== OPEN_BRACE) return undefined;
  const items = itemsOf(bytes, start, end);
  if (items === undefined) return undefined;
  const members: Member[] = [];
  for (const item of items) {
    // Keys with escapes would need decoding to compare: leave those bodies to JSON.stringify.
    for (let k = item.start + 1; k < item.keyEnd - 1; k++) if (bytes[k] === BACKSLASH) return undefined;
    members.push({ key: bytes.toString('utf8', item.start + 1, item.keyEnd - 1), start: item.start, end: item.end });
  }
  return members;
}

/** One member of an object (`"key": value`) or element of an array, by its byte offsets. */
interface Item {
  /** Where the member's key (or the element) starts. */
  start: number;
  /** Just past the key's closing quote; -1 for an array element. */
  keyEnd: number;
  valueStart: number;
  /** Just past the value. */
  end: number;
}

/**
 * The members of the object, or the elements of the array, whose text is exactly bytes[start, end)
 * (bytes[start] is `{` or `[`); undefined when the bytes are not laid out as JSON punctuation and
 * whitespace around them (an unclosed container, a missing or trailing comma, a key without colon).
 * The values themselves are only delimited here (strings skipped with indexOf): whoever reads them
 * validates them.
 */
function itemsOf(bytes: Buffer, start: number, end: number): Item[] | undefined {
  const isObject = bytes[start] === OPEN_BRACE;
  if (bytes[end - 1] !== (isObject ? CLOSE_BRACE : CLOSE_BRACKET)) return undefined;
  const items: Item[] = [];
  let i = skipWhitespace(bytes, start + 1);
  if (i === end - 1) return items;
  for (;;) {
    const itemStart = i;
    let keyEnd = -1;
    if (isObject) {
      if (bytes[i] !== QUOTE) return undefined;
      keyEnd = stringEnd(bytes, i);
      if (keyEnd < 0 || keyEnd >= end) return undefined;
      i = skipWhitespace(bytes, keyEnd);
      if (bytes[i] !== COLON) return undefined;
      i = skipWhitespace(bytes, i + 1);
    }
    const valueStop = valueEnd(bytes, i);
    if (valueStop < 0 || valueStop > end - 1 || valueStop === i) return undefined;
    items.push({ start: itemStart, keyEnd, valueStart: i, end: valueStop });
    i = skipWhitespace(bytes, valueStop);
    if (bytes[i] === COMMA) {
      i = skipWhitespace(bytes, i + 1);
      // A trailing comma: not JSON.
      if (i >= end - 1) return undefined;
      continue;
    }
    return i === end - 1 ? items : undefined;
  }
}

/** The offsets of `bytes` without leading and trailing JSON whitespace. */
function trimmed(bytes: Buffer): { start: number; end: number } {
  const start = skipWhitespace(bytes, 0);
  let end = bytes.length;
  while (end > start && isWhitespace(bytes[end - 1]!)) end--;
  return { start, end };
}

function skipWhitespace(bytes: Buffer, i: number): number {
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
    i++;
  }
  return i;
}

/** Index just past the string literal opening at bytes[i] (a quote), or -1. */
function stringEnd(bytes: Buffer, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = bytes.indexOf(QUOTE, from);
    if (q < 0) return -1;
    let backslashes = 0;
    for (let b = q - 1; bytes[b] === BACKSLASH; b--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just past the JSON value starting at bytes[i], or -1. */
function valueEnd(bytes: Buffer, i: number): number {
  const n = bytes.length;
  const b = bytes[i];
  if (b === QUOTE) return stringEnd(bytes, i);
  if (b === OPEN_BRACE || b === OPEN_BRACKET) {
    let depth = 0;
    while (i < n) {
      const c = bytes[i]!;
      if (c === QUOTE) {
        i = stringEnd(bytes, i);
        if (i < 0) return -1;
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  while (i < n) {
    const c = bytes[i]!;
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return i;
    i++;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Parsing a large body without one large string

/**
 * Bodies up to this size are parsed with one JSON.parse of their text. Above it, the text would be a
 * string in V8's large-object space (one-byte strings over 128 KB): each such string is a fresh
 * memory mapping, written page by page and unmapped when it dies, which cost more than parsing it
 * (bench/large-body.ts: a 185 KB body's `toString` was a third of sluice's CPU for the request).
 */
export const PIECEWISE_MIN_BYTES = 96 * 1024;
/** Consecutive members or elements are parsed together up to about this many bytes of text. */
const PIECE_BYTES = 32 * 1024;
/** Deeper than this, a large value is parsed whole (no recursion without bound). */
const MAX_PIECE_DEPTH = 8;

/** Thrown inside parsePiecewise when the text is not what the scan expects: the caller parses it whole. */
const WHOLE = new Error('parse whole');

/**
 * JSON.parse(bytes as UTF-8), with the same result — values, key order, last duplicate wins — and the
 * same errors; a large body is parsed in pieces of at most ~PIECE_BYTES of text each. The scan
 * only finds where members and elements begin and end (every byte outside a piece is checked to be
 * JSON punctuation or whitespace); JSON.parse reads every piece, so it validates them. Anything
 * unexpected, or a key named `__proto__`, falls back to one JSON.parse of the whole text, which then
 * throws JSON.parse's own error for bad input.
 */
export function parseJsonBytes(bytes: Buffer): unknown {
  if (bytes.length >= PIECEWISE_MIN_BYTES) {
    try {
      return parseJsonPieces(bytes);
    } catch (err) {
      if (err !== WHOLE && !(err instanceof SyntaxError)) throw err;
    }
  }
  return JSON.parse(bytes.toString('utf8'));
}

/** The piecewise parse alone: throws where parseJsonBytes would parse the whole text instead. */
export function parseJsonPieces(bytes: Buffer): unknown {
  const { start, end } = trimmed(bytes);
  return parseRange(bytes, start, end, 0);
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** The value whose text is exactly bytes[start, end) (no surrounding whitespace). */
function parseRange(bytes: Buffer, start: number, end: number, depth: number): unknown {
  const open = bytes[start];
  if (end - start <= PIECE_BYTES || depth >= MAX_PIECE_DEPTH || (open !== OPEN_BRACE && open !== OPEN_BRACKET)) {
    return JSON.parse(bytes.toString('utf8', start, end));
  }
  const items = itemsOf(bytes, start, end);
  if (items === undefined) throw WHOLE;
  const isObject = open === OPEN_BRACE;
  const out: unknown = isObject ? {} : [];
  /** The pending run of small members or elements: bytes[runStart, runEnd). */
  let runStart = -1;
  let runEnd = -1;
  const flush = (): void => {
    if (runStart < 0) return;
    const text = bytes.toString('utf8', runStart, runEnd);
    if (isObject) {
      const part = JSON.parse(`{${text}}`) as Record<string, unknown>;
      for (const key of Object.keys(part)) {
        if (key === '__proto__') throw WHOLE;
        (out as Record<string, unknown>)[key] = part[key];
      }
    } else {
      const part = JSON.parse(`[${text}]`) as unknown[];
      for (let k = 0; k < part.length; k++) (out as unknown[]).push(part[k]);
    }
    runStart = -1;
  };
  for (const item of items) {
    const first = bytes[item.valueStart];
    if (item.end - item.valueStart > PIECE_BYTES && (first === OPEN_BRACE || first === OPEN_BRACKET)) {
      // A large container: its own pieces, in order after the run before it.
      flush();
      const value = parseRange(bytes, item.valueStart, item.end, depth + 1);
      if (isObject) {
        const key = JSON.parse(bytes.toString('utf8', item.start, item.keyEnd)) as string;
        if (key === '__proto__') throw WHOLE;
        (out as Record<string, unknown>)[key] = value;
      } else {
        (out as unknown[]).push(value);
      }
    } else {
      if (runStart >= 0 && item.end - runStart > PIECE_BYTES) flush();
      if (runStart < 0) runStart = item.start;
      runEnd = item.end;
    }
  }
  flush();
  return out;
}
