// AWS event-stream framing (bedrock.md §6): binary, length-prefixed messages with two CRC-32s, the
// body of ConverseStream / InvokeModelWithResponseStream answers. A framing codec that knows nothing
// of the messages it frames (like src/sse/): the decoder turns bytes into the same onEvent(data, name)
// calls the SSE decoder makes, the encoder writes messages for the Bedrock front and `sluice mock`.
//
//   | total_len u32 BE | headers_len u32 BE | prelude_crc u32 BE | headers | payload | message_crc u32 BE |
//   prelude_crc = CRC32(bytes 0..7); message_crc = CRC32(bytes 0..total_len-5)   (CRC-32/IEEE, as zlib)
//   header = name_len u8 | name | type u8 | value   (type 7 = string: u16 BE length | UTF-8 bytes)
//
// Decoding is on the per-event path. @smithy/eventstream-codec (the AWS SDK's own codec, which also
// takes whole messages: the SDK splits the byte stream itself) is what the tests check this file
// against; it costs more per message because it builds a header object map and a DataView per
// message (bench/RESULTS.md has both). This decoder reads the four headers Bedrock sends and
// allocates only the payload string; both CRCs are zlib's native crc32.

import { Buffer } from 'node:buffer';
import { crc32 } from 'node:zlib';

/** Prelude (two lengths + CRC) and trailing message CRC. */
const PRELUDE = 12;
const OVERHEAD = 16;
/**
 * The largest message accepted: the AWS event-stream limit (aws-c-event-stream
 * AWS_EVENT_STREAM_MAX_MESSAGE_SIZE, 16 MiB), the same bound as an SSE event (src/sse/decoder.ts).
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** aws-c-event-stream AWS_EVENT_STREAM_MAX_HEADERS_SIZE. */
const MAX_HEADERS_BYTES = 128 * 1024;

const TYPE_TRUE = 0;
const TYPE_FALSE = 1;
const TYPE_BYTE = 2;
const TYPE_SHORT = 3;
const TYPE_INT = 4;
const TYPE_LONG = 5;
const TYPE_BYTES = 6;
const TYPE_STRING = 7;
const TYPE_TIMESTAMP = 8;
const TYPE_UUID = 9;

/** What a framing decoder calls (the FrameHandler of the dialect-plugin interface). */
export interface EventStreamHandler {
  /**
   * One message. `:message-type: event` → (payload, `:event-type`); `exception` →
   * (payload, 'exception:' + `:exception-type`); `error` (an unmodeled service error, its code and
   * message in headers) → ('{"message":…}', 'exception:' + `:error-code`).
   */
  onEvent(data: string, event: string): void;
  /** The bytes cannot be framed (CRC mismatch, impossible lengths): nothing is dispatched afterwards. */
  onError(err: Error): void;
}

export class EventStreamFramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStreamFramingError';
  }
}

/** Prefix of the event name under which exception messages are dispatched. */
export const EXCEPTION_PREFIX = 'exception:';

/**
 * Incremental decoder: chunk boundaries may fall anywhere. A message held across chunks is kept as a
 * list of copied pieces and joined once when complete (linear in its size, like the SSE decoder).
 */
export class EventStreamDecoder {
  readonly #handler: EventStreamHandler;
  readonly #maxMessageBytes: number;
  #failed = false;
  /** Pieces of the incomplete message at the front of the stream. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** total_len of the pending message once its prelude was read and checked; 0 before. */
  #need = 0;

  constructor(handler: EventStreamHandler, maxMessageBytes = MAX_MESSAGE_BYTES) {
    this.#handler = handler;
    this.#maxMessageBytes = maxMessageBytes;
  }

