// Zero-config (SPEC §1): no --config and no ./sluice.yaml. The demo provider and model, plus one
// provider per vendor key found in the environment; clients reach those as `provider/model`.

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
import { PROVIDER_PRESETS } from './presets.ts';
import type { Config, ProviderConfig } from './types.ts';

interface EnvProvider {
  name: string; // also the preset it is built from
  keyVar: string;
  // The official SDKs honour these, so users who set them expect the gateway to as well.
  baseUrlVar?: string;
}

const ENV_PROVIDERS: readonly EnvProvider[] = [
  { name: 'openai', keyVar: 'OPENAI_API_KEY', baseUrlVar: 'OPENAI_BASE_URL' },
  { name: 'anthropic', keyVar: 'ANTHROPIC_API_KEY', baseUrlVar: 'ANTHROPIC_BASE_URL' },
  { name: 'gemini', keyVar: 'GEMINI_API_KEY' },
  { name: 'openrouter', keyVar: 'OPENROUTER_API_KEY' },
];

function envProvider(spec: EnvProvider, apiKey: string, env: Env, problems: string[]): ProviderConfig {
  const preset = PROVIDER_PRESETS[spec.name];
  const override = spec.baseUrlVar === undefined ? undefined : env[spec.baseUrlVar]?.trim();
  const baseUrl = override !== undefined && override !== '' ? override : (preset.baseUrl ?? '');
  const invalid = checkBaseUrl(baseUrl);
  if (invalid !== undefined) problems.push(`${spec.baseUrlVar}: ${invalid}`);
  return {
    name: spec.name,
    type: preset.type,
    baseUrl: normalizeBaseUrl(preset.type, baseUrl),
    apiKey,
    headers: { ...preset.headers },
    timeouts: { ...DEFAULT_TIMEOUTS },
    streaming: preset.streaming ?? DEFAULT_STREAMING,
    quirks: { ...preset.quirks },
    preset: spec.name,
  };
}

/** Throws ConfigError only when a *_BASE_URL variable is not a usable URL. */
export function zeroConfig(env: Env = process.env): Config {
  const providers: Record<string, ProviderConfig> = { [DEMO_NAME]: builtinDemoProvider() };
  const problems: string[] = [];
  for (const spec of ENV_PROVIDERS) {
    const apiKey = env[spec.keyVar]?.trim();
    if (apiKey !== undefined && apiKey !== '') providers[spec.name] = envProvider(spec, apiKey, env, problems);
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
    source: ZERO_CONFIG_SOURCE,
  };
}
