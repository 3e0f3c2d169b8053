// Quirk flags more than one dialect reads (docs/quirks.md), declared once: each provider type lists
// the ones its codec honours in ProviderType.quirkFields, so a flag that would do nothing for a type
// is an unknown field there rather than silently ignored.

import { z } from 'zod';
import { bool, number } from '../../config/fields.ts';
import type { UpstreamEndpoint } from '../../core/protocol.ts';

export const AUTH_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'] as const;
export type AuthHeader = (typeof AUTH_HEADERS)[number];

/** Which header carries the API key, overriding the type's default (Azure `api-key`, relays' Bearer). */
export const authHeaderField = { auth_header: z.enum(AUTH_HEADERS).optional() };
/** Clamp temperature into [min, max] (MiniMax: (0, 1], Q-30). */
export const temperatureRangeField = { temperature_range: z.tuple([number(0).unwrap(), number(0).unwrap()]).optional() };
/** Drop `strict` from tool definitions (MiniMax rejects it, translation.md §3). */
export const stripStrictField = { strip_strict: bool() };
/** The server continues a trailing assistant message (vLLM): an Anthropic-style prefill may go to it (translation.md §1). */
export const supportsPrefillField = { supports_prefill: bool() };

export interface SharedQuirks {
  authHeader?: AuthHeader;
  temperatureRange?: [number, number];
  stripStrict?: boolean;
  supportsPrefill?: boolean;
}

/** ProviderType.check for types that take temperature_range. */
export function checkTemperatureRange(provider: UpstreamEndpoint, problem: (field: string, message: string) => void): void {
  const range = (provider.quirks as SharedQuirks).temperatureRange;
  if (range !== undefined && range[0] > range[1]) problem('temperature_range', `minimum ${range[0]} is above maximum ${range[1]}`);
}
