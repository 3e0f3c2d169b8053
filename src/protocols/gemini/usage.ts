// Gemini usageMetadata -> canonical Usage (translation.md §7, Q-27): promptTokenCount already includes
// cached tokens; candidatesTokenCount excludes thoughts, so reasoning is added to the output.

import type { Usage } from '../../core/events.ts';
import type { GeminiUsageMetadata } from './wire.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Undefined when the metadata carries no token counts at all. */
export function convertGeminiUsage(meta: GeminiUsageMetadata): Usage | undefined {
  const prompt = num(meta.promptTokenCount);
  const toolUse = num(meta.toolUsePromptTokenCount);
  const candidates = num(meta.candidatesTokenCount);
  const thoughts = num(meta.thoughtsTokenCount);
  const cached = num(meta.cachedContentTokenCount);
  if (prompt === undefined && candidates === undefined && thoughts === undefined && toolUse === undefined) {
    return undefined;
  }
  const usage: Usage = {
    inputTokens: (prompt ?? 0) + (toolUse ?? 0),
    outputTokens: (candidates ?? 0) + (thoughts ?? 0),
  };
  if (cached !== undefined) usage.cacheReadTokens = cached;
  if (thoughts !== undefined) usage.reasoningTokens = thoughts;
  return usage;
}

export function sameUsage(a: Usage | undefined, b: Usage): boolean {
  return (
    a !== undefined &&
    a.inputTokens === b.inputTokens &&
    a.outputTokens === b.outputTokens &&
    a.cacheReadTokens === b.cacheReadTokens &&
    a.reasoningTokens === b.reasoningTokens
  );
}

/** Canonical -> usageMetadata for Gemini clients: prompt includes cached tokens, candidates exclude thoughts. */
export interface WireUsageMetadata {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export function toGeminiUsage(u: Usage): WireUsageMetadata {
  const thoughts = u.reasoningTokens ?? 0;
  const out: WireUsageMetadata = {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: Math.max(0, u.outputTokens - thoughts),
    totalTokenCount: u.inputTokens + u.outputTokens,
  };
  if (u.reasoningTokens !== undefined) out.thoughtsTokenCount = u.reasoningTokens;
  if (u.cacheReadTokens !== undefined) out.cachedContentTokenCount = u.cacheReadTokens;
  return out;
}
