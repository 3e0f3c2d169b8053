// Bedrock stopReason <-> canonical FinishReason (bedrock.md §9; the SDK's StopReason enum).
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax

import type { FinishReason } from '../../core/events.ts';

const FROM_BEDROCK: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop-sequence',
  tool_use: 'tool-calls',
  max_tokens: 'length',
  model_context_window_exceeded: 'context-exceeded',
  guardrail_intervened: 'content-filter',
  content_filtered: 'content-filter',
};

/** The model produced output Bedrock could not parse: an error, not a stop (agentjido/req_llm#1033). */
export const MALFORMED_STOP_REASONS: ReadonlySet<string> = new Set(['malformed_model_output', 'malformed_tool_use']);

/** Unknown values (new ones get added) end as a plain stop, as for the other dialects. */
export function fromBedrockStopReason(reason: string): FinishReason {
  return Object.hasOwn(FROM_BEDROCK, reason) ? FROM_BEDROCK[reason] : 'stop';
}

const TO_BEDROCK: Readonly<Record<FinishReason, string>> = {
  stop: 'end_turn',
  'stop-sequence': 'stop_sequence',
  length: 'max_tokens',
  'context-exceeded': 'model_context_window_exceeded',
  'tool-calls': 'tool_use',
  'content-filter': 'content_filtered',
  refusal: 'content_filtered',
  pause: 'end_turn',
};

export function toBedrockStopReason(reason: FinishReason): string {
  return TO_BEDROCK[reason] ?? 'end_turn';
}
