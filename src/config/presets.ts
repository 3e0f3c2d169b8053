// Provider presets, as the protocol folders declare them (ProviderType.presets): data only. A
// provider may say `preset: ollama` and override any field; quirks, settings and headers merge key
// by key with the provider's own winning.

import type { ProviderPreset } from '../core/protocol.ts';
import { findPreset as registryPreset, presets } from '../protocols/index.ts';

export interface ResolvedPreset extends ProviderPreset {
  /** The provider type the preset belongs to. */
  type: string;
}

/** name → preset (with its type), every preset of every registered provider type. */
export const PROVIDER_PRESETS: Readonly<Record<string, ResolvedPreset>> = Object.fromEntries(
  presets.map((p) => [p.name, { ...p.preset, type: p.type.type }]),
);

export type { ProviderPreset };

/** The preset of that name; own keys only, so `toString` or `__proto__` are not presets. */
export function findPreset(name: string): ResolvedPreset | undefined {
  const entry = registryPreset(name);
  return entry === undefined ? undefined : { ...entry.preset, type: entry.type.type };
}

export function presetNames(): string[] {
  return presets.map((p) => p.name);
}
