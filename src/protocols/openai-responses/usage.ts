// Responses usage <-> canonical Usage (docs/translation.md §7). Responses' input_tokens include cached
// tokens and output_tokens include reasoning tokens, as the canonical counts do; only the names differ
// from Chat Completions (prompt_tokens, completion_tokens).

import type { Usage } from '../../core/events.ts';
import type { OutUsage } from './wire.ts';

export function toResponsesUsage(usage: Usage): OutUsage {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cacheReadTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** An upstream `usage` object -> canonical, or undefined when it holds no token counts. */
export function fromResponsesUsage(value: unknown): Usage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const u = value as Record<string, unknown>;
  if (typeof u.input_tokens !== 'number' && typeof u.output_tokens !== 'number') return undefined;
  const usage: Usage = {
    inputTokens: typeof u.input_tokens === 'number' ? u.input_tokens : 0,
    outputTokens: typeof u.output_tokens === 'number' ? u.output_tokens : 0,
  };
  const input = u.input_tokens_details;
  if (typeof input === 'object' && input !== null && typeof (input as Record<string, unknown>).cached_tokens === 'number') {
    usage.cacheReadTokens = (input as { cached_tokens: number }).cached_tokens;
  }
  const output = u.output_tokens_details;
  if (typeof output === 'object' && output !== null && typeof (output as Record<string, unknown>).reasoning_tokens === 'number') {
    usage.reasoningTokens = (output as { reasoning_tokens: number }).reasoning_tokens;
  }
  return usage;
}
