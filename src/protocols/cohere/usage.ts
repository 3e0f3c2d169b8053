// Usage conversion (docs/protocols/cohere.md §5, §10). Cohere reports `tokens` (everything read and
// written) and `billed_units` (what is charged); `cached_tokens` is part of tokens.input_tokens, so
// canonical numbers come from `tokens` (OpenAI semantics: input includes cached), falling back to
// billed_units when an upstream sends only those.

import type { Usage } from '../../core/events.ts';
import type { WireUsage } from './wire.ts';

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

function pair(v: unknown): { input?: number; output?: number } | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const input = count(o.input_tokens);
  const output = count(o.output_tokens);
  return input === undefined && output === undefined ? undefined : { input, output };
}

/** A Cohere usage object -> canonical usage; undefined when it carries no counts. */
export function readCohereUsage(raw: unknown): Usage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const u = raw as Record<string, unknown>;
  const counts = pair(u.tokens) ?? pair(u.billed_units);
  if (!counts) return undefined;
  const usage: Usage = { inputTokens: counts.input ?? 0, outputTokens: counts.output ?? 0 };
  const cached = count(u.cached_tokens);
  if (cached !== undefined) usage.cacheReadTokens = cached;
  return usage;
}

/** Canonical -> Cohere: sluice knows one set of numbers; it reports them as both tokens and billed units. */
export function toCohereUsage(u: Usage | undefined): WireUsage {
  const input = u?.inputTokens ?? 0;
  const output = u?.outputTokens ?? 0;
  const wire: WireUsage = {
    billed_units: { input_tokens: input, output_tokens: output },
    tokens: { input_tokens: input, output_tokens: output },
  };
  if (u?.cacheReadTokens !== undefined) wire.cached_tokens = u.cacheReadTokens;
  return wire;
}

/** The usage JSON of message-end, built by concatenation (once per stream). */
export function cohereUsageJson(u: Usage | undefined): string {
  const input = u?.inputTokens ?? 0;
  const output = u?.outputTokens ?? 0;
  const pairJson = `{"input_tokens":${input},"output_tokens":${output}}`;
  const cached = u?.cacheReadTokens !== undefined ? `,"cached_tokens":${u.cacheReadTokens}` : '';
  return `{"billed_units":${pairJson},"tokens":${pairJson}${cached}}`;
}
