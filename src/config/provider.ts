// One provider entry (validated YAML) → ProviderConfig: preset first, then the provider's own
// fields on top, then the type's defaults for whatever is still missing.

import { checkBaseUrl, normalizeBaseUrl } from './base-url.ts';
import { DEFAULT_BASE_URL, DEFAULT_STREAMING, DEFAULT_TIMEOUTS } from './defaults.ts';
import type { ConfigPath, ProblemList } from './errors.ts';
import { type ProviderPreset, findPreset, presetNames } from './presets.ts';
import type { RawProvider, RawTimeouts } from './schema.ts';
import { didYouMean } from './suggest.ts';
import type { ProviderConfig, ProviderQuirks, Timeouts } from './types.ts';

// RFC 9110 token: what a header name may contain.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

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

// Only set keys end up in the result, so `{...preset.quirks, ...own}` lets a preset flag through
// unless the provider says otherwise.
function ownQuirks(raw: RawProvider): ProviderQuirks {
  const quirks: ProviderQuirks = {};
  if (raw.inline_think_tags !== undefined) quirks.inlineThinkTags = raw.inline_think_tags;
  if (raw.buffer_tool_calls !== undefined) quirks.bufferToolCalls = raw.buffer_tool_calls;
  if (raw.supports_prefill !== undefined) quirks.supportsPrefill = raw.supports_prefill;
  if (raw.max_tokens_field !== undefined) quirks.maxTokensField = raw.max_tokens_field;
  if (raw.auth_header !== undefined) quirks.authHeader = raw.auth_header;
  if (raw.strip_strict !== undefined) quirks.stripStrict = raw.strip_strict;
  if (raw.reasoning_effort !== undefined) quirks.reasoningEffort = raw.reasoning_effort;
  if (raw.temperature_range !== undefined) quirks.temperatureRange = raw.temperature_range;
  return quirks;
}

/** undefined: no preset asked for; null: an unknown one (reported). */
function lookUpPreset(raw: RawProvider, path: ConfigPath, problems: ProblemList): ProviderPreset | undefined | null {
  if (raw.preset === undefined) return undefined;
  const preset = findPreset(raw.preset);
  if (preset === undefined) {
    const suggestion = didYouMean(raw.preset, presetNames()) || ` (known: ${presetNames().join(', ')})`;
    problems.add([...path, 'preset'], `unknown preset "${raw.preset}"${suggestion}`);
    return null;
  }
  return preset;
}

/** Resolves one provider; returns undefined (with problems added) when it cannot be built. */
export function resolveProvider(
  name: string,
  raw: RawProvider,
  path: ConfigPath,
  problems: ProblemList,
): ProviderConfig | undefined {
  const before = problems.items.length;
  // Clients address `provider/model` (SPEC §2), so a slash in the name would make it unreachable.
  if (name.includes('/')) problems.add(path, 'provider names cannot contain "/" (clients address models as provider/model)');

  const preset = lookUpPreset(raw, path, problems);
  if (preset === null) return undefined;

  const type = raw.type ?? preset?.type;
  if (type === undefined) {
    problems.add([...path, 'type'], 'required (openai | anthropic | gemini | demo) unless a preset is given');
    return undefined;
  }
  if (preset !== undefined && raw.type !== undefined && raw.type !== preset.type) {
    problems.add([...path, 'type'], `"${raw.type}" conflicts with preset "${raw.preset}", which is type ${preset.type}`);
  }

  let baseUrl = raw.base_url ?? preset?.baseUrl ?? DEFAULT_BASE_URL[type];
  if (raw.base_url === undefined && preset !== undefined && preset.baseUrl === undefined) {
    const example = preset.baseUrlExample === undefined ? '' : ` (e.g. ${preset.baseUrlExample})`;
    problems.add([...path, 'base_url'], `required with preset "${raw.preset}"${example}`);
  } else if (type !== 'demo' || baseUrl !== '') {
    const invalid = checkBaseUrl(baseUrl);
    if (invalid !== undefined) problems.add([...path, 'base_url'], invalid);
    else baseUrl = normalizeBaseUrl(type, baseUrl);
  }

  const headers = { ...preset?.headers, ...raw.headers };
  for (const header of Object.keys(raw.headers ?? {})) {
    if (!HEADER_NAME.test(header)) problems.add([...path, 'headers', header], 'not a valid HTTP header name');
  }

  const quirks: ProviderQuirks = { ...preset?.quirks, ...ownQuirks(raw) };
  const range = raw.temperature_range;
  if (range !== undefined && range[0] > range[1]) {
    problems.add([...path, 'temperature_range'], `minimum ${range[0]} is above maximum ${range[1]}`);
  }

  const timeouts = resolveTimeouts(raw.timeouts);
  checkTimeouts(timeouts, path, problems);

  if (problems.items.length > before) return undefined;
  const provider: ProviderConfig = {
    name,
    type,
    baseUrl,
    headers,
    timeouts,
    streaming: raw.streaming ?? preset?.streaming ?? DEFAULT_STREAMING,
    quirks,
  };
  // An empty api_key (`${KEY:-}`) means "no key", e.g. a local server.
  if (raw.api_key !== undefined && raw.api_key !== '') provider.apiKey = raw.api_key;
  if (raw.default_max_tokens !== undefined) provider.defaultMaxTokens = raw.default_max_tokens;
  if (raw.models !== undefined) provider.models = raw.models;
  if (raw.preset !== undefined) provider.preset = raw.preset;
  return provider;
}
