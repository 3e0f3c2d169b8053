// CompletionUsage <-> canonical Usage (translation.md §7). OpenAI's prompt_tokens already include
// cached tokens and completion_tokens include reasoning tokens, which is the canonical meaning.

import type { Usage } from '../../core/events.ts';
import type { WireUsage } from './wire.ts';

/** Canonical -> OpenAI `usage`, details only when known. */
export function toOpenAIUsage(usage: Usage): WireUsage {
  const out: WireUsage = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  if (usage.cacheReadTokens !== undefined || usage.cacheWriteTokens !== undefined) {
    out.prompt_tokens_details = {};
    if (usage.cacheReadTokens !== undefined) out.prompt_tokens_details.cached_tokens = usage.cacheReadTokens;
    if (usage.cacheWriteTokens !== undefined) out.prompt_tokens_details.cache_write_tokens = usage.cacheWriteTokens;
  }
  if (usage.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return out;
}

/**
 * An upstream `usage` value -> canonical, or undefined when it is not a usage object with token
 * counts (null on every chunk with include_usage, Q-26; `{}` from some servers). Reads only the
 * fields it needs.
 */
export function fromOpenAIUsage(value: unknown): Usage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const u = value as Record<string, unknown>;
  const prompt = u.prompt_tokens;
  const completion = u.completion_tokens;
  if (typeof prompt !== 'number' && typeof completion !== 'number') return undefined;
  const usage: Usage = {
    inputTokens: typeof prompt === 'number' ? prompt : 0,
    outputTokens: typeof completion === 'number' ? completion : 0,
  };
  const promptDetails = u.prompt_tokens_details;
  if (typeof promptDetails === 'object' && promptDetails !== null) {
    const d = promptDetails as Record<string, unknown>;
    if (typeof d.cached_tokens === 'number') usage.cacheReadTokens = d.cached_tokens;
    if (typeof d.cache_write_tokens === 'number') usage.cacheWriteTokens = d.cache_write_tokens;
  }
  // DeepSeek reports cache hits at the top level instead.
  if (usage.cacheReadTokens === undefined && typeof u.prompt_cache_hit_tokens === 'number') {
    usage.cacheReadTokens = u.prompt_cache_hit_tokens;
  }
  const completionDetails = u.completion_tokens_details;
  if (typeof completionDetails === 'object' && completionDetails !== null) {
    const r = (completionDetails as Record<string, unknown>).reasoning_tokens;
    if (typeof r === 'number') usage.reasoningTokens = r;
  }
  return usage;
}
