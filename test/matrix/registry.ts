// What the dialect registry serves today, asked of the registry itself, so the matrix runs every cell
// whose front and upstream type are registered and names what is missing for the rest.

import { fronts, upstreams } from '../../src/protocols/index.ts';
import { PROVIDER_TYPES } from '../../src/config/schema.ts';

export interface Registered {
  fronts: ReadonlySet<string>;
  /** Provider types (`type:` in sluice.yaml). */
  providerTypes: ReadonlySet<string>;
  /** Upstream dialects `sluice mock` can speak (a provider type needs its dialect's mock to be tested). */
  mockDialects: ReadonlySet<string>;
}

export function registered(): Registered {
  return {
    fronts: new Set(fronts.map((f) => f.name as string)),
    providerTypes: new Set<string>(PROVIDER_TYPES),
    mockDialects: new Set(upstreams.map((u) => u.name as string)),
  };
}
