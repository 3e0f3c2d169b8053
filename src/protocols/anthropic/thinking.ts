// Canonical reasoning → Anthropic's `thinking` (translation.md §10), for every upstream that speaks to
// Claude: the Messages API and Bedrock's additionalModelRequestFields. No thinking when a tool is
// forced (translation.md §3 Decision: the two are incompatible). Whether the conversation's last
// assistant turn allows thinking is read by each caller from its own wire messages.

import type { ChatRequest } from '../../core/request.ts';
import type { WireThinking } from './wire.ts';

/** Anthropic's minimum thinking budget. */
export const MIN_THINKING_BUDGET = 1024;
/** translation.md §10: suggested budgets per OpenAI-style effort; none/minimal mean no thinking. */
export const EFFORT_BUDGET: Readonly<Record<string, number>> = { low: 1024, medium: 4096, high: 16384, xhigh: 32768, max: 32768 };

/** The thinking the request asks for, before the last-turn check; undefined for none. */
export function thinkingConfig(req: ChatRequest): WireThinking | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (req.toolChoice?.type === 'required' || req.toolChoice?.type === 'tool') return undefined;
  if (r.budgetTokens !== undefined) return r.budgetTokens > 0 ? { type: 'enabled', budget_tokens: Math.max(MIN_THINKING_BUDGET, r.budgetTokens) } : undefined;
  if (r.adaptive) return { type: 'adaptive' };
  if (r.effort !== undefined && Object.hasOwn(EFFORT_BUDGET, r.effort)) return { type: 'enabled', budget_tokens: EFFORT_BUDGET[r.effort]! };
  return undefined;
}
