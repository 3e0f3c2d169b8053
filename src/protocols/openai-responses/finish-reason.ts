// Response status <-> canonical FinishReason (docs/translation.md §6; docs/protocols/openai-responses.md
// §2). Responses has no finish_reason: a finished answer is `status: "completed"` (tool calls are the
// function_call items in `output`); a cut one is `status: "incomplete"` with
// `incomplete_details.reason` `max_output_tokens` or `content_filter`. Vendor docs:
// https://platform.openai.com/docs/api-reference/responses/object (status, incomplete_details).

import type { FinishReason } from '../../core/events.ts';

export interface ResponsesOutcome {
  status: 'completed' | 'incomplete';
  incompleteReason?: 'max_output_tokens' | 'content_filter';
}

export function toResponsesOutcome(reason: FinishReason): ResponsesOutcome {
  switch (reason) {
    case 'stop':
    case 'stop-sequence':
    case 'tool-calls':
    case 'pause':
      return { status: 'completed' };
    case 'length':
    case 'context-exceeded':
      return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
    case 'content-filter':
    case 'refusal':
      return { status: 'incomplete', incompleteReason: 'content_filter' };
  }
}

/** An upstream's final status -> canonical; a turn with function calls ends with tool-calls. */
export function fromResponsesOutcome(status: string, incompleteReason: string | undefined, sawToolCalls: boolean): FinishReason {
  if (status === 'incomplete') {
    if (incompleteReason === 'content_filter') return 'content-filter';
    return 'length';
  }
  return sawToolCalls ? 'tool-calls' : 'stop';
}
