// The quirk flags the OpenAI chat codec honours (docs/quirks.md), declared once here: the `openai`
// provider type accepts exactly these, and the codec reads them through OpenAIQuirks.

import { z } from 'zod';
import { bool } from '../../config/fields.ts';
import type { UpstreamEndpoint } from '../../core/protocol.ts';
import { authHeaderField, stripStrictField, supportsPrefillField, temperatureRangeField, type SharedQuirks } from '../shared/quirks.ts';

export const MAX_TOKENS_FIELDS = ['max_tokens', 'max_completion_tokens'] as const;

export const openaiQuirkFields = {
  // <think>…</think> inside content (MiniMax /v1) is split into reasoning.
  inline_think_tags: bool(),
  // translation.md §5: hold interleaved tool-call fragments until the finish.
  buffer_tool_calls: bool(),
  max_tokens_field: z.enum(MAX_TOKENS_FIELDS).optional(),
  // Send reasoning_effort translated from another dialect's thinking settings (reasoning models only).
  reasoning_effort: bool(),
  ...supportsPrefillField,
  ...authHeaderField,
  ...stripStrictField,
  ...temperatureRangeField,
};

export interface OpenAIQuirks extends SharedQuirks {
  inlineThinkTags?: boolean;
  bufferToolCalls?: boolean;
  maxTokensField?: (typeof MAX_TOKENS_FIELDS)[number];
  reasoningEffort?: boolean;
}

export const openaiQuirks = (endpoint: UpstreamEndpoint): OpenAIQuirks => endpoint.quirks as OpenAIQuirks;
