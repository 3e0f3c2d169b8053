// Incremental Server-Sent Events decoder, push-style (no streams, no promises): the WHATWG algorithm
// (HTML §9.2.5 "Parsing an event stream", §9.2.6 "Interpreting an event stream"; sse.md §1–§3) run
// on bytes, plus sluice's upstream leniency at EOF (sse.md §4, quirk Q-7) and a per-event size bound.
//
// Lines are split on bytes and decoded one value at a time. This is equivalent to decoding the whole
// stream first: CR, LF, ':' and ' ' are ASCII and can never be part of a multi-byte UTF-8 sequence, so
// a value's bytes decode to the same text on their own (malformed input still becomes U+FFFD).
// Decoding only the value also spares a string for the field name on every line.

import { Buffer } from 'node:buffer';

export interface SseHandler {
  /** One dispatched event. `event` is '' when the block had no `event:` field (callers treat it as 'message'); `id` is the last-event-ID buffer, which persists across events. */
  onEvent(data: string, event: string, id: string): void;
  /**
   * Optional fast path. An event that is one `data:` line and nothing else (no `event:` field, its
   * blank line in the same chunk) is first offered as bytes: its value is `bytes[start, end)`. Returning
   * true takes it (no string is decoded and `onEvent` is not called); false dispatches it as usual.
   * Lets a consumer recognise its common case with a byte compare instead of a UTF-8 decode.
   */
  onDataLine?(bytes: Buffer, start: number, end: number): boolean;
  /** A comment line: the text after ':' with one leading space removed. Not an event (Q-1: keepalives). */
  onComment?(text: string): void;
  /** A valid `retry:` field (ASCII digits only), in milliseconds. */
  onRetry?(ms: number): void;
  /** The event being received exceeded `maxEventBytes`; the decoder dispatches nothing afterwards. */
  onError?(err: Error): void;
}

export interface SseDecoderOptions {
  /**
   * Bound on the bytes held for one event: its `data` lines as received (field name, value, one byte
   * per terminator) plus the line in progress, whatever its field. Default 16 MiB (sse.md §4).
   * Exceeding it calls `onError` with an {@link SseEventTooLargeError} and stops the decoder. Every
   * line is checked, so the outcome does not depend on where chunks were cut.
   */
  maxEventBytes?: number;
}

export const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

export class SseEventTooLargeError extends Error {
  readonly maxEventBytes: number;

