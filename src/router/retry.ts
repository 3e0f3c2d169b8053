// When another attempt may start, and how long to wait first (SPEC §4.6).
//
// - A retry of the same target waits an exponential backoff with jitter (`retries.backoff`, doubling,
//   capped by `retries.max_backoff`); a failover to another target starts at once, since that
//   target's health is independent of the failure just seen.
// - `retry-after` is honoured: a target that asked for it is not called again sooner. When the wait
//   it asks for exceeds `max_backoff`, the target is not retried within this request at all (the
//   client gets the upstream's 429/503 with its retry-after instead of a silent long stall).
// - The request has a deadline: the first target's `timeouts.total` from the first attempt. No
//   attempt starts unless at least MIN_ATTEMPT_MS remain after the wait, and a later attempt's own
//   total limit is cut to what remains, so retries never stretch a request past its time limit.

import type { RetryConfig } from '../config/types.ts';
import type { ResolvedTarget } from '../gateway/attempt.ts';

/** Less time than this left before the deadline: an attempt cannot produce a useful answer. */
export const MIN_ATTEMPT_MS = 1000;

/** Backoff before retry number `attempt` (1 = the first retry) of the same target, with jitter. */
export function backoffMs(retries: RetryConfig, attempt: number, random: () => number): number {
  const base = Math.min(retries.maxBackoffMs, retries.backoffMs * 2 ** Math.max(0, attempt - 1));
  // "Equal jitter": half fixed, half random, so concurrent retries spread without collapsing to ~0.
  return base * (0.5 + random() / 2);
}

export interface DelayInput {
  /** Attempts already made in this request. */
  attempts: number;
  /** The candidate is the target that just failed. */
  sameTarget: boolean;
  /** ms until the target's retry-after cool-down ends (≤ 0: none). */
  coolingMs: number;
  /** ms left before the request's deadline. */
  remainingMs: number;
}

/** ms to wait before trying the candidate, or undefined when it must not be tried in this request. */
export function retryDelay(retries: RetryConfig, input: DelayInput, random: () => number): number | undefined {
  if (input.attempts === 0) return 0;
  let delay = input.sameTarget ? backoffMs(retries, input.attempts, random) : 0;
  if (input.coolingMs > delay) {
    if (input.coolingMs > retries.maxBackoffMs) return undefined;
    delay = input.coolingMs;
  }
  if (input.remainingMs - delay < MIN_ATTEMPT_MS) return undefined;
  return delay;
}

/** The target with its total time limit cut to what is left of the request's deadline. */
export function clampToDeadline(target: ResolvedTarget, remainingMs: number): ResolvedTarget {
  const t = target.provider.timeouts;
  if (remainingMs >= t.totalMs) return target;
  const totalMs = Math.max(0, Math.floor(remainingMs));
  return {
    ...target,
    provider: { ...target.provider, timeouts: { ...t, totalMs, firstByteMs: Math.min(t.firstByteMs, totalMs) }, origin: target.provider.origin ?? target.provider },
  };
}
