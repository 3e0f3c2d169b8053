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

/**
 * Calls `fn` once `ms` have passed, however long that is: the timer re-arms for the rest whenever
 * the cap cut it short. Unref'd like the gateway's other timers when `unref` is set.
 */
export function longTimeout(fn: () => void, ms: number, opts: { unref?: boolean; cap?: number } = {}): LongTimeout {
  const cap = opts.cap ?? MAX_TIMER_MS;
  const due = performance.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (delay: number): void => {
    timer = setTimeout(fire, timerDelay(delay, cap));
    if (opts.unref) timer.unref();
  };
  const fire = (): void => {
    const left = due - performance.now();
    if (left > 0) arm(left);
    else fn();
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
