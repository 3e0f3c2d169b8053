// Presets of the `gemini` provider type: data only (SPEC §2 `preset:`).

import type { ProviderPreset } from '../../core/protocol.ts';

export const geminiPresets: Readonly<Record<string, ProviderPreset>> = {
  gemini: { baseUrl: 'https://generativelanguage.googleapis.com', env: { keyVar: 'GEMINI_API_KEY' } },
};
