// Time, injected (docs/style.md): the attempt's time limits, the pipeline's retry waits and the
// response keepalive read it here, so tests drive a manual clock instead of racing real sleeps.

import { timerDelay } from '../core/timers.ts';
import { turnNow } from '../core/turn-clock.ts';

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /**
   * Calls `fn` after `ms`; the handle goes to clearTimer. Timers never keep the process alive. The
   * system clock may call it early for a delay over ~24.8 days (core/timers.ts): callers check the
   * time when it fires.
   */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/**
 * The process clock. `now()` is the turn clock (core/turn-clock.ts): the events of one upstream
 * read share an instant, read once per event-loop turn rather than once per event.
 */
export const systemClock: Clock = {
  now: turnNow,
  setTimer(fn, ms) {
    // Whole milliseconds: Node keeps one timer list per distinct duration, keyed by the number as
    // a string, so a fractional one (a deadline minus a performance.now() reading, 59999.99999999994)
    // made a list of its own per timer. Rounded up, a timer never fires early. At most ~24.8 days
    // (core/timers.ts): a longer delay fires at the cap and the caller re-arms (the watch does).
    const t = setTimeout(fn, timerDelay(ms));
    t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * A clock a test moves by hand: timers fire, in order, when `advance` passes their time. Same
 * semantics as the system clock, minus the waiting.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first (ties in order set). */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = until;
  }
}
