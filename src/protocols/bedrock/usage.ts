// Bedrock usage <-> canonical Usage (bedrock.md §4, Q-37). Bedrock's inputTokens counts only uncached
// input (Anthropic semantics): the prompt is inputTokens + cacheReadInputTokens + cacheWriteInputTokens.
// OpenAI-family models on Converse were measured reporting an inputTokens that already included the
// cache write (maximhq/bifrost#6942): for them the write is not added again. Either way the prompt is
// never reported below the cached tokens it contains. outputTokens includes reasoning (no breakdown).

import type { Usage } from '../../core/events.ts';
import type { ModelFamily } from './family.ts';
import type { WireTokenUsage } from './wire.ts';

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** undefined when the object carries no token counts at all. */
export function toCanonicalUsage(raw: unknown, family: ModelFamily): Usage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const u = raw as Record<string, unknown>;
  const input = count(u.inputTokens);
  const output = count(u.outputTokens);
  if (input === undefined && output === undefined) return undefined;
  const read = count(u.cacheReadInputTokens);
  const write = count(u.cacheWriteInputTokens);
  const cached = (read ?? 0) + (write ?? 0);
  const own = input ?? 0;
  const prompt = family === 'openai' ? Math.max(own + (read ?? 0), cached) : own + cached;
  const usage: Usage = { inputTokens: prompt, outputTokens: output ?? 0 };
  if (read !== undefined) usage.cacheReadTokens = read;
  if (write !== undefined) usage.cacheWriteTokens = write;
  return usage;
}

/** Canonical -> Bedrock (the Bedrock front): inputTokens is the uncached remainder, never negative. */
export function toWireUsage(u: Usage): WireTokenUsage {
  const read = u.cacheReadTokens ?? 0;
  const write = u.cacheWriteTokens ?? 0;
  const out: WireTokenUsage = {
    inputTokens: Math.max(0, u.inputTokens - read - write),
    outputTokens: u.outputTokens,
    totalTokens: Math.max(u.inputTokens, read + write) + u.outputTokens,
  };
  if (u.cacheReadTokens !== undefined) out.cacheReadInputTokens = read;
  if (u.cacheWriteTokens !== undefined) out.cacheWriteInputTokens = write;
  return out;
}
