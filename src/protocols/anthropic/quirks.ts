// The quirk flags the Anthropic Messages codec honours (docs/quirks.md), declared once here.

import type { UpstreamEndpoint } from '../../core/protocol.ts';
import { authHeaderField, stripStrictField, temperatureRangeField, type SharedQuirks } from '../shared/quirks.ts';

export const anthropicQuirkFields = {
  ...authHeaderField,
  ...stripStrictField,
  ...temperatureRangeField,
};

export type AnthropicQuirks = SharedQuirks;

export const anthropicQuirks = (endpoint: UpstreamEndpoint): AnthropicQuirks => endpoint.quirks as AnthropicQuirks;
