// Owns the downstream half of a streaming response: the headers go out at the commit point or when
// `server.keepalive` elapses first (SPEC §4.4), then `: keepalive` comments whenever nothing else was
// written for a keepalive interval. One timer per stream, re-armed lazily: a write only stores a
// timestamp, so the per-event cost is a clock read, not a timer reset.

import type { ServerResponse } from 'node:http';
import type { StreamOutput } from '../core/protocol.ts';

const KEEPALIVE = ': keepalive\n\n';

export class SseResponder implements StreamOutput {
  private readonly res: ServerResponse;
  private readonly keepaliveMs: number;
  private readonly headers: Record<string, string>;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = 0;
  private closed = false;
  private corked = 0;
  /** Bytes written to the client, for metrics and logs. */
  bytes = 0;
  /** Downstream events written (not counting keepalives). */
  events = 0;

  constructor(res: ServerResponse, keepaliveMs: number, headers: Record<string, string>) {
    this.res = res;
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

  /** Writes the 200 and SSE headers if they have not gone out yet. */
  commitHeaders(): void {
    if (this.res.headersSent || this.closed) return;
    const h: Record<string, string> = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      ...this.headers,
    };
    // Connection-specific headers are forbidden on HTTP/2 (RFC 9113 §8.2.2); keep-alive is HTTP/1.1 only.
    if (this.res.req.httpVersionMajor === 1) h.connection = 'keep-alive';
    this.res.writeHead(200, h);
    // Send the headers now, not with the first body write: a client waiting on a slow model sees the 200.
    this.res.flushHeaders();
  }

  write(chunk: string): void {
    if (this.closed) return;
    if (!this.res.headersSent) this.commitHeaders();
    this.res.write(chunk);
    this.bytes += chunk.length;
    this.events++;
    this.lastWrite = performance.now();
  }

  /** Groups the writes of one upstream network chunk into one downstream packet; nothing waits for a timer. */
  cork(): void {
    if (this.corked++ === 0 && !this.closed) this.res.cork();
  }

  uncork(): void {
    if (this.corked === 0) return;
    if (--this.corked === 0 && this.res.writableCorked > 0) this.res.uncork();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.tick, ms);
    this.timer.unref?.();
  }

  private tick = (): void => {
    this.timer = undefined;
    if (this.closed || this.res.destroyed) return;
    const idle = performance.now() - this.lastWrite;
    if (idle + 1 >= this.keepaliveMs) {
      if (!this.res.headersSent) this.commitHeaders();
      this.res.write(KEEPALIVE);
      this.bytes += KEEPALIVE.length;
      this.lastWrite = performance.now();
      this.arm(this.keepaliveMs);
    } else {
      this.arm(this.keepaliveMs - idle);
    }
  };

  /** Ends the response cleanly (after the terminal event or an in-stream error). */
  end(): void {
    if (this.closed) return;
    this.stop();
    if (!this.res.headersSent) this.commitHeaders();
    while (this.res.writableCorked > 0) this.res.uncork();
    this.res.end();
  }

  /** Stops the keepalive timer without ending (the response is being answered as JSON, or the client left). */
  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
