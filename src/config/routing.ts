// Models and static client keys: the sections that refer to other names (providers, models).
// Cross-references are checked on the raw entries, so a typo'd provider name is still reported
// when the same model also has a schema problem (every problem at once, SPEC §1).

import { DEFAULT_STRATEGY, DEFAULT_WEIGHT } from './defaults.ts';
import type { ConfigPath, ProblemList } from './errors.ts';
import type { RawKey, RawModel } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type { ModelConfig, StaticKeyConfig } from './types.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function resolveModel(name: string, raw: RawModel, path: ConfigPath, problems: ProblemList): ModelConfig {
  const model: ModelConfig = {
    name,
    strategy: raw.strategy ?? DEFAULT_STRATEGY,
    targets: raw.targets.map((t) => ({ provider: t.provider, model: t.model, weight: t.weight ?? DEFAULT_WEIGHT })),
  };
  if (raw.continue_on_failure === true) model.continueOnFailure = true;
  // Weighted picks in proportion to weight; with every weight 0 nothing can ever be picked.
  if (model.strategy === 'weighted' && model.targets.every((t) => t.weight === 0)) {
    problems.add([...path, 'targets'], 'every weight is 0; the weighted strategy needs one above 0');
  }
  return model;
}

/** `models.<name>.targets[i].provider` must name a provider. */
export function checkTargetRefs(
  entry: unknown,
  providerNames: ReadonlySet<string>,
  path: ConfigPath,
  problems: ProblemList,
): void {
  if (!isRecord(entry) || !Array.isArray(entry.targets)) return;
  entry.targets.forEach((target: unknown, i) => {
    if (!isRecord(target) || typeof target.provider !== 'string') return;
    const provider = target.provider.trim();
    if (provider === '' || providerNames.has(provider)) return;
    problems.add([...path, 'targets', i, 'provider'], `unknown provider "${provider}"${didYouMean(provider, providerNames)}`);
  });
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
  if (entry === '' || entry.includes('*') || modelNames.has(entry)) return;
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

/** Key names unique, key values unique, `models` entries resolvable; on the raw `auth.keys` list. */
export function checkKeyRefs(
  entries: readonly unknown[],
  modelNames: ReadonlySet<string>,
  providerNames: ReadonlySet<string>,
  problems: ProblemList,
): void {
  const byName = new Map<string, number>();
  const byKey = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const path: ConfigPath = ['auth', 'keys', index];
    if (typeof entry.name === 'string' && entry.name.trim() !== '') {
      const name = entry.name.trim();
      const first = byName.get(name);
      if (first === undefined) byName.set(name, index);
      else problems.add([...path, 'name'], `duplicate key name "${name}" (also auth.keys[${first}])`);
    }
    if (typeof entry.key === 'string' && entry.key !== '') {
      // Two names for one secret would make usage and limits ambiguous. Never echo the key itself.
      const first = byKey.get(entry.key);
      if (first === undefined) byKey.set(entry.key, index);
      else problems.add([...path, 'key'], `same key as auth.keys[${first}]`);
    }
    if (Array.isArray(entry.models)) {
      entry.models.forEach((model: unknown, i) => {
        if (typeof model === 'string') checkKeyModel(model.trim(), modelNames, providerNames, [...path, 'models', i], problems);
      });
    }
  });
}

export function resolveKey(raw: RawKey): StaticKeyConfig {
  const key: StaticKeyConfig = { name: raw.name, key: raw.key };
  if (raw.models !== undefined) key.models = raw.models;
  if (raw.rpm !== undefined) key.rpm = raw.rpm;
  if (raw.tpm !== undefined) key.tpm = raw.tpm;
  if (raw.concurrency !== undefined) key.concurrency = raw.concurrency;
  if (raw.budget !== undefined) key.budget = raw.budget;
  return key;
}
