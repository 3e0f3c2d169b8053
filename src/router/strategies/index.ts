// Strategies by config name: a table, not a switch (docs/style.md).

import type { Strategy } from '../../config/types.ts';
import { fallback } from './fallback.ts';
import { latency } from './latency.ts';
import { leastBusy } from './least-busy.ts';
import type { OrderTargets } from './types.ts';
import { weighted } from './weighted.ts';

export type { Candidate, OrderTargets } from './types.ts';
export { weightedOrder } from './weighted.ts';
export { EXPLORATION_SHARE } from './latency.ts';

export const STRATEGIES: Readonly<Record<Strategy, OrderTargets>> = {
  weighted,
  fallback,
  'least-busy': leastBusy,
  latency,
};
