// The shared-state backend for a running gateway: Redis (with per-instance fallback) when `redis:` is
// set, per-instance memory otherwise.

import type { Config } from '../config/types.ts';
import { MemoryState } from './memory.ts';
import { ResilientState, type StateLog } from './resilient.ts';
import type { SharedState } from './types.ts';

export type { ConsumeResult, Lease, SharedCircuit, SharedState } from './types.ts';
export { MemoryState } from './memory.ts';
export { ResilientState, describeRedis, type StateLog } from './resilient.ts';
export { estimate, fits, waitMs, type WindowSnapshot } from './window.ts';

export async function createState(config: Pick<Config, 'redis'>, log: StateLog): Promise<SharedState> {
  if (!config.redis) return new MemoryState();
  const state = new ResilientState(config.redis, log);
  await state.start();
  return state;
}
