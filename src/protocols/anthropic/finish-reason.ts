// Anthropic stop_reason <-> canonical FinishReason (translation.md §6).
// Vendor list: https://docs.claude.com/en/api/handling-stop-reasons
// Precedent: vercel/ai packages/anthropic/src/map-anthropic-stop-reason.ts.

import type { FinishReason } from '../../core/events.ts';

const TO_ANTHROPIC: Record<FinishReason, string> = {
  stop: 'end_turn',
  'stop-sequence': 'stop_sequence',
  length: 'max_tokens',
  'context-exceeded': 'model_context_window_exceeded',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  refusal: 'refusal',
  pause: 'pause_turn',
};

const FROM_ANTHROPIC: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop-sequence',
  max_tokens: 'length',
  model_context_window_exceeded: 'context-exceeded',
  tool_use: 'tool-calls',
  refusal: 'refusal',
  pause_turn: 'pause',
};

export function toAnthropicStopReason(reason: FinishReason): string {
  return TO_ANTHROPIC[reason] ?? 'end_turn';
}

/** Unknown values (new ones may be added) end as a plain stop, like translation.md §6 says for OpenAI. */
export function fromAnthropicStopReason(reason: string): FinishReason {
  return Object.hasOwn(FROM_ANTHROPIC, reason) ? FROM_ANTHROPIC[reason] : 'stop';
}
