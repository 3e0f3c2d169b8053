// Each configured provider's Upstream (core/protocol.ts), made once from its provider type in the
// registry and kept as long as its ProviderConfig object lives: auth caches (tokens, credentials)
// survive across requests, and a reloaded config with new provider objects gets fresh ones.

import { GatewayError } from '../core/errors.ts';
import type { Upstream } from '../core/protocol.ts';
import type { ProviderConfig } from '../config/types.ts';
import { providerType } from '../protocols/index.ts';

const made = new WeakMap<ProviderConfig, Upstream>();

export function upstreamOf(provider: ProviderConfig): Upstream {
  let upstream = made.get(provider);
  if (upstream === undefined) {
    const type = providerType(provider.type);
    if (type === undefined) throw new GatewayError('internal', `no provider type "${provider.type}" is registered`);
    upstream = type.create(provider);
    made.set(provider, upstream);
  }
  return upstream;
}
