// Provider presets: data only. A provider may say `preset: ollama` and override any field; quirks
// and headers merge key by key with the provider's own winning.

import type { ProviderQuirks, ProviderType, StreamingMode } from './types.ts';

export interface ProviderPreset {
  type: ProviderType;
  /** Absent when every deployment has its own host (Azure); the provider must then give base_url. */
  baseUrl?: string;
  /** Shown when base_url is missing for a preset without one. */
  baseUrlExample?: string;
  quirks?: ProviderQuirks;
  headers?: Record<string, string>;
  streaming?: StreamingMode;
}

export const PROVIDER_PRESETS: Readonly<Record<string, ProviderPreset>> = {
  openai: { type: 'openai', baseUrl: 'https://api.openai.com/v1' },
  anthropic: { type: 'anthropic', baseUrl: 'https://api.anthropic.com' },
  gemini: { type: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com' },
  // OpenRouter speaks OpenAI chat; its keepalive comments and in-stream errors are
  // handled by the OpenAI upstream parser for everyone, so no quirk flags are needed.
  openrouter: { type: 'openai', baseUrl: 'https://openrouter.ai/api/v1' },
  // Azure AI Foundry's Anthropic endpoint accepts `x-api-key` as well as `api-key`, so the
  // Anthropic default header works; each resource has its own host, hence no base URL.
  'azure-anthropic': {
    type: 'anthropic',
    baseUrlExample: 'https://<resource>.services.ai.azure.com/anthropic',
  },
  // MiniMax: temperature must be in (0, 1].
  minimax: {
    type: 'anthropic',
    baseUrl: 'https://api.minimax.io/anthropic',
    quirks: { temperatureRange: [0.01, 1] },
  },
  // MiniMax's OpenAI-compatible /v1 puts <think>…</think> inline in content, wants
  // max_completion_tokens and rejects `strict` on tool definitions (translation.md §3).
  'minimax-openai': {
    type: 'openai',
    baseUrl: 'https://api.minimax.io/v1',
    quirks: {
      inlineThinkTags: true,
      maxTokensField: 'max_completion_tokens',
      stripStrict: true,
      temperatureRange: [0.01, 1],
    },
  },
  ollama: { type: 'openai', baseUrl: 'http://127.0.0.1:11434/v1' },
  vllm: { type: 'openai', baseUrl: 'http://127.0.0.1:8000/v1' },
  llamacpp: { type: 'openai', baseUrl: 'http://127.0.0.1:8080/v1' },
  exo: { type: 'openai', baseUrl: 'http://127.0.0.1:52415/v1' },
};

/** The preset of that name; own keys only, so `toString` or `__proto__` are not presets. */
export function findPreset(name: string): ProviderPreset | undefined {
  return Object.hasOwn(PROVIDER_PRESETS, name) ? PROVIDER_PRESETS[name] : undefined;
}

export function presetNames(): string[] {
  return Object.keys(PROVIDER_PRESETS);
}
