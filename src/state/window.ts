// Sliding-window counter math (the approximation Cloudflare and Redis rate limiters use): two fixed
// windows, the previous one weighted by how much of it still overlaps the sliding window. O(1)
// memory per counter, atomic as one Redis script, and — unlike a plain fixed window — no double
// burst at a window boundary: a limit of N holds for any run of requests much shorter than a window.

export interface WindowSnapshot {
  /** Count in the previous fixed window. */
  prev: number;
  /** Count in the current fixed window. */
  curr: number;
  /** ms since the current fixed window started. */
  elapsedMs: number;
  windowMs: number;
}

/** The estimated count over the last windowMs. */
export function estimate(s: WindowSnapshot): number {
  return s.prev * (1 - s.elapsedMs / s.windowMs) + s.curr;
}

/** Whether `cost` more fits under `limit` now. */
export function fits(s: WindowSnapshot, limit: number, cost: number): boolean {
  return estimate(s) + cost <= limit;
}

/** ms until `cost` more fits under `limit` (0 when it fits now); a cost above the limit never fits. */
export function waitMs(s: WindowSnapshot, limit: number, cost: number): number {
  if (fits(s, limit, cost)) return 0;
  const w = s.windowMs;
  const room = limit - cost - s.curr;
  // Still in this window: the previous window's weight shrinks until the estimate fits.
  if (room >= 0 && s.prev > 0) return Math.max(0, Math.ceil(w * (1 - room / s.prev) - s.elapsedMs));
  if (cost > limit) return w;
  // Only in the next window, where this window's count becomes the shrinking "previous" one.
  const untilNext = w - s.elapsedMs;
  const after = s.curr > 0 ? w * (1 - (limit - cost) / s.curr) : 0;
  return Math.ceil(untilNext + Math.max(0, after));
}
