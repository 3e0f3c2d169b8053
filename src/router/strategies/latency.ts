// `latency`: the target with the lowest moving average of time to first event first. A target never
// measured goes first (it must be measured once to be ranked). A small share of requests explores:
// one other target goes first, so a target that was slow and has recovered is measured again and can
// win its traffic back; without it, a once-slow target would never be tried while the fast one works.

import type { Candidate, OrderTargets } from './types.ts';
import { weightedOrder } from './weighted.ts';

/** Share of requests that go to a target other than the fastest, to keep measurements fresh. */
export const EXPLORATION_SHARE = 0.1;

export const latency: OrderTargets = (candidates, random) => {
  // Weighted order first so that ties (equal or unmeasured averages) are broken by weight.
  const order = weightedOrder(candidates, random).sort((a, b) => rank(a) - rank(b));
  if (order.length > 1 && random() < EXPLORATION_SHARE) {
    const i = 1 + Math.floor(random() * (order.length - 1));
    const [explored] = order.splice(i, 1);
    order.unshift(explored!);
  }
  return order;
};

function rank(c: Candidate): number {
  return c.health.latencyMs ?? -1;
}
