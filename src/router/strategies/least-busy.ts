// `least-busy`: the target with the fewest requests in flight from this instance first. Targets that
// are equally busy are ordered by weight (a weighted random order among them), so an idle gateway
// still spreads sequential requests by weight instead of always picking the same target.

import type { OrderTargets } from './types.ts';
import { weightedOrder } from './weighted.ts';

export const leastBusy: OrderTargets = (candidates, random) => {
  const order = weightedOrder(candidates, random);
  // Array.prototype.sort is stable: ties keep their weighted order.
  return order.sort((a, b) => a.health.inFlight - b.health.inFlight);
};
