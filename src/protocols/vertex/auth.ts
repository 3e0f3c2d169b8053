// Outbound auth of a Vertex provider: `Authorization: Bearer <access token>` from the provider's
// token cache, or in express mode the provider's API key as `x-goog-api-key`. The token is only ever
// written into that header: never into a message, a log field or an error.

import { GatewayError } from '../../core/errors.ts';
import type { UpstreamHttpRequest } from '../../core/protocol.ts';
import type { TokenCache } from './token-cache.ts';

export interface BearerAuth {
  apply(req: UpstreamHttpRequest, signal: AbortSignal): void | Promise<void>;
}

export function bearerAuth(cache: TokenCache, provider: string): BearerAuth {
  return {
    apply(req, signal) {
      let token: string | Promise<string>;
      try {
        token = cache.get(signal);
      } catch (err) {
        throw authError(err, provider);
      }
      if (typeof token === 'string') {
        req.headers.authorization = `Bearer ${token}`;
        return;
      }
      return token.then(
        (t) => {
          req.headers.authorization = `Bearer ${t}`;
        },
        (err: unknown) => {
          throw authError(err, provider);
        },
      );
    },
  };
}

export function apiKeyAuth(header: string, key: string): BearerAuth {
  return {
    apply(req) {
      req.headers[header] = key;
    },
  };
}

/** Token-source failures keep their code (unreachable endpoints are retryable) and name the provider. */
function authError(err: unknown, provider: string): GatewayError {
  if (err instanceof GatewayError) return err.withTarget(provider);
  if (err instanceof Error && err.name === 'AbortError') return new GatewayError('internal', 'request aborted while fetching an access token', { target: provider, cause: err });
  return new GatewayError('upstream_auth', `could not obtain an access token: ${err instanceof Error ? err.message : String(err)}`, { target: provider, cause: err });
}
