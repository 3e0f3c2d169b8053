// What the dialect registry serves today, asked of the registry itself, so the matrix runs every cell
// whose front and upstream type are registered and names what is missing for the rest.

import { fronts, protocols, providerTypes } from '../../src/protocols/index.ts';

export interface Registered {
  fronts: ReadonlySet<string>;
  /** Provider types (`type:` in sluice.yaml). */
  providerTypes: ReadonlySet<string>;
  /** Provider types whose protocol teaches `sluice mock` its dialect (a cell needs the mock to run). */
  mocked: ReadonlySet<string>;
}

export function registered(): Registered {
  return {
    fronts: new Set(fronts.map((f) => f.name)),
    providerTypes: new Set(providerTypes.map((t) => t.type)),
    mocked: new Set(protocols.flatMap((p) => (p.mock ? (p.providerTypes ?? []).map((t) => t.type) : []))),
  };
}
