// One provider entry (YAML) → ProviderConfig: preset first, then the provider's own fields on top,
// then the type's defaults for whatever is still missing. The type, its presets, its extra fields
// (quirks and settings) and its base-URL rules come from the protocol registry: nothing here names
// a provider type.

import type { ProviderType } from '../core/protocol.ts';
import { providerType, providerTypes } from '../protocols/index.ts';
import { checkBaseUrl, normalizeBaseUrl } from './base-url.ts';
import { DEFAULT_STREAMING, DEFAULT_TIMEOUTS } from './defaults.ts';
import { type ConfigPath, type ProblemList, formatPath } from './errors.ts';
import { parseSection } from './issues.ts';
import { type ResolvedPreset, findPreset, presetNames } from './presets.ts';
import type { z } from 'zod';
import { camelCase, providerSchemaFor } from './provider-schema.ts';
import type { RawProvider, RawTimeouts } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type { ProviderConfig, Timeouts } from './types.ts';

// RFC 9110 token: what a header name may contain.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function resolveTimeouts(raw: RawTimeouts | undefined): Timeouts {
  return {
    connectMs: raw?.connect ?? DEFAULT_TIMEOUTS.connectMs,
    firstByteMs: raw?.first_byte ?? DEFAULT_TIMEOUTS.firstByteMs,
    idleMs: raw?.idle ?? DEFAULT_TIMEOUTS.idleMs,
    totalMs: raw?.total ?? DEFAULT_TIMEOUTS.totalMs,
  };
}

function checkTimeouts(timeouts: Timeouts, path: ConfigPath, problems: ProblemList): void {
  const fields: Array<[keyof Timeouts, string]> = [
    ['connectMs', 'connect'],
    ['firstByteMs', 'first_byte'],
    ['idleMs', 'idle'],
    ['totalMs', 'total'],
  ];
  for (const [field, yamlName] of fields) {
    if (timeouts[field] <= 0) problems.add([...path, 'timeouts', yamlName], 'must be greater than 0');
  }
}

const typeList = (): string => providerTypes.map((t) => t.type).join(' | ');

/**
 * The provider type an entry asks for (its own `type:` or its preset's), or undefined with the
 * problem added. Looked at before validation, so the entry is validated against its type's fields.
 */
function typeOf(
  entry: unknown,
  path: ConfigPath,
  problems: ProblemList,
  skip: ReadonlySet<string>,
): { type?: ProviderType; preset?: ResolvedPreset | null } {
  // A `${VAR}` that failed to substitute was reported already.
  if (!isRecord(entry) || skip.has(formatPath([...path, 'type'])) || skip.has(formatPath([...path, 'preset']))) return {};
  let preset: ResolvedPreset | null | undefined;
  if (typeof entry.preset === 'string' && entry.preset.trim() !== '') {
    const name = entry.preset.trim();
    preset = findPreset(name) ?? null;
    if (preset === null) {
      const suggestion = didYouMean(name, presetNames()) || ` (known: ${presetNames().join(', ')})`;
      problems.add([...path, 'preset'], `unknown preset "${name}"${suggestion}`);
    }
  }
  const own = typeof entry.type === 'string' ? entry.type.trim() : undefined;
  if (own !== undefined && own !== '') {
    const type = providerType(own);
    if (type === undefined) {
      const suggestion = didYouMean(own, providerTypes.map((t) => t.type));
      problems.add([...path, 'type'], `must be one of ${typeList()}, got "${own}"${suggestion}`);
      return { preset };
    }
    if (preset && preset.type !== type.type) {
      problems.add([...path, 'type'], `"${own}" conflicts with preset "${String(entry.preset).trim()}", which is type ${preset.type}`);
    }
    return { type, preset };
  }
  if (preset) return { type: providerType(preset.type), preset };
  if (preset === undefined && entry.type === undefined) {
    problems.add([...path, 'type'], `required (${typeList()}) unless a preset is given`);
  }
  return { preset };
}

