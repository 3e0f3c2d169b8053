// `weighted`: a weighted random permutation. The first pick is proportional to weight; each later
// pick is proportional among those not yet picked, so retries fail over in a weighted order too.

import type { Candidate, OrderTargets } from './types.ts';

export const weighted: OrderTargets = (candidates, random) => weightedOrder(candidates, random);

export function weightedOrder(candidates: readonly Candidate[], random: () => number): Candidate[] {
  if (candidates.length < 2) return [...candidates];
  const pool = [...candidates];
  const out: Candidate[] = [];
  while (pool.length > 0) {
    let total = 0;
    for (const c of pool) total += Math.max(0, c.weight);
    // All remaining weights 0: keep their configured order.
    let pick = 0;
    if (total > 0) {
      let r = random() * total;
      pick = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        r -= Math.max(0, pool[i]!.weight);
        if (r < 0) {
          pick = i;
          break;
        }
      }
      // Floating point may leave r at exactly 0 on the last positive weight: never pick a 0-weight.
      while (pick > 0 && pool[pick]!.weight <= 0) pick--;
    }
    out.push(pool[pick]!);
    pool.splice(pick, 1);
  }
  return out;
}
