// The built-in demo provider and model (SPEC §1): present in every config so a fresh install,
// and `demo/anything` under any config, answers without an upstream.

import { DEFAULT_STRATEGY, DEFAULT_STREAMING, DEFAULT_TIMEOUTS, DEFAULT_WEIGHT } from './defaults.ts';
import type { ModelConfig, ProviderConfig } from './types.ts';

export const DEMO_NAME = 'demo';

export function builtinDemoProvider(): ProviderConfig {
  return {
    name: DEMO_NAME,
    type: 'demo',
    baseUrl: '',
    headers: {},
    timeouts: { ...DEFAULT_TIMEOUTS },
    streaming: DEFAULT_STREAMING,
    quirks: {},
    settings: {},
    builtin: true,
  };
}

export function builtinDemoModel(): ModelConfig {
  return {
    name: DEMO_NAME,
    strategy: DEFAULT_STRATEGY,
    targets: [{ provider: DEMO_NAME, model: DEMO_NAME, weight: DEFAULT_WEIGHT }],
    builtin: true,
  };
}
