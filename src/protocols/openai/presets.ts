// Presets of the `openai` provider type: data only (SPEC §2 `preset:`). Options are spelled as in
// sluice.yaml; a provider's own fields win key by key.

import type { ProviderPreset } from '../../core/protocol.ts';

export const openaiPresets: Readonly<Record<string, ProviderPreset>> = {
  openai: { baseUrl: 'https://api.openai.com/v1', env: { keyVar: 'OPENAI_API_KEY', baseUrlVar: 'OPENAI_BASE_URL' } },
  // OpenRouter speaks OpenAI chat; its keepalive comments and in-stream errors are
  // handled by the OpenAI upstream parser for everyone, so no quirk flags are needed.
  openrouter: { baseUrl: 'https://openrouter.ai/api/v1', env: { keyVar: 'OPENROUTER_API_KEY' } },
  // MiniMax's OpenAI-compatible /v1 puts <think>…</think> inline in content, wants
  // max_completion_tokens and rejects `strict` on tool definitions (translation.md §3).
  'minimax-openai': {
    baseUrl: 'https://api.minimax.io/v1',
    options: {
      inline_think_tags: true,
      max_tokens_field: 'max_completion_tokens',
      strip_strict: true,
      temperature_range: [0.01, 1],
    },
  },
  ollama: { baseUrl: 'http://127.0.0.1:11434/v1' },
  vllm: { baseUrl: 'http://127.0.0.1:8000/v1' },
  llamacpp: { baseUrl: 'http://127.0.0.1:8080/v1' },
  exo: { baseUrl: 'http://127.0.0.1:52415/v1' },
};
