// Presets of the `anthropic` provider type: data only (SPEC §2 `preset:`).

import type { ProviderPreset } from '../../core/protocol.ts';

export const anthropicPresets: Readonly<Record<string, ProviderPreset>> = {
  anthropic: { baseUrl: 'https://api.anthropic.com', env: { keyVar: 'ANTHROPIC_API_KEY', baseUrlVar: 'ANTHROPIC_BASE_URL' } },
  // Azure AI Foundry's Anthropic endpoint accepts `x-api-key` as well as `api-key`, so the
  // Anthropic default header works; each resource has its own host, hence no base URL.
  'azure-anthropic': { baseUrlExample: 'https://<resource>.services.ai.azure.com/anthropic' },
  // MiniMax: temperature must be in (0, 1].
  minimax: { baseUrl: 'https://api.minimax.io/anthropic', options: { temperature_range: [0.01, 1] } },
};