/** The type's own fields of a validated entry, preset options first, camelCased, split into quirks and settings. */
function ownOptions(
  type: ProviderType,
  raw: RawProvider,
  preset: ResolvedPreset | undefined,
): { quirks: Record<string, unknown>; settings: Record<string, unknown> } {
  const pick = (fields: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const field of Object.keys(fields ?? {})) {
      // Only set keys end up in the result, so a preset's flag stays unless the provider says otherwise.
      const value = raw[field] !== undefined ? raw[field] : preset?.options?.[field];
      if (value !== undefined) out[camelCase(field)] = value;
    }
    return out;
  };
  return { quirks: pick(type.quirkFields), settings: pick(type.settingFields) };
}

/** The entry without the fields the schema refuses, parsed again (no problems added); undefined if that fails too. */
function validFieldsOf(schema: z.ZodType, entry: unknown): unknown {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
  const first = schema.safeParse(entry);
  if (first.success) return first.data;
  const bad = new Set<PropertyKey>();
  for (const issue of first.error.issues) {
    if (issue.code === 'unrecognized_keys') issue.keys.forEach((k) => bad.add(k));
    else if (issue.path.length > 0) bad.add(issue.path[0]!);
  }
  const rest = Object.fromEntries(Object.entries(entry).filter(([k]) => !bad.has(k)));
  const second = schema.safeParse(rest);
  return second.success ? second.data : undefined;
}

/** Resolves one provider; returns undefined (with problems added) when it cannot be built. */
export function resolveProvider(
  name: string,
  entry: unknown,
  path: ConfigPath,
  problems: ProblemList,
  skip: ReadonlySet<string>,
): ProviderConfig | undefined {
  const before = problems.items.length;
  // Clients address `provider/model` (SPEC §2), so a slash in the name would make it unreachable.
  if (name.includes('/')) problems.add(path, 'provider names cannot contain "/" (clients address models as provider/model)');

  const { type, preset } = typeOf(entry, path, problems, skip);
  const schema = providerSchemaFor(type);
  // The fields that did validate still get the checks below (base_url, headers, time limits), so
  // `sluice check` lists every problem at once; the provider is refused at the end all the same.
  const raw = (parseSection(schema, entry, path, problems, skip) ?? validFieldsOf(schema, entry)) as RawProvider | undefined;
  if (raw === undefined || type === undefined || preset === null) return undefined;

  // A preset without a base URL (Azure: one host per resource) needs the provider's own.
  let baseUrl = raw.base_url ?? (preset !== undefined ? preset.baseUrl : type.defaultBaseUrl);
  if (baseUrl === undefined) {
    const example = preset?.baseUrlExample === undefined ? '' : ` (e.g. ${preset.baseUrlExample})`;
    problems.add([...path, 'base_url'], preset !== undefined ? `required with preset "${raw.preset}"${example}` : `required for type ${type.type}`);
  } else if (baseUrl !== '') {
    const invalid = checkBaseUrl(baseUrl);
    if (invalid !== undefined) problems.add([...path, 'base_url'], invalid);
    else baseUrl = normalizeBaseUrl(type.type, baseUrl);
  }

  const headers = { ...preset?.headers, ...raw.headers };
  for (const header of Object.keys(raw.headers ?? {})) {
    if (!HEADER_NAME.test(header)) problems.add([...path, 'headers', header], 'not a valid HTTP header name');
  }

  const timeouts = resolveTimeouts(raw.timeouts);
  checkTimeouts(timeouts, path, problems);

  const { quirks, settings } = ownOptions(type, raw, preset);
  const provider: ProviderConfig = {
    name,
    type: type.type,
    baseUrl: baseUrl ?? '',
    headers,
    timeouts,
    streaming: raw.streaming ?? preset?.streaming ?? DEFAULT_STREAMING,
    quirks,
    settings,
  };
  // An empty api_key (`${KEY:-}`) means "no key", e.g. a local server.
  if (raw.api_key !== undefined && raw.api_key !== '') provider.apiKey = raw.api_key;
  if (raw.default_max_tokens !== undefined) provider.defaultMaxTokens = raw.default_max_tokens;
  if (raw.models !== undefined) provider.models = raw.models;
  if (raw.preset !== undefined) provider.preset = raw.preset;
  type.check?.(provider, (field, message) => problems.add([...path, field], message));

  if (problems.items.length > before) return undefined;
  return provider;
}
