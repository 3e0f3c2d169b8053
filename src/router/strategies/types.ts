// A strategy orders a model's targets for one request (SPEC §2 `strategy`). The plan then walks that
// order, skipping targets whose circuit is open (router/index.ts). Strategies are pure functions of
// the candidates, their health and an injected random source, so tests can pin every choice.

import type { ResolvedTarget } from '../../gateway/attempt.ts';
import type { TargetHealth } from '../health.ts';

export interface Candidate {
  target: ResolvedTarget;
  /** Config weight (default 1; 0 means "only when nothing else is left"). */
  weight: number;
  health: TargetHealth;
}

export type OrderTargets = (candidates: readonly Candidate[], random: () => number) => Candidate[];
