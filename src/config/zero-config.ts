// Zero-config (SPEC §1): no --config and no ./sluice.yaml. The demo provider and model, plus one
// provider per vendor key found in the environment (the presets that declare one); clients reach those as `provider/model`.

import { checkBaseUrl, normalizeBaseUrl } from './base-url.ts';
import {
  DEFAULT_BREAKER,
  DEFAULT_LOGGING,
  DEFAULT_RETRIES,
  DEFAULT_SERVER,
  DEFAULT_STORE,
  DEFAULT_STREAMING,
  DEFAULT_TIMEOUTS,
  ZERO_CONFIG_SOURCE,
} from './defaults.ts';
import { DEMO_NAME, builtinDemoModel, builtinDemoProvider } from './demo.ts';
import type { Env } from './env.ts';
import { ConfigError } from './errors.ts';
import { presets, settingsSections, type PresetEntry } from '../protocols/index.ts';
import { camelCase } from './provider-schema.ts';
import type { Config, ProviderConfig } from './types.ts';

function envProvider(entry: PresetEntry, apiKey: string, env: Env, problems: string[]): ProviderConfig {
  const { name, type, preset } = entry;
  const baseUrlVar = preset.env?.baseUrlVar;
  const override = baseUrlVar === undefined ? undefined : env[baseUrlVar]?.trim();
  const baseUrl = override !== undefined && override !== '' ? override : (preset.baseUrl ?? type.defaultBaseUrl ?? '');
  const invalid = checkBaseUrl(baseUrl);
  if (invalid !== undefined) problems.push(`${baseUrlVar}: ${invalid}`);
  const options = (fields: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> =>
    Object.fromEntries(Object.entries(preset.options ?? {}).filter(([k]) => fields !== undefined && k in fields).map(([k, v]) => [camelCase(k), v]));
  return {
    name,
    type: type.type,
    baseUrl: normalizeBaseUrl(type.type, baseUrl),
    apiKey,
    headers: { ...preset.headers },
    timeouts: { ...DEFAULT_TIMEOUTS },
    streaming: preset.streaming ?? DEFAULT_STREAMING,
    quirks: options(type.quirkFields),
    settings: options(type.settingFields),
    preset: name,
  };
}

/** Throws ConfigError only when a *_BASE_URL variable is not a usable URL. */
export function zeroConfig(env: Env = process.env): Config {
  const providers: Record<string, ProviderConfig> = { [DEMO_NAME]: builtinDemoProvider() };
  const problems: string[] = [];
  // Presets that name a key variable (the vendors' own: OPENAI_API_KEY, ANTHROPIC_API_KEY, …).
  // The vendors' own presets (named after their type) first, then relays such as OpenRouter.
  const ordered = [...presets.filter((p) => p.name === p.type.type), ...presets.filter((p) => p.name !== p.type.type)];
  for (const entry of ordered) {
    if (entry.preset.env === undefined) continue;
    const apiKey = env[entry.preset.env.keyVar]?.trim();
    if (apiKey !== undefined && apiKey !== '') providers[entry.name] = envProvider(entry, apiKey, env, problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    server: { ...DEFAULT_SERVER },
    providers,
    models: { [DEMO_NAME]: builtinDemoModel() },
    retries: { ...DEFAULT_RETRIES },
    breaker: { ...DEFAULT_BREAKER },
    auth: { keys: [] },
    store: DEFAULT_STORE,
    logging: { ...DEFAULT_LOGGING },
    pricing: {},
    telemetry: { content: false, serviceName: 'sluice' },
    sections: defaultSections(),
    source: ZERO_CONFIG_SOURCE,
  };
}

/** Protocol-owned sections with nothing configured. */
function defaultSections(): Record<string, unknown> {
  return Object.fromEntries(settingsSections().map((s) => [s.key, s.resolve(undefined)]));
}
