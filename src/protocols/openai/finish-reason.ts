// finish_reason <-> canonical FinishReason (translation.md §6). Vendor docs:
// https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices (finish_reason).

import type { FinishReason } from '../../core/events.ts';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** Canonical -> OpenAI. Refusals surface as content_filter; pause_turn has no OpenAI meaning (stop). */
export function toOpenAIFinishReason(reason: FinishReason): OpenAIFinishReason {
  switch (reason) {
    case 'stop':
    case 'stop-sequence':
    case 'pause':
      return 'stop';
    case 'length':
    case 'context-exceeded':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    case 'content-filter':
    case 'refusal':
      return 'content_filter';
  }
}

/**
 * OpenAI-compatible upstream -> canonical. `'error'` (OpenRouter, Q-13) is not a finish: the caller
 * turns it into an error event. Unknown strings are a normal stop (translation.md §6: "any unknown
 * string → end_turn").
 */
export function fromOpenAIFinishReason(reason: string): FinishReason | 'error' {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    case 'error':
      return 'error';
    default:
      return 'stop';
  }
}
