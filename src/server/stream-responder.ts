// Owns the downstream half of a streaming response: the headers go out at the commit point or when
// `server.keepalive` elapses first (SPEC §4.4), then the front's keepalive (SSE: `: keepalive`
// comments; core/protocol.ts DownstreamFraming) whenever nothing else was written for a keepalive
// interval. The framing's content type and keepalive come from the front; the rest is the same for
// every dialect. One timer per stream, re-armed lazily: a write only stores a
// timestamp, so the per-event cost is a clock read, not a timer reset.
//
// Writes: everything produced while handling one upstream socket read (one I/O callback, however
// many HTTP chunks and events it held) is joined and written once, on process.nextTick — before
// the event loop does anything else, so nothing is held back — inside a socket cork, so headers,
// chunk framing and data leave in one writev. On loopback a write syscall costs the sender the
// receiver's TCP work too, so this is most of the per-stream CPU. (Node's own res.cork() does not
// do it: uncork() flushes the chunked buffer after uncorking the socket, one syscall per piece.)
//
// Flow control: when a write leaves more than the socket's high-water mark buffered (the client is
// not keeping up), the congestion listener is told, and told again at 'drain'; the attempt stops
// reading the upstream meanwhile, so what piles up here is bounded by one upstream read.

import { Buffer } from 'node:buffer';
import type { ServerResponse } from 'node:http';
import { SSE_DOWNSTREAM, type DownstreamFraming, type StreamOutput } from '../core/protocol.ts';
import { timerDelay } from '../core/timers.ts';

/** Shared by every responder: a write is encoded into it and copied out before anything else runs. */
const SCRATCH_BYTES = 256 * 1024;
const scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

export class StreamResponder implements StreamOutput {
  private readonly res: ServerResponse;
  private readonly keepaliveMs: number;
  private readonly headers: Record<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = 0;
  private closed = false;
  private readonly framing: DownstreamFraming;
  private pending: Array<string | Uint8Array> = [];
  /** Worst-case bytes of `pending`: three per UTF-16 unit of text (UTF-8), one per byte of bytes. */
  private pendingUnits = 0;
  private flushScheduled = false;
  private congested = false;
  private congestion: ((congested: boolean) => void) | undefined;
  /** Bytes written to the client, for metrics and logs. */
  bytes = 0;
  /** Downstream events written (not counting keepalives). */
  events = 0;

  constructor(res: ServerResponse, keepaliveMs: number, headers: Record<string, string>, framing: DownstreamFraming = SSE_DOWNSTREAM) {
    this.res = res;
    this.framing = framing;
    this.keepaliveMs = keepaliveMs;
    this.headers = headers;
    this.lastWrite = performance.now();
    if (keepaliveMs > 0) this.arm(keepaliveMs);
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get isClosed(): boolean {
    return this.closed || this.res.destroyed;
  }

  /** Sends the 200 and SSE headers now, if they have not gone out yet. */
  commitHeaders(): void {
    if (this.res.headersSent || this.closed) return;
    this.writeHead();
    // Send the headers now, not with the first body write: a client waiting on a slow model sees the 200.
    this.res.flushHeaders();
  }

  private writeHead(): void {
    const h: Record<string, string> = {
      'content-type': this.framing.contentType,
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      ...this.headers,
    };
    // Connection-specific headers are forbidden on HTTP/2 (RFC 9113 §8.2.2); keep-alive is HTTP/1.1 only.
    // A draining gateway (server/drain.ts) has cleared shouldKeepAlive: the header must say close,
    // since an explicit keep-alive would make node:http keep the connection after all.
    if (this.res.req.httpVersionMajor === 1) h.connection = this.res.shouldKeepAlive ? 'keep-alive' : 'close';
    this.res.writeHead(200, h);
  }

  /** `listener(true)` when the client stops keeping up, `listener(false)` once its socket drained. */
  setCongestionListener(listener: ((congested: boolean) => void) | undefined): void {
    this.congestion = listener;
  }

  write(chunk: string): void {
    if (this.closed) return;
    this.events++;
    this.pending.push(chunk);
    this.pendingUnits += chunk.length * 3;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  writeBytes(chunk: Uint8Array): void {
    if (this.closed) return;
    this.events++;
    this.pending.push(chunk);
    this.pendingUnits += chunk.byteLength;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    }
  }

  private flush = (): void => {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    this.send(this.takePending());
  };

  /**
   * What `pending` holds, as one Buffer, emptied. Each piece is UTF-8 encoded straight into a
   * scratch buffer sized for the worst case, then copied out at its exact size: joining the pieces
   * first built one more copy, and one piece outside Latin-1 (an emoji, a curly quote) turned the
   * whole joined string into UTF-16, which Node then scanned for its byte length and encoded again
   * (bench/RESULTS.md). The exact-size copy keeps a long stream's memory flat: a buffer of the worst
   * case per write would be three times the bytes, held until the next GC.
   */
  private takePending(): Buffer {
    const pieces = this.pending;
    const worst = this.pendingUnits;
    const into = worst <= SCRATCH_BYTES ? scratch : Buffer.allocUnsafe(byteLengthOf(pieces));
    let at = 0;
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (typeof piece === 'string') at += into.write(piece, at, 'utf8');
      else {
        into.set(piece, at);
        at += piece.byteLength;
      }
    }
    pieces.length = 0;
    this.pendingUnits = 0;
    if (into !== scratch) return into.subarray(0, at);
    const out = Buffer.allocUnsafe(at);
    scratch.copy(out, 0, 0, at);
    return out;
  }

