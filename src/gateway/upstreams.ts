// Each configured provider's Upstream (core/protocol.ts), made once from its provider type in the
// registry and kept as long as its ProviderConfig object lives: auth caches (tokens, credentials)
// survive across requests, and a reloaded config with new provider objects gets fresh ones.

import { GatewayError } from '../core/errors.ts';
import type { Upstream, UpstreamEnv } from '../core/protocol.ts';
import type { ProviderConfig } from '../config/types.ts';
import { providerType } from '../protocols/index.ts';
import { type Clock, systemClock } from './clock.ts';

const made = new WeakMap<ProviderConfig, Upstream>();

export function upstreamOf(target: ProviderConfig, env: { clock: Clock; dispatcher?: UpstreamEnv['dispatcher']; log?: UpstreamEnv['log'] }): Upstream {
  // A retry's copy of the provider (clamped time limits) shares the configured provider's upstream.
  const provider = target.origin ?? target;
  let upstream = made.get(provider);
  if (upstream === undefined) {
    const type = providerType(provider.type);
    if (type === undefined) throw new GatewayError('internal', `no provider type "${provider.type}" is registered`);
    upstream = type.create(provider, { now: wallClock(env.clock), dispatcher: env.dispatcher, log: env.log });
    made.set(provider, upstream);
  }
  return upstream;
}

/**
 * Closes the upstreams made for these providers (background token refreshes, cache creations, idle
 * clients), once nothing uses them: at shutdown, after the drain. Errors are the upstream's own and
 * are not the caller's concern.
 */
export async function closeUpstreams(providers: Iterable<ProviderConfig>): Promise<void> {
  const closing: Array<Promise<void>> = [];
  for (const provider of providers) {
    const upstream = made.get(provider);
    if (upstream === undefined) continue;
    made.delete(provider);
    if (upstream.kind === 'http' && upstream.close) closing.push(upstream.close().catch(() => undefined));
  }
  await Promise.all(closing);
}

/**
 * Wall time on the gateway's clock. The system clock's own is Date.now; an injected clock (a test's
 * ManualClock counts from 0) is anchored to the wall time at first use, so moving it moves this.
 */
function wallClock(clock: Clock): () => number {
  if (clock === systemClock) return Date.now;
  let wall = walls.get(clock);
  if (wall === undefined) {
    const wall0 = Date.now();
    const mono0 = clock.now();
    wall = () => wall0 + (clock.now() - mono0);
    walls.set(clock, wall);
  }
  return wall;
}

/** One anchor per clock, so every upstream made on it reads the same time. */
const walls = new WeakMap<Clock, () => number>();
