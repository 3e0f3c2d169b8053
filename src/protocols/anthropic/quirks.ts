// The quirk flags the Anthropic Messages codec honours (docs/quirks.md), declared once here.

import { z } from 'zod';
import type { UpstreamEndpoint } from '../../core/protocol.ts';
import { authHeaderField, stripStrictField, temperatureRangeField, type SharedQuirks } from '../shared/quirks.ts';

/**
 * Which of the client's `anthropic-beta` values reach this host (anthropic-messages.md §1, §9, §10):
 * `pass` (default: all), `drop` (none), or the list of values it accepts (`name-*` matches any date
 * of a feature). Hosts that reject a beta they do not know fail the whole request with a 400.
 */
export const anthropicBetaField = {
  anthropic_beta: z.union([z.enum(['pass', 'drop']), z.array(z.string().min(1))]).optional(),
};

export const anthropicQuirkFields = {
  ...authHeaderField,
  ...stripStrictField,
  ...temperatureRangeField,
  ...anthropicBetaField,
};

export interface AnthropicQuirks extends SharedQuirks {
  anthropicBeta?: 'pass' | 'drop' | string[];
}

/** The `anthropic-beta` header value for this host, or undefined for none. */
export function betaHeaderFor(quirks: AnthropicQuirks, clientValue: string): string | undefined {
  const policy = quirks.anthropicBeta ?? 'pass';
  if (policy === 'pass') return clientValue;
  if (policy === 'drop') return undefined;
  const kept = clientValue
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '' && policy.some((allowed) => (allowed.endsWith('*') ? v.startsWith(allowed.slice(0, -1)) : v === allowed)));
  return kept.length > 0 ? kept.join(',') : undefined;
}

export const anthropicQuirks = (endpoint: UpstreamEndpoint): AnthropicQuirks => endpoint.quirks as AnthropicQuirks;
