// Gemini finishReason -> canonical FinishReason (translation.md §6).
// Vendor list: https://ai.google.dev/api/generate-content#FinishReason
// Precedent: vercel/ai packages/google/src/map-google-finish-reason.ts.

import type { FinishReason } from '../../core/events.ts';

const CONTENT_FILTER = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

/**
 * `sawToolCalls`: Gemini says STOP also when the turn ended with function calls (gemini.md §4, Q-29).
 * MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, TOO_MANY_TOOL_CALLS, LANGUAGE, OTHER and unknown
 * values end as a plain stop (translation.md §6 Decision).
 */
export function mapGeminiFinishReason(reason: string, sawToolCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (CONTENT_FILTER.has(reason)) return 'content-filter';
  return sawToolCalls ? 'tool-calls' : 'stop';
}

/** Canonical -> Gemini finishReason for the Gemini front (the table above, read backwards). */
export function toGeminiFinishReason(reason: FinishReason): string {
  switch (reason) {
    case 'length':
    case 'context-exceeded':
      return 'MAX_TOKENS';
    case 'content-filter':
    case 'refusal':
      return 'SAFETY';
    default:
      // stop, stop-sequence, tool-calls (Gemini says STOP after function calls too), pause.
      return 'STOP';
  }
}
