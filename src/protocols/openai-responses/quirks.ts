// The provider fields the `openai-responses` type accepts (docs/quirks.md), declared once here; the
// codec reads them through ResponsesQuirks.

import { bool } from '../../config/fields.ts';
import type { UpstreamEndpoint } from '../../core/protocol.ts';
import { authHeaderField, type SharedQuirks } from '../shared/quirks.ts';

export const responsesQuirkFields = {
  // Send `reasoning.effort` translated from another dialect's thinking settings (reasoning models
  // only: gpt-4o and other non-reasoning models reject the parameter).
  reasoning_effort: bool(),
  ...authHeaderField,
};

export interface ResponsesQuirks extends SharedQuirks {
  reasoningEffort?: boolean;
}

export const responsesQuirks = (endpoint: UpstreamEndpoint): ResponsesQuirks => endpoint.quirks as ResponsesQuirks;