  push(chunk: Uint8Array): void {
    if (this.#failed || chunk.byteLength === 0) return;
    let bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#pendingBytes > 0) {
      if (this.#need === 0) {
        // The prelude itself was split: join the few bytes held with this chunk and start over.
        bytes = Buffer.concat([...this.#pending, bytes]);
        this.#pending = [];
        this.#pendingBytes = 0;
      } else {
        const missing = this.#need - this.#pendingBytes;
        if (bytes.length < missing) {
          this.#hold(bytes, 0);
          return;
        }
        // Complete: join once, at the exact size.
        const message = Buffer.allocUnsafe(this.#need);
        let at = 0;
        for (const p of this.#pending) {
          p.copy(message, at);
          at += p.length;
        }
        bytes.copy(message, at, 0, missing);
        this.#pending = [];
        this.#pendingBytes = 0;
        this.#need = 0;
        if (!this.#message(message, 0, message.length)) return;
        bytes = bytes.subarray(missing);
      }
    }
    this.#scan(bytes);
  }

  /**
   * End of the byte stream. A partial message left over is not an error here: whether the stream
   * was complete is the message decoder's call (a truncated stream lacks its terminal event).
   */
  end(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#need = 0;
  }

  #scan(bytes: Buffer): void {
    let off = 0;
    const len = bytes.length;
    while (len - off >= PRELUDE) {
      const total = this.#prelude(bytes, off);
      if (total < 0) return;
      if (len - off < total) break;
      if (!this.#message(bytes, off, total)) return;
      off += total;
    }
    if (off < len) {
      if (len - off >= PRELUDE) this.#need = bytes.readUInt32BE(off);
      this.#hold(bytes, off);
    }
  }

  /** Copies the unfinished tail: the chunk is not retained (its buffer may be pooled upstream). */
  #hold(bytes: Buffer, off: number): void {
    const piece = Buffer.allocUnsafe(bytes.length - off);
    bytes.copy(piece, 0, off);
    this.#pending.push(piece);
    this.#pendingBytes += piece.length;
  }

  /** Checks the prelude at `off` (12 bytes available); returns total_len, or -1 after failing. */
  #prelude(bytes: Buffer, off: number): number {
    const total = bytes.readUInt32BE(off);
    const headers = bytes.readUInt32BE(off + 4);
    const expected = bytes.readUInt32BE(off + 8);
    if (crc32(bytes.subarray(off, off + 8)) !== expected) {
      return this.#fail(`prelude checksum mismatch (expected ${expected}, message length ${total})`);
    }
    if (total < OVERHEAD || total > this.#maxMessageBytes) {
      return this.#fail(`message length ${total} outside 16..${this.#maxMessageBytes} bytes`);
    }
    if (headers > total - OVERHEAD || headers > MAX_HEADERS_BYTES) {
      return this.#fail(`headers length ${headers} does not fit a message of ${total} bytes`);
    }
    return total;
  }

  #fail(message: string): -1 {
    this.#failed = true;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#handler.onError(new EventStreamFramingError(message));
    return -1;
  }

  /** One complete message at bytes[off, off+total) whose prelude was checked; false after failing. */
  #message(bytes: Buffer, off: number, total: number): boolean {
    const end = off + total;
    const expected = bytes.readUInt32BE(end - 4);
    const actual = crc32(bytes.subarray(off, end - 4));
    if (actual !== expected) {
      this.#fail(`message checksum mismatch (expected ${expected}, computed ${actual})`);
      return false;
    }
    const headersEnd = off + PRELUDE + bytes.readUInt32BE(off + 4);
    let messageType = '';
    let eventType = '';
    let exceptionType = '';
    let errorCode = '';
    let errorMessage = '';
    let p = off + PRELUDE;
    while (p < headersEnd) {
      const nameLen = bytes[p]!;
      const nameStart = p + 1;
      p = nameStart + nameLen;
      if (p >= headersEnd) return !this.#fail('header runs past the headers section');
      const type = bytes[p++]!;
      if (type !== TYPE_STRING) {
        const size = valueSize(type, bytes, p, headersEnd);
        if (size < 0) return !this.#fail(`header type ${type} is invalid`);
        p += size;
        continue;
      }
      if (p + 2 > headersEnd) return !this.#fail('header runs past the headers section');
      const valueLen = bytes.readUInt16BE(p);
      const valueStart = p + 2;
      p = valueStart + valueLen;
      if (p > headersEnd) return !this.#fail('header runs past the headers section');
      // Bedrock's headers are `:message-type`, `:event-type`, `:exception-type`, `:content-type`
      // (and `:error-code` / `:error-message` on unmodeled errors): told apart by length and a byte,
      // so no string is made for a header name.
      switch (nameLen) {
        case 11: // :event-type, :error-code
          if (isName(bytes, nameStart, EVENT_TYPE)) eventType = bytes.toString('utf8', valueStart, p);
          else if (isName(bytes, nameStart, ERROR_CODE)) errorCode = bytes.toString('utf8', valueStart, p);
          break;
        case 13: // :message-type
          if (isName(bytes, nameStart, MESSAGE_TYPE)) messageType = bytes.toString('latin1', valueStart, p);
          break;
        case 15: // :exception-type
          if (isName(bytes, nameStart, EXCEPTION_TYPE)) exceptionType = bytes.toString('utf8', valueStart, p);
          break;
        case 14: // :error-message
          if (isName(bytes, nameStart, ERROR_MESSAGE)) errorMessage = bytes.toString('utf8', valueStart, p);
          break;
        default:
          break;
      }
    }
    const data = bytes.toString('utf8', headersEnd, end - 4);
    switch (messageType) {
      case 'event':
        this.#handler.onEvent(data, eventType);
        break;
      case 'exception':
        this.#handler.onEvent(data, EXCEPTION_PREFIX + exceptionType);
        break;
      case 'error':
        this.#handler.onEvent(JSON.stringify({ message: errorMessage }), EXCEPTION_PREFIX + errorCode);
        break;
      default:
        break; // unknown message types carry nothing a decoder reads
    }
    return !this.#failed;
  }
}

