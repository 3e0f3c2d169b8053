// Cohere finish_reason <-> canonical FinishReason (docs/protocols/cohere.md §5).
// Vendor list: the ChatFinishReason enum of the cohere-ai SDK (COMPLETE, STOP_SEQUENCE, MAX_TOKENS,
// TOOL_CALL, ERROR, TIMEOUT). Precedent: vercel/ai packages/cohere/src/map-cohere-finish-reason.ts.
// ERROR and TIMEOUT are failures, not finishes: the stream decoder turns them into error events.

import type { FinishReason } from '../../core/events.ts';

const TO_COHERE: Record<FinishReason, string> = {
  stop: 'COMPLETE',
  'stop-sequence': 'STOP_SEQUENCE',
  length: 'MAX_TOKENS',
  // No context-window reason in v2: the generation was cut short, which MAX_TOKENS says.
  'context-exceeded': 'MAX_TOKENS',
  'tool-calls': 'TOOL_CALL',
  // v1's ERROR_TOXIC became ERROR in v2: a filtered answer is not a complete one.
  'content-filter': 'ERROR',
  // The model chose to refuse and said so in its text: the turn is complete.
  refusal: 'COMPLETE',
  pause: 'COMPLETE',
};

const FROM_COHERE: Record<string, FinishReason> = {
  COMPLETE: 'stop',
  STOP_SEQUENCE: 'stop-sequence',
  MAX_TOKENS: 'length',
  TOOL_CALL: 'tool-calls',
};

export function toCohereFinishReason(reason: FinishReason): string {
  return TO_COHERE[reason] ?? 'COMPLETE';
}

/** Unknown values (new ones may be added) end as a plain stop. */
export function fromCohereFinishReason(reason: string): FinishReason {
  return Object.hasOwn(FROM_COHERE, reason) ? FROM_COHERE[reason]! : 'stop';
}

/** finish_reason values that report a failed generation (§6: the native mid-stream error). */
export function isFailureFinish(reason: string): boolean {
  return reason === 'ERROR' || reason === 'TIMEOUT';
}
