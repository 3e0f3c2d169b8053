// Writes framed bytes onto a response with the plan's pacing, keepalives and early ending. Every
// timer belongs to the request's Schedule and dies with the socket: no writes after close, no leaks.
// With delay=0 all frames go out in one tick, still one res.write each (realistic chunk
// boundaries), pausing only when the socket asks for backpressure.

import type { ServerResponse } from 'node:http';
import type { EndingFault } from './faults.ts';
import type { Framed } from './framing.ts';
import { type BodyWriter, type Encoding, encodedWriter, plainWriter } from './encoding.ts';

export class Schedule {
  private readonly timers = new Set<NodeJS.Timeout>();
  private cancelled = false;

  after(ms: number, fn: () => void): void {
    if (this.cancelled) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  every(ms: number, fn: () => void): void {
    if (this.cancelled) return;
    this.timers.add(setInterval(fn, ms));
  }

  cancel(): void {
    this.cancelled = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

export interface PlayOptions {
  status: number;
  headers: Record<string, string>;
  /** SSE: headers go out at once. A plain body sends them with its first byte. */
  headersEarly: boolean;
  framed: Framed;
  firstMs: number;
  delayMs: number;
  /** 0 = no keepalive frames. */
  keepaliveMs: number;
  /** `stall` = stop at endingAt and hold the connection (stall_mid, keepalive_only). */
  ending: EndingFault | undefined;
  /** keepalive_only `for=`: end the body after this long. */
  endAfterMs: number | undefined;
  /** Called just before the mock deliberately breaks or cuts the response. */
  onFault(): void;
  /** `encoding=`: the body compressed, flushed after every write. */
  encoding?: Encoding | undefined;
}

/** Starts writing; returns a function that stops everything (used by MockServer.close()). */
export function play(res: ServerResponse, o: PlayOptions): () => void {
  const schedule = new Schedule();
  const { frames, endingAt } = o.framed;
  let done = false;
  const stop = (): void => {
    done = true;
    schedule.cancel();
  };
  res.once('close', stop);
  const out: BodyWriter = o.encoding === undefined ? plainWriter(res) : encodedWriter(res, o.encoding);
  const headers = o.encoding === undefined ? o.headers : { ...o.headers, 'content-encoding': o.encoding };
  const finish = (): void => {
    stop();
    out.end();
  };

  if (o.headersEarly) {
    res.writeHead(o.status, headers);
    res.flushHeaders();
    if (o.keepaliveMs > 0 && o.framed.keepaliveFrame !== '') {
      // relays send keepalives before the first token too.
      const keepalive = o.framed.keepaliveFrame;
      out.write(keepalive);
      schedule.every(o.keepaliveMs, () => {
        if (!done) out.write(keepalive);
      });
    }
  }
  if (o.endAfterMs !== undefined) {
    schedule.after(o.endAfterMs, () => {
      o.onFault();
      finish();
    });
  }

  const endEarly = (): void => {
    switch (o.ending) {
      case 'stall_mid':
        return; // hold the connection; keepalives (if any) continue
      case 'drop_mid':
        o.onFault();
        stop();
        // Flush what was written, then close without the chunked terminator: a broken body.
        out.breakOff();
        return;
      case 'corrupt_encoding':
        o.onFault();
        out.corrupt();
        return; // then hold the connection, as stall_mid: the client must not wait for the end
      case 'error_mid':
        o.onFault();
        out.write(o.framed.errorFrame);
        finish();
        return;
      case 'truncate':
        o.onFault();
        finish();
        return;
    }
  };

  let i = 0;
  const step = (): void => {
    while (!done) {
      if (o.ending !== undefined && i === endingAt) return endEarly();
      if (i === frames.length) return finish();
      if (!o.headersEarly && i === 0) {
        if (frames.length === 1 && o.ending === undefined) {
          stop();
          out.single(o.status, headers, frames[0]!);
          return;
        }
        res.writeHead(o.status, headers);
      }
      const flushed = out.write(frames[i++]!);
      if (o.delayMs > 0 && i < frames.length) return schedule.after(o.delayMs, step);
      if (!flushed) {
        out.onceDrain(step);
        return;
      }
    }
  };
  if (o.firstMs > 0) schedule.after(o.firstMs, step);
  else step();
  return stop;
}
