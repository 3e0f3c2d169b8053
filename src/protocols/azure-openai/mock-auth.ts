// `sluice mock`'s side of Azure OpenAI auth: the `api-key` check of deployment requests, and an App
// Service managed-identity endpoint (what @azure/identity calls when IDENTITY_ENDPOINT and
// IDENTITY_HEADER are set) issuing Entra-style bearer tokens the mock then accepts. Error bodies are
// Azure's (docs/cloud-providers.md).

import type { BearerCheck, MockTokenService, TokenReplyBody } from '../vertex/mock-tokens.ts';

export const AZURE_BAD_KEY_MESSAGE =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';

/**
 * GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=R with `X-IDENTITY-HEADER`: the App Service
 * managed-identity protocol. `expires_on` is unix seconds as a string, as App Service sends it.
 */
export function msiToken(tokens: MockTokenService, query: URLSearchParams, identityHeader: string | undefined): TokenReplyBody {
  const json = (status: number, body: unknown): TokenReplyBody => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (identityHeader === undefined || identityHeader === '') return json(401, { statusCode: 401, message: 'X-IDENTITY-HEADER is missing' });
  const resource = query.get('resource');
  if (query.get('api-version') !== '2019-08-01' || resource === null || resource === '') {
    return json(400, { statusCode: 400, message: 'api-version=2019-08-01 and resource are required' });
  }
  const token = tokens.issue(resource);
  const expiresOn = Math.floor(tokens.now() / 1000) + tokens.lifetimeS;
  return json(200, { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: '00000000-0000-0000-0000-000000000000' });
}

export type AzureAuthCheck = 'ok' | 'bad-key' | BearerCheck;

/** `api-key` (any non-empty key, or exactly `expectedKey` when the mock was given one) or an issued bearer token. */
export function checkAzureAuth(
  tokens: MockTokenService,
  headers: Record<string, string | string[] | undefined>,
  expectedKey: string | undefined,
): AzureAuthCheck {
  const key = first(headers['api-key']);
  if (key !== undefined) return key !== '' && (expectedKey === undefined || key === expectedKey) ? 'ok' : 'bad-key';
  return tokens.checkBearer(first(headers.authorization));
}

/** Azure's 401 body: `code` is a string. */
export function azureUnauthorizedBody(check: AzureAuthCheck): string {
  const message = check === 'expired' ? 'Unauthorized. Access token has expired.' : check === 'bad-key' || check === 'missing' ? AZURE_BAD_KEY_MESSAGE : 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.';
  return JSON.stringify({ error: { code: '401', message } });
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