const EVENT_TYPE = Buffer.from(':event-type', 'latin1');
const MESSAGE_TYPE = Buffer.from(':message-type', 'latin1');
const EXCEPTION_TYPE = Buffer.from(':exception-type', 'latin1');
const ERROR_CODE = Buffer.from(':error-code', 'latin1');
const ERROR_MESSAGE = Buffer.from(':error-message', 'latin1');

function isName(bytes: Buffer, start: number, name: Buffer): boolean {
  for (let i = 0; i < name.length; i++) if (bytes[start + i] !== name[i]) return false;
  return true;
}

/** Byte size of a non-string header value at `p`, or -1 when the type is unknown or runs past `end`. */
function valueSize(type: number, bytes: Buffer, p: number, end: number): number {
  let size: number;
  switch (type) {
    case TYPE_TRUE:
    case TYPE_FALSE:
      size = 0;
      break;
    case TYPE_BYTE:
      size = 1;
      break;
    case TYPE_SHORT:
      size = 2;
      break;
    case TYPE_INT:
      size = 4;
      break;
    case TYPE_LONG:
    case TYPE_TIMESTAMP:
      size = 8;
      break;
    case TYPE_UUID:
      size = 16;
      break;
    case TYPE_BYTES:
      if (p + 2 > end) return -1;
      size = 2 + bytes.readUInt16BE(p);
      break;
    default:
      return -1;
  }
  return p + size > end ? -1 : size;
}

// ---------------------------------------------------------------------------------------------------
// Encoding: string headers only (all Bedrock sends). The header block of each distinct header set
// is built once and cached, so a message costs one allocation at its exact size and two native CRCs.

/** The header block for `headers` (name → string value), in order. */
export function encodeHeaders(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (n.length > 255) throw new RangeError(`event-stream header name longer than 255 bytes: ${name}`);
    if (v.length > 0xffff) throw new RangeError(`event-stream header ${name} longer than 65535 bytes`);
    const h = Buffer.allocUnsafe(1 + n.length + 3);
    h[0] = n.length;
    n.copy(h, 1);
    h[1 + n.length] = TYPE_STRING;
    h.writeUInt16BE(v.length, 2 + n.length);
    parts.push(h, v);
  }
  return Buffer.concat(parts);
}

/** One message with a prebuilt header block and a UTF-8 (string) or binary payload. */
export function encodeMessage(headerBlock: Buffer, payload: string | Uint8Array): Buffer {
  const payloadBytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
  const total = OVERHEAD + headerBlock.length + payloadBytes;
  if (total > MAX_MESSAGE_BYTES) throw new RangeError(`event-stream message of ${total} bytes exceeds ${MAX_MESSAGE_BYTES}`);
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headerBlock.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  headerBlock.copy(out, PRELUDE);
  const at = PRELUDE + headerBlock.length;
  if (typeof payload === 'string') out.write(payload, at, 'utf8');
  else out.set(payload, at);
  out.writeUInt32BE(crc32(out.subarray(0, total - 4)), total - 4);
  return out;
}

const eventHeaderCache = new Map<string, Buffer>();
const exceptionHeaderCache = new Map<string, Buffer>();
/** Event and exception names are a small fixed set per dialect; the cache is bounded anyway. */
const HEADER_CACHE_LIMIT = 64;

function cached(cache: Map<string, Buffer>, key: string, build: () => Buffer): Buffer {
  let h = cache.get(key);
  if (h === undefined) {
    h = build();
    if (cache.size < HEADER_CACHE_LIMIT) cache.set(key, h);
  }
  return h;
}

/** `:event-type` NAME, `:content-type` application/json, `:message-type` event (what Bedrock sends). */
export function encodeEvent(eventType: string, json: string): Buffer {
  const headers = cached(eventHeaderCache, eventType, () =>
    encodeHeaders([
      [':event-type', eventType],
      [':content-type', 'application/json'],
      [':message-type', 'event'],
    ]),
  );
  return encodeMessage(headers, json);
}

/** An exception message: `:exception-type` NAME (lower camel case, e.g. throttlingException). */
export function encodeException(exceptionType: string, json: string): Buffer {
  const headers = cached(exceptionHeaderCache, exceptionType, () =>
    encodeHeaders([
      [':exception-type', exceptionType],
      [':content-type', 'application/json'],
      [':message-type', 'exception'],
    ]),
  );
  return encodeMessage(headers, json);
}
