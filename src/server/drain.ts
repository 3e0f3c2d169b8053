// Graceful stop (SPEC §11): on SIGTERM/SIGINT the listener closes at once; requests and streams in
// flight finish for up to `server.drain_timeout`; those still running then end with a
// protocol-native error (code `shutdown`: an in-stream error event after the commit point, a 503
// in the client's dialect before it), their usage recorded like any other end.
//
// Connections already open stay open while requests are in flight, so a proxy that reuses an idle
// keep-alive connection gets an answer (503 from /readyz, `Connection: close` on every response)
// rather than a reset it may turn into a 502 for a POST it cannot retry; each such connection closes
// after that one response, and a response whose headers went out before the drain closes its
// connection once it ends. Whatever is still open when nothing is in flight is closed then.
// (node:http's own server.close() closes idle connections at once: only the listener is closed
// here, with net.Server's close.)

import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { GatewayError } from '../core/errors.ts';
import { longTimeout } from '../core/timers.ts';

/** After the drain timeout ended the last requests, how long their error events get to go out. */
const END_GRACE_MS = 5000;

export interface DrainResult {
  /** Requests in flight when the drain began. */
  inFlight: number;
  /** Of those (and any that arrived on open connections since), ended by the timeout. */
  ended: number;
  ms: number;
}

export class Drain {
  private readonly inflight = new Set<ServerResponse>();
  private readonly controller = new AbortController();
  private waiters: Array<() => void> = [];
  private phase: 'serving' | 'draining' | 'ending' = 'serving';
  /** Told the number of requests in flight whenever it changes (the cluster dispatcher balances on it). */
  private readonly onSize: ((inFlight: number) => void) | undefined;

  constructor(onSize?: (inFlight: number) => void) {
    this.onSize = onSize;
  }

  /** Aborted (reason: GatewayError 'shutdown') when the drain timeout ends the requests left. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get draining(): boolean {
    return this.phase !== 'serving';
  }

  /** Requests in flight now. */
  get size(): number {
    return this.inflight.size;
  }

  /** Called for every request as it arrives. */
  track(res: ServerResponse): void {
    if (this.phase !== 'serving') this.closeAfter(res);
    this.inflight.add(res);
    this.onSize?.(this.inflight.size);
    res.once('close', () => {
      this.inflight.delete(res);
      this.onSize?.(this.inflight.size);
      if (this.inflight.size === 0) this.wake();
    });
  }

  /**
   * Stops accepting, lets what is in flight finish for up to timeoutMs, ends the rest, and closes
   * every connection. Resolves when nothing is left.
   */
  async run(server: Server, timeoutMs: number): Promise<DrainResult> {
    const started = performance.now();
    const inFlight = this.inflight.size;
    if (this.phase === 'serving') {
      this.phase = 'draining';
      NetServer.prototype.close.call(server);
      for (const res of this.inflight) this.closeAfter(res);
    }
    let ended = 0;
    if (!(await this.idle(timeoutMs))) {
      ended = this.inflight.size;
      this.phase = 'ending';
      const seconds = Math.round(timeoutMs / 100) / 10;
      this.controller.abort(new GatewayError('shutdown', `the gateway is shutting down: the request did not finish within the drain timeout of ${seconds}s`));
      await this.idle(END_GRACE_MS);
    }
    server.closeAllConnections();
    return { inFlight, ended, ms: performance.now() - started };
  }

  /** `Connection: close` on a response not yet started; the connection ends with the response either way. */
  private closeAfter(res: ServerResponse): void {
    if (!res.headersSent) res.shouldKeepAlive = false;
    // Captured now: node:http detaches the socket from the response before user 'finish' listeners run.
    const socket: Socket | null = res.socket;
    if (socket) res.once('finish', () => socket.end());
  }

  private idle(timeoutMs: number): Promise<boolean> {
    if (this.inflight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      // However long the drain_timeout (core/timers.ts: a plain timer fires at once past ~24.8 days).
      const timer = longTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        timer.clear();
        resolve(true);
      };
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
