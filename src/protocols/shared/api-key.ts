// Outbound auth with a static API key (core/protocol.ts OutboundAuth): the key goes in the type's
// default header, or the one the `auth_header` quirk names. A header the provider's own `headers:`
// already set wins (it was written by the user on purpose: an Entra token, a relay's own scheme).

import type { OutboundAuth, UpstreamEndpoint } from '../../core/protocol.ts';
import type { AuthHeader, SharedQuirks } from './quirks.ts';

export function apiKeyAuth(endpoint: UpstreamEndpoint, defaultHeader: AuthHeader): OutboundAuth {
  const key = endpoint.apiKey;
  if (key === undefined || key === '') return { apply() {} };
  const header = (endpoint.quirks as SharedQuirks).authHeader ?? defaultHeader;
  const value = header === 'authorization' ? `Bearer ${key}` : key;
  return {
    apply(req) {
      for (const name in req.headers) if (name.toLowerCase() === header) return;
      req.headers[header] = value;
    },
  };
}