  constructor(maxEventBytes: number) {
    super(`SSE event exceeds ${maxEventBytes} bytes`);
    this.name = 'SseEventTooLargeError';
    this.maxEventBytes = maxEventBytes;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;
const NUL = 0x00;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const BOM = [0xef, 0xbb, 0xbf];
const DATA = bytesOf('data');
const EVENT = bytesOf('event');
const ID = bytesOf('id');
const RETRY = bytesOf('retry');
/** OpenAI's end marker is not JSON but is worth salvaging at EOF like a JSON payload. */
const DONE_MARKER = '[DONE]';
/** `#bomMatched` once the stream start has been classified. */
const BOM_DECIDED = -1;

type DecoderState = 'open' | 'failed' | 'ended';

export class SseDecoder {
  readonly #handler: SseHandler;
  readonly #maxEventBytes: number;
  #state: DecoderState = 'open';
  #bytesSeen = 0;

  /** How many bytes of a leading BOM have been seen so far (a BOM may be split across chunks). */
  #bomMatched = 0;
  /** The last line ended with a CR that was the last byte of its chunk: a leading LF in the next chunk belongs to it (§9.2.6 CRLF). */
  #swallowLf = false;
  /**
   * The line in progress, as copied pieces, joined once when its terminator arrives: joining per push
   * would be quadratic for one large line in many chunks (eventsource-parser does the same).
   */
  readonly #pending: Buffer[] = [];
  #pendingBytes = 0;

  // The stream's buffers (§9.2.6). `#dataLines` distinguishes "no data field" from "data field with an
  // empty value": the spec's data buffer is then "\n", which does dispatch an event with data "".
  #data = '';
  #dataLines = 0;
  #dataLineBytes = 0;
  #eventType = '';
  #lastEventId = '';

  constructor(handler: SseHandler, options: SseDecoderOptions = {}) {
    const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!Number.isSafeInteger(maxEventBytes) || maxEventBytes <= 0) {
      throw new RangeError(`maxEventBytes must be a positive integer, got ${maxEventBytes}`);
    }
    this.#handler = handler;
    this.#maxEventBytes = maxEventBytes;
  }

  /** Total bytes passed to push(), BOM included. */
  get bytesSeen(): number {
    return this.#bytesSeen;
  }

  /** Feeds the next bytes of the stream; chunk boundaries may fall anywhere. The chunk is not retained. */
  push(chunk: Uint8Array): void {
    if (this.#state === 'ended') throw new Error('SseDecoder.push() called after end()');
    this.#bytesSeen += chunk.byteLength;
    if (this.#state === 'failed') return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (this.#bomMatched !== BOM_DECIDED) {
      start = this.#consumeBom(bytes);
      if (start < 0) return;
    }
    this.#scan(bytes, start);
  }

  /**
   * End of stream. Processes an unterminated last line, then dispatches a pending event only if its data
   * is JSON or `[DONE]` (sluice's leniency for upstreams that omit the final blank line, Q-7); the spec
   * would discard it. Anything else pending is discarded. Idempotent.
   */
  end(): void {
    if (this.#state !== 'open') return;
    if (this.#bomMatched > 0) this.#holdBomPrefixAsContent();
    this.#bomMatched = BOM_DECIDED;
    this.#swallowLf = false;
    if (this.#pending.length > 0) {
      const line = this.#takePendingLine(undefined, 0, 0);
      this.#line(line, 0, line.length);
    }
    if (this.#state !== 'open') return;
    this.#state = 'ended';
    // The usual end has nothing pending: no JSON.parse('') and the exception it throws, per stream.
    if (this.#dataLines > 0 && isSalvageable(this.#data)) this.#dispatch();
    else this.#clearEvent();
  }

  /** Matches a BOM at stream offset 0 (§9.2.6 step 1); returns where content starts in `bytes`, or -1 if still undecided. */
  #consumeBom(bytes: Buffer): number {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== BOM[this.#bomMatched]) {
        // Not a BOM after all: the bytes matched so far are ordinary content of the first line.
        if (this.#bomMatched > 0) this.#holdBomPrefixAsContent();
        this.#bomMatched = BOM_DECIDED;
        return i;
      }
      this.#bomMatched++;
      if (this.#bomMatched === BOM.length) {
        this.#bomMatched = BOM_DECIDED;
        return i + 1;
      }
    }
    return -1;
  }

  #holdBomPrefixAsContent(): void {
    const prefix = Buffer.from(BOM.slice(0, this.#bomMatched));
    this.#pending.push(prefix);
    this.#pendingBytes += prefix.length;
  }

  /** Splits `bytes` from `pos` into lines (CRLF, LF or CR, §9.2.6 step 2) and holds back the unterminated tail. */
  #scan(bytes: Buffer, pos: number): void {
    const length = bytes.length;
    if (this.#swallowLf && pos < length) {
      this.#swallowLf = false;
      if (bytes[pos] === LF) pos++;
    }
    // Each needle is searched again only once the scan has passed its last hit, so both memchr
    // passes together touch every byte at most once per needle. `length` stands for "none left".
    let cr = indexOrEnd(bytes, CR, pos);
    let lf = indexOrEnd(bytes, LF, pos);
    while (this.#state === 'open') {
      if (cr < pos) cr = indexOrEnd(bytes, CR, pos);
      if (lf < pos) lf = indexOrEnd(bytes, LF, pos);
      const end = lf < cr ? lf : cr;
      if (end === length) break;
      let next = end + 1;
      if (end === cr) {
        // A CR ends the line at once; an LF right after it is part of the same terminator, even
        // when it only arrives with the next chunk.
        if (next === length) this.#swallowLf = true;
        else if (bytes[next] === LF) next++;
      }
      if (this.#pending.length === 0) {
        if (this.#dataLines === 0 && this.#eventType === '' && this.#handler.onDataLine !== undefined) {
          const after = this.#takenDataLine(bytes, pos, end);
          if (after > 0) {
            pos = after;
            continue;
          }
        }
        this.#line(bytes, pos, end);
      } else {
        const line = this.#takePendingLine(bytes, pos, end);
        this.#line(line, 0, line.length);
      }
      pos = next;
    }
    if (pos < length && this.#state === 'open') {
      const tail = Buffer.copyBytesFrom(bytes, pos);
      this.#pending.push(tail);
      this.#pendingBytes += tail.length;
      if (this.#dataLineBytes + this.#pendingBytes > this.#maxEventBytes) this.#overflow();
    }
  }

  /**
   * The fast path of {@link SseHandler.onDataLine}: when `bytes[start, end)` is a `data:` line whose
   * terminator is followed at once by an empty line (LF LF or CRLF CRLF, both in this chunk) and the
   * handler takes it, where scanning resumes; else -1 and the line is processed as usual.
   */
  #takenDataLine(bytes: Buffer, start: number, end: number): number {
    let after: number;
    if (bytes[end] === LF) {
      if (bytes[end + 1] !== LF) return -1;
      after = end + 2;
    } else if (bytes[end + 1] === LF && bytes[end + 2] === CR && bytes[end + 3] === LF) {
      after = end + 4;
    } else {
      return -1;
    }
    if (end - start + 1 > this.#maxEventBytes || !hasFieldPrefix(bytes, start, end, DATA)) return -1;
    return this.#handler.onDataLine!(bytes, afterOneSpace(bytes, start + DATA.length + 1, end), end) ? after : -1;
  }

  /** Joins the held pieces (and the completing head of the current chunk, if any) into one line, once. */
  #takePendingLine(bytes: Buffer | undefined, start: number, end: number): Buffer {
    if (bytes !== undefined && end > start) this.#pending.push(bytes.subarray(start, end));
    const line = Buffer.concat(this.#pending, this.#pendingBytes + (end - start));
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    return line;
  }

  /** Processes one line `bytes[start, end)` without its terminator (sse.md §3). */
  #line(bytes: Buffer, start: number, end: number): void {
    const lineBytes = end - start;
    if (lineBytes === 0) {
      this.#dispatch();
      return;
    }
    // Checked for every line so the outcome does not depend on chunking: a held partial line is never
    // longer than the line it becomes.
    if (this.#dataLineBytes + lineBytes + 1 > this.#maxEventBytes) {
      this.#overflow();
      return;
    }
    const first = bytes[start];
    if (first === COLON) {
      if (this.#handler.onComment !== undefined) {
        this.#handler.onComment(decode(bytes, afterOneSpace(bytes, start + 1, end), end));
      }
      return;
    }
    // Hot path: `data:` and `event:` lines are recognised without searching for the colon.
    if (hasFieldPrefix(bytes, start, end, DATA)) {
      this.#appendData(bytes, afterOneSpace(bytes, start + DATA.length + 1, end), end, lineBytes + 1);
      return;
    }
    if (hasFieldPrefix(bytes, start, end, EVENT)) {
      this.#eventType = decode(bytes, afterOneSpace(bytes, start + EVENT.length + 1, end), end);
      return;
    }
    // Any other field; a line without ':' is a field name with an empty value.
    let nameEnd = start;
    while (nameEnd < end && bytes[nameEnd] !== COLON) nameEnd++;
    const valueStart = nameEnd === end ? end : afterOneSpace(bytes, nameEnd + 1, end);
    if (fieldIs(bytes, start, nameEnd, DATA)) {
      this.#appendData(bytes, valueStart, end, lineBytes + 1);
    } else if (fieldIs(bytes, start, nameEnd, EVENT)) {
      this.#eventType = decode(bytes, valueStart, end);
    } else if (fieldIs(bytes, start, nameEnd, ID)) {
      // A value containing U+0000 is ignored. UTF-8 encodes U+0000 only as the byte 0x00.
      if (!containsByte(bytes, valueStart, end, NUL)) this.#lastEventId = decode(bytes, valueStart, end);
    } else if (fieldIs(bytes, start, nameEnd, RETRY)) {
      const ms = parseDigits(bytes, valueStart, end);
      if (ms !== undefined && this.#handler.onRetry !== undefined) this.#handler.onRetry(ms);
    }
    // Unknown field names are ignored (§9.2.6).
  }

  #appendData(bytes: Buffer, valueStart: number, end: number, lineBytes: number): void {
    const value = decode(bytes, valueStart, end);
    // V8 builds a rope here and flattens it once when the data is read, so many lines stay linear.
    this.#data = this.#dataLines === 0 ? value : this.#data + '\n' + value;
    this.#dataLines++;
    this.#dataLineBytes += lineBytes;
  }

  /** §9.2.6 dispatch: clears the data and event-type buffers; no event unless a `data` field was seen; the last event ID persists. */
  #dispatch(): void {
    if (this.#dataLines === 0) {
      this.#eventType = '';
      return;
    }
    const data = this.#data;
    const eventType = this.#eventType;
    this.#clearEvent();
    this.#handler.onEvent(data, eventType, this.#lastEventId);
  }

  #clearEvent(): void {
    this.#data = '';
    this.#dataLines = 0;
    this.#dataLineBytes = 0;
    this.#eventType = '';
  }

  #overflow(): void {
    this.#state = 'failed';
    this.#pending.length = 0;
    this.#pendingBytes = 0;
    this.#clearEvent();
    this.#handler.onError?.(new SseEventTooLargeError(this.#maxEventBytes));
  }
}

function bytesOf(ascii: string): Uint8Array {
  return Uint8Array.from(ascii, (char) => char.charCodeAt(0));
}

/** Bounded to the line: `Buffer#indexOf` would scan on into the rest of the chunk. */
function containsByte(bytes: Buffer, start: number, end: number, byte: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] === byte) return true;
  return false;
}

