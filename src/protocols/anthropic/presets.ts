// Presets of the `anthropic` provider type: data only (SPEC §2 `preset:`).

import type { ProviderPreset } from '../../core/protocol.ts';

/** Betas of Messages features Azure AI Foundry hosts (any date of each); the rest are dropped. */
export const FOUNDRY_BETAS = [
  'claude-code-*',
  'interleaved-thinking-*',
  'context-management-*',
  'context-1m-*',
  'effort-*',
  'fine-grained-tool-streaming-*',
  'token-efficient-tools-*',
  'extended-cache-ttl-*',
  'prompt-caching-*',
  'thinking-token-count-*',
];

export const anthropicPresets: Readonly<Record<string, ProviderPreset>> = {
  anthropic: { baseUrl: 'https://api.anthropic.com', env: { keyVar: 'ANTHROPIC_API_KEY', baseUrlVar: 'ANTHROPIC_BASE_URL' } },
  // Azure AI Foundry's Anthropic endpoint accepts `x-api-key` as well as `api-key`, so the
  // Anthropic default header works; each resource has its own host, hence no base URL. It hosts the
  // Messages features but not the Files API, MCP connector, skills or server tools (§9): only the
  // betas of features it hosts are forwarded (docs/anthropic-beta.md).
  'azure-anthropic': {
    baseUrlExample: 'https://<resource>.services.ai.azure.com/anthropic',
    options: { anthropic_beta: FOUNDRY_BETAS },
  },
  // MiniMax: temperature must be in (0, 1]; it implements no Anthropic beta and fails tool
  // use when sent fine-grained-tool-streaming, so no beta is forwarded (docs/anthropic-beta.md).
  minimax: { baseUrl: 'https://api.minimax.io/anthropic', options: { temperature_range: [0.01, 1], anthropic_beta: 'drop' } },
};
