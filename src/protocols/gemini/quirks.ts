// The quirk flags the Gemini codec honours (docs/quirks.md), declared once here.

import type { UpstreamEndpoint } from '../../core/protocol.ts';
import { authHeaderField, supportsPrefillField, temperatureRangeField, type SharedQuirks } from '../shared/quirks.ts';

export const geminiQuirkFields = {
  ...authHeaderField,
  ...supportsPrefillField,
  ...temperatureRangeField,
};

export type GeminiQuirks = SharedQuirks;

export const geminiQuirks = (endpoint: UpstreamEndpoint): GeminiQuirks => endpoint.quirks as GeminiQuirks;
