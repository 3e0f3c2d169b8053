// A same-dialect upstream body from the client's own bytes (docs/pipeline.md, "Large request
// bodies"). An OpenAI, Anthropic or Responses client talking to an upstream of its own dialect gets
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
  const n = bytes.length;
  let i = skipWhitespace(bytes, 0);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  i = skipWhitespace(bytes, i + 1);
  const members: Member[] = [];
  if (bytes[i] === CLOSE_BRACE) return members;
  while (i < n) {
    if (bytes[i] !== QUOTE) return undefined;
    const start = i;
    const keyEnd = stringEnd(bytes, i);
    if (keyEnd < 0) return undefined;
    // Keys with escapes would need decoding to compare: leave those bodies to JSON.stringify.
    for (let k = i + 1; k < keyEnd - 1; k++) if (bytes[k] === BACKSLASH) return undefined;
    const key = bytes.toString('utf8', i + 1, keyEnd - 1);
    i = skipWhitespace(bytes, keyEnd);
    if (bytes[i] !== COLON) return undefined;
    i = skipWhitespace(bytes, i + 1);
    const end = valueEnd(bytes, i);
    if (end < 0) return undefined;
    members.push({ key, start, end });
    i = skipWhitespace(bytes, end);
    if (bytes[i] === COMMA) {
      i = skipWhitespace(bytes, i + 1);
      continue;
    }
    if (bytes[i] === CLOSE_BRACE && skipWhitespace(bytes, i + 1) === n) return members;
    return undefined;
  }
  return undefined;
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
    if (c === COMMA || c === CLOSE_BRACE || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return i;
    i++;
  }
  return -1;
}
