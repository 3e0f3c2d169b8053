// State shared by the checks of one diagnosis: the target, the hops seen so far, and what earlier
// checks learnt that later ones use (is this a sluice, its keepalive interval, the debug-stream verdict).

import type { Hop } from './hops.ts';
import type { Target } from './target.ts';
import type { DebugVerdict } from './timing.ts';

export interface Session {
  target: Target;
  hops: Hop[];
  /** /debug/stream answered as a sluice does. */
  isSluice: boolean;
  /** The gateway's keepalive interval, from `x-sluice-keepalive-ms` on /debug/stream. */
  keepaliveMs?: number;
  /**
   * Our clock minus the gateway's, plus the one-way latency: the smallest (arrival − sent_at) of the
   * debug-stream test. Maps a gateway send time onto our clock even when a hop delivered it late.
   */
  clockOffsetMs?: number;
  /** The pacing verdict of the debug-stream test, when it ran. */
  debugVerdict?: DebugVerdict;
  /** The chain could not be tested: nothing answered, or the gateway refused the key. */
  couldNotTest: boolean;
  /** Fires when the diagnosis ends early, so probes still running give up their connections. */
  abandon: AbortController;
}

export function createSession(target: Target): Session {
  return { target, hops: [], isSluice: false, couldNotTest: false, abandon: new AbortController() };
}

export function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}
