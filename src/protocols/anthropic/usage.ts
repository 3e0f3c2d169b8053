// Usage conversion (translation.md §7, Q-27). Anthropic's input_tokens counts only uncached input;
// canonical inputTokens counts all prompt tokens: total = input + cache_creation + cache_read.
// output_tokens already includes thinking tokens.

import type { Usage } from '../../core/events.ts';
import type { WireUsage } from './wire.ts';

/** The counts of one Anthropic usage object; absent fields stay undefined (message_delta merges them, §6). */
export interface UsageCounts {
  input?: number;
  cacheWrite?: number;
  cacheRead?: number;
  output?: number;
  thinking?: number;
}

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

export function readUsageCounts(raw: unknown): UsageCounts | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const u = raw as Record<string, unknown>;
  const details = u.output_tokens_details;
  return {
    input: count(u.input_tokens),
    cacheWrite: count(u.cache_creation_input_tokens),
    cacheRead: count(u.cache_read_input_tokens),
    output: count(u.output_tokens),
    thinking:
      typeof details === 'object' && details !== null
        ? count((details as Record<string, unknown>).thinking_tokens)
        : undefined,
  };
}

/** `later` fields win; fields it lacks come from `earlier` (message_delta over message_start). */
export function mergeUsageCounts(earlier: UsageCounts | undefined, later: UsageCounts): UsageCounts {
  if (!earlier) return later;
  return {
    input: later.input ?? earlier.input,
    cacheWrite: later.cacheWrite ?? earlier.cacheWrite,
    cacheRead: later.cacheRead ?? earlier.cacheRead,
    output: later.output ?? earlier.output,
    thinking: later.thinking ?? earlier.thinking,
  };
}

export function toCanonicalUsage(c: UsageCounts): Usage {
  const cacheRead = c.cacheRead ?? 0;
  const cacheWrite = c.cacheWrite ?? 0;
  const usage: Usage = { inputTokens: (c.input ?? 0) + cacheRead + cacheWrite, outputTokens: c.output ?? 0 };
  if (c.cacheRead !== undefined) usage.cacheReadTokens = cacheRead;
  if (c.cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  if (c.thinking !== undefined) usage.reasoningTokens = c.thinking;
  return usage;
}

/** Canonical -> Anthropic: input_tokens is the uncached remainder (never negative). */
export function toWireUsage(u: Usage): WireUsage {
  const cacheRead = u.cacheReadTokens ?? 0;
  const cacheWrite = u.cacheWriteTokens ?? 0;
  const wire: WireUsage = {
    input_tokens: Math.max(0, u.inputTokens - cacheRead - cacheWrite),
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: u.outputTokens,
  };
  // Thinking inside output_tokens, as newer Anthropic usage reports it (anthropic-messages.md §5).
  if (u.reasoningTokens !== undefined) wire.output_tokens_details = { thinking_tokens: u.reasoningTokens };
  return wire;
}
