// Outbound auth of an Azure OpenAI provider (docs/cloud-auth.md):
//   - `api_key` set: the `api-key` header (Azure's, not `Authorization`);
//   - no `api_key`: a Microsoft Entra ID bearer token for https://cognitiveservices.azure.com/.default
//     from @azure/identity's DefaultAzureCredential — environment service principal
//     (AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET or a certificate), AKS workload identity,
//     managed identity (App Service/Functions, VMs, Arc), then developer logins (az, azd, …). The
//     token is cached and refreshed ahead of expiry by the same cache as Vertex's.
// @azure/identity is loaded only when a provider uses Entra ID.

import { GatewayError } from '../../core/errors.ts';
import type { UpstreamHttpRequest } from '../../core/protocol.ts';
import { bearerAuth } from '../vertex/auth.ts';
import { TokenCache, type TokenFetcher } from '../vertex/token-cache.ts';

export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';

export interface AzureAuth {
  apply(req: UpstreamHttpRequest, signal: AbortSignal): void | Promise<void>;
  close?(): void;
}

export interface AzureEntraAuth extends AzureAuth {
  /** The upstream refused the token: the next request fetches a new one. */
  invalidate(): void;
  close(): void;
}

export function azureApiKeyAuth(key: string): AzureAuth {
  return {
    apply(req) {
      req.headers['api-key'] = key;
    },
  };
}

interface TokenCredentialLike {
  getToken(scope: string, options?: { abortSignal?: AbortSignal }): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

export function azureEntraAuth(provider: string, opts: { scope?: string; now?: () => number; credential?: TokenCredentialLike } = {}): AzureEntraAuth {
  const scope = opts.scope ?? COGNITIVE_SERVICES_SCOPE;
  let credential: Promise<TokenCredentialLike> | undefined = opts.credential === undefined ? undefined : Promise.resolve(opts.credential);
  const fetcher: TokenFetcher = async (signal) => {
    credential ??= import('@azure/identity').then((m) => new m.DefaultAzureCredential() as TokenCredentialLike);
    let token;
    try {
      token = await (await credential).getToken(scope, { abortSignal: signal });
    } catch (err) {
      throw new GatewayError('upstream_auth', `Entra ID token unavailable: ${firstLine(err)}`, { cause: err });
    }
    if (token === null || token.token === '') throw new GatewayError('upstream_auth', 'Entra ID credential produced no token');
    // expiresOnTimestamp is on the process's wall clock; the cache runs on the gateway's.
    const now = opts.now ?? Date.now;
    return { token: token.token, expiresAtMs: now() + (token.expiresOnTimestamp - Date.now()) };
  };
  const cache = new TokenCache(fetcher, { now: opts.now });
  const bearer = bearerAuth(cache, provider);
  return { apply: (req, signal) => bearer.apply(req, signal), invalidate: () => cache.invalidate(), close: () => cache.close() };
}

/**
 * @azure/identity's CredentialUnavailableError lists every source it tried, one per line, and names
 * no secret; the first line says what failed.
 */
function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
