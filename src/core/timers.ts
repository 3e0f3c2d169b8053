// Delays Node's timers take as given (docs/operations.md, "Very long limits"). A delay above 2^31 − 1 ms
// (about 24.8 days) fires after 1 ms, with a TimeoutOverflowWarning: a `total: 1000h` or a
// `drain_timeout: 720h` in the config made the attempt's watch re-arm every millisecond for the
// whole stream, and the drain end at once. Longer delays are set at the cap, and whoever set them
// re-arms for the rest when it fires (the attempt's watch and the response keepalive do by design,
// longTimeout here for the rest). Fractions of a millisecond are rounded up: Node keeps one timer
// list per distinct duration, and a timer never fires early.

/** The longest delay Node's timers take (2^31 − 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a delay Node's timers take: whole milliseconds, rounded up, at most `cap`. */
export function timerDelay(ms: number, cap = MAX_TIMER_MS): number {
  return ms >= cap ? cap : Math.ceil(ms);
}

export interface LongTimeout {
  clear(): void;
}

/** What longTimeout sets its timers on: the process's, or a test's manual clock (gateway/clock.ts has the same shape). */
export interface TimerHost {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

const processTimers: TimerHost = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, timerDelay(ms)),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Calls `fn` once `ms` have passed, however long that is: when its timer fires early (the process's
 * timers stop at MAX_TIMER_MS) it re-arms for the rest. The timer keeps the process alive.
 */
export function longTimeout(fn: () => void, ms: number, timers: TimerHost = processTimers): LongTimeout {
  const due = timers.now() + ms;
  let handle: unknown;
  const fire = (): void => {
    const left = due - timers.now();
    if (left > 0) handle = timers.setTimer(fire, left);
    else fn();
  };
  handle = timers.setTimer(fire, ms);
  return { clear: () => timers.clearTimer(handle) };
}
