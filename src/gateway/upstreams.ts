// Each configured provider's Upstream (core/protocol.ts), made once from its provider type in the
// registry and kept as long as its ProviderConfig object lives: auth caches (tokens, credentials)
// survive across requests, and a reloaded config with new provider objects gets fresh ones.

import { GatewayError } from '../core/errors.ts';
import type { Upstream, UpstreamEnv } from '../core/protocol.ts';
import type { ProviderConfig } from '../config/types.ts';
import { providerType } from '../protocols/index.ts';
import { type Clock, systemClock } from './clock.ts';

const made = new WeakMap<ProviderConfig, Upstream>();

export function upstreamOf(provider: ProviderConfig, env: { clock: Clock; dispatcher?: UpstreamEnv['dispatcher'] }): Upstream {
  let upstream = made.get(provider);
  if (upstream === undefined) {
    const type = providerType(provider.type);
    if (type === undefined) throw new GatewayError('internal', `no provider type "${provider.type}" is registered`);
    upstream = type.create(provider, { now: wallClock(env.clock), dispatcher: env.dispatcher });
    made.set(provider, upstream);
  }
  return upstream;
}

/**
 * Wall time on the gateway's clock. The system clock's own is Date.now; an injected clock (a test's
 * ManualClock counts from 0) is anchored to the wall time at first use, so moving it moves this.
 */
function wallClock(clock: Clock): () => number {
  if (clock === systemClock) return Date.now;
  const wall0 = Date.now();
  const mono0 = clock.now();
  return () => wall0 + (clock.now() - mono0);
}
