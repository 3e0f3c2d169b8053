// The shared-state backend for a running gateway: Redis (with per-instance fallback) when `redis:` is
// set, per-instance memory otherwise.
//
// The Redis side (state/resilient.ts, state/redis.ts, the ioredis client) is imported only when
// `redis:` is set. ioredis subclasses String, and once any loaded module does, V8's string builtins
// (indexOf, slice, charCodeAt) run 2–3× slower in the whole process (docs/token-counting.md, "Why
// bytes and not string methods"): a gateway without Redis must not pay that.

import type { Config } from '../config/types.ts';
import { MemoryState } from './memory.ts';
import type { StateLog } from './resilient.ts';
import type { SharedState } from './types.ts';

export type { ConsumeResult, Lease, SharedCircuit, SharedState } from './types.ts';
export type { StateLog } from './resilient.ts';
export { MemoryState } from './memory.ts';
export { estimate, fits, waitMs, type WindowSnapshot } from './window.ts';

export async function createState(config: Pick<Config, 'redis'>, log: StateLog): Promise<SharedState> {
  if (!config.redis) return new MemoryState();
  const { ResilientState } = await import('./resilient.ts');
  const state = new ResilientState(config.redis, log);
  await state.start();
  return state;
}