function indexOrEnd(bytes: Buffer, byte: number, from: number): number {
  const at = bytes.indexOf(byte, from);
  return at === -1 ? bytes.length : at;
}

function decode(bytes: Buffer, start: number, end: number): string {
  return start === end ? '' : bytes.toString('utf8', start, end);
}

/** Field values lose exactly one leading U+0020 (§9.2.6). */
function afterOneSpace(bytes: Buffer, valueStart: number, end: number): number {
  return valueStart < end && bytes[valueStart] === SPACE ? valueStart + 1 : valueStart;
}

/** Whether the line starts with `name:`. */
function hasFieldPrefix(bytes: Buffer, start: number, end: number, name: Uint8Array): boolean {
  if (end - start <= name.length || bytes[start + name.length] !== COLON) return false;
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false;
  return true;
}

/** Field names compare literally, without case folding (§9.2.6). */
function fieldIs(bytes: Buffer, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false;
  return true;
}

/**
 * `retry` takes ASCII digits only; anything else (sign, unit, empty) ignores the field. Values beyond
 * Number.MAX_SAFE_INTEGER are ignored too: they cannot be represented exactly and mean "never" anyway.
 */
function parseDigits(bytes: Buffer, start: number, end: number): number | undefined {
  if (start === end) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte < DIGIT_0 || byte > DIGIT_9) return undefined;
    value = value * 10 + (byte - DIGIT_0);
  }
  return Number.isSafeInteger(value) ? value : undefined;
}

/** a pending event at EOF is kept only if its payload is evidently complete. '' is not JSON. */
function isSalvageable(data: string): boolean {
  if (data === DONE_MARKER) return true;
  try {
    JSON.parse(data);
    return true;
  } catch {
    return false;
  }
}
