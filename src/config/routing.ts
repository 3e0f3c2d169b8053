// Models and static client keys: the sections that refer to other names (providers, models),
// so they are resolved after providers and checked across fields.

import { DEFAULT_STRATEGY, DEFAULT_WEIGHT } from './defaults.ts';
import type { ConfigPath, ProblemList } from './errors.ts';
import type { RawKey, RawModel } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type { ModelConfig, StaticKeyConfig } from './types.ts';

export function resolveModel(
  name: string,
  raw: RawModel,
  providerNames: ReadonlySet<string>,
  path: ConfigPath,
  problems: ProblemList,
): ModelConfig {
  const model: ModelConfig = {
    name,
    strategy: raw.strategy ?? DEFAULT_STRATEGY,
    targets: raw.targets.map((t) => ({ provider: t.provider, model: t.model, weight: t.weight ?? DEFAULT_WEIGHT })),
  };
  model.targets.forEach((target, i) => {
    if (!providerNames.has(target.provider)) {
      problems.add(
        [...path, 'targets', i, 'provider'],
        `unknown provider "${target.provider}"${didYouMean(target.provider, providerNames)}`,
      );
    }
  });
  // Weighted picks in proportion to weight; with every weight 0 nothing can ever be picked.
  if (model.strategy === 'weighted' && model.targets.every((t) => t.weight === 0)) {
    problems.add([...path, 'targets'], 'every weight is 0; the weighted strategy needs one above 0');
  }
  return model;
}

/**
 * A key's `models` entry names a configured model, or `provider/model` for direct addressing
 * (SPEC §2). Entries with `*` are patterns and left to the matcher.
 */
function checkKeyModel(
  entry: string,
  modelNames: ReadonlySet<string>,
  providerNames: ReadonlySet<string>,
  path: ConfigPath,
  problems: ProblemList,
): void {
  if (entry.includes('*') || modelNames.has(entry)) return;
  const slash = entry.indexOf('/');
  if (slash === -1) {
    problems.add(path, `unknown model "${entry}"${didYouMean(entry, modelNames)}`);
    return;
  }
  const provider = entry.slice(0, slash);
  if (!providerNames.has(provider)) {
    problems.add(path, `unknown provider "${provider}" in "${entry}"${didYouMean(provider, providerNames)}`);
  }
}

export interface KeyEntry {
  index: number;
  raw: RawKey;
}

export function resolveKeys(
  entries: readonly KeyEntry[],
  modelNames: ReadonlySet<string>,
  providerNames: ReadonlySet<string>,
  problems: ProblemList,
): StaticKeyConfig[] {
  const byName = new Map<string, number>();
  const byKey = new Map<string, number>();
  const keys: StaticKeyConfig[] = [];
  for (const { index, raw } of entries) {
    const path: ConfigPath = ['auth', 'keys', index];
    const sameName = byName.get(raw.name);
    if (sameName !== undefined) problems.add([...path, 'name'], `duplicate key name "${raw.name}" (also auth.keys[${sameName}])`);
    else byName.set(raw.name, index);
    // Two names for one secret would make usage and limits ambiguous. Never echo the key itself.
    const sameKey = byKey.get(raw.key);
    if (sameKey !== undefined) problems.add([...path, 'key'], `same key as auth.keys[${sameKey}]`);
    else byKey.set(raw.key, index);
    raw.models?.forEach((entry, i) => checkKeyModel(entry, modelNames, providerNames, [...path, 'models', i], problems));

    const key: StaticKeyConfig = { name: raw.name, key: raw.key };
    if (raw.models !== undefined) key.models = raw.models;
    if (raw.rpm !== undefined) key.rpm = raw.rpm;
    if (raw.tpm !== undefined) key.tpm = raw.tpm;
    if (raw.concurrency !== undefined) key.concurrency = raw.concurrency;
    keys.push(key);
  }
  return keys;
}