  private send(data: string | Buffer): void {
    if (this.closed || this.res.destroyed) return;
    // Without flushHeaders the head goes out with the first data, in the same packet.
    if (!this.res.headersSent) this.writeHead();
    const socket = this.res.socket;
    socket?.cork();
    const ok = this.res.write(data);
    socket?.uncork();
    this.bytes += data.length;
    this.lastWrite = performance.now();
    if (!ok && !this.congested) {
      this.congested = true;
      this.res.once('drain', this.onDrain);
      this.congestion?.(true);
    }
  }

  private onDrain = (): void => {
    this.congested = false;
    this.congestion?.(false);
  };

  private arm(ms: number): void {
    // tick() checks the time, so a keepalive longer than a timer can wait (core/timers.ts) re-arms.
    this.timer = setTimeout(this.tick, timerDelay(ms));
    this.timer.unref?.();
  }

  private tick = (): void => {
    this.timer = undefined;
    if (this.closed || this.res.destroyed) return;
    if (this.congested) {
      // The client has not read what is already there: a keepalive would only add to it.
      this.arm(this.keepaliveMs);
      return;
    }
    const idle = performance.now() - this.lastWrite;
    if (idle + 1 >= this.keepaliveMs) {
      // A framing without keepalive bytes (AWS event-stream) still commits its headers on time.
      if (this.framing.keepalive !== undefined) this.send(this.framing.keepalive);
      else this.commitHeaders();
      this.arm(this.keepaliveMs);
    } else {
      this.arm(this.keepaliveMs - idle);
    }
  };

  /** Ends the response cleanly (after the terminal event or an in-stream error). */
  end(): void {
    if (this.closed) return;
    const data = this.pending.length === 0 ? undefined : this.takePending();
    this.stop();
    if (this.res.destroyed) return;
    if (!this.res.headersSent) this.writeHead();
    // The last events and the terminating chunk leave together.
    const socket = this.res.socket;
    socket?.cork();
    if (data !== undefined) this.res.write(data);
    this.res.end();
    socket?.uncork();
    if (data !== undefined) this.bytes += data.length;
  }

  /** Stops the keepalive timer without ending (the response is being answered as JSON, or the client left). */
  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.congestion = undefined;
    if (this.congested) this.res.off('drain', this.onDrain);
  }
}

/** The UTF-8 size of `pieces`: for a write too large for the scratch buffer (a multi-megabyte event). */
function byteLengthOf(pieces: Array<string | Uint8Array>): number {
  let n = 0;
  for (const piece of pieces) n += typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.byteLength;
  return n;
}
