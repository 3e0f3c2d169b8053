// Which Google credential a Vertex provider uses, as a TokenFetcher (docs/cloud-auth.md):
//   1. `credentials:` in the config, else GOOGLE_APPLICATION_CREDENTIALS: a service-account key file
//      is signed and exchanged here, at its own token_uri (service-account.ts); any other credentials
//      file (authorized_user from `gcloud auth application-default login`, external_account for
//      workload identity federation, impersonated_service_account) goes to google-auth-library;
//   2. neither: Application Default Credentials through google-auth-library (the gcloud well-known
//      file, then the GCE/GKE/Cloud Run metadata server).
// google-auth-library is loaded only when a provider needs it.

import type { Dispatcher } from 'undici';
import { GatewayError } from '../../core/errors.ts';
import type { AccessToken, TokenFetcher } from './token-cache.ts';
import {
  CLOUD_PLATFORM_SCOPE,
  credentialsFileType,
  fetchServiceAccountToken,
  parseServiceAccount,
  readCredentialsFile,
  type ServiceAccount,
} from './service-account.ts';

/** When google-auth-library does not say when its token expires, ask it again after this. */
const UNKNOWN_EXPIRY_MS = 5 * 60_000;

export type CredentialSource =
  | { kind: 'service-account'; account: ServiceAccount; path: string }
  | { kind: 'google-auth-file'; path: string; fileType: string }
  | { kind: 'adc' };

/** Resolves the configured source; throws Error with a message for the config's `credentials` field. */
export function resolveCredentialSource(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): CredentialSource {
  const path = configured ?? (env.GOOGLE_APPLICATION_CREDENTIALS || undefined);
  if (path === undefined) return { kind: 'adc' };
  const json = readCredentialsFile(path);
  const fileType = credentialsFileType(json);
  if (fileType === 'service_account') return { kind: 'service-account', account: parseServiceAccount(json, path), path };
  if (fileType === undefined) throw new Error(`credentials file ${path} has no "type" field`);
  return { kind: 'google-auth-file', path, fileType };
}

export function tokenFetcher(source: CredentialSource, now: () => number, dispatcher?: Dispatcher): TokenFetcher {
  switch (source.kind) {
    case 'service-account':
      return (signal) => fetchServiceAccountToken(source.account, { scope: CLOUD_PLATFORM_SCOPE, now, signal, dispatcher });
    case 'google-auth-file':
      return googleAuthFetcher({ keyFilename: source.path }, now);
    case 'adc':
      return googleAuthFetcher({}, now);
  }
}

/** The project a credentials file names, for a provider that gives no `project`. */
export function projectOf(source: CredentialSource): string | undefined {
  return source.kind === 'service-account' ? source.account.projectId : undefined;
}

/**
 * The fetcher of a provider's configured credentials, resolved on first use: the key file is read
 * when the first request needs a token (so `sluice check` and a config reload never depend on it),
 * and a file that cannot be read fails each request with upstream_auth naming it.
 */
export function lazyTokenFetcher(configured: string | undefined, now: () => number, dispatcher?: Dispatcher): TokenFetcher {
  let fetcher: TokenFetcher | undefined;
  return (signal) => {
    if (fetcher === undefined) {
      try {
        fetcher = tokenFetcher(resolveCredentialSource(configured), now, dispatcher);
      } catch (err) {
        return Promise.reject(new GatewayError('upstream_auth', (err as Error).message, { cause: err }));
      }
    }
    return fetcher(signal);
  };
}

interface GoogleAuthLike {
  getClient(): Promise<{ getAccessToken(): Promise<{ token?: string | null }>; credentials?: { expiry_date?: number | null } }>;
}

function googleAuthFetcher(options: { keyFilename?: string }, now: () => number): TokenFetcher {
  let auth: Promise<GoogleAuthLike> | undefined;
  return async (): Promise<AccessToken> => {
    auth ??= import('google-auth-library').then((m) => new m.GoogleAuth({ ...options, scopes: [CLOUD_PLATFORM_SCOPE] }) as unknown as GoogleAuthLike);
    let token: string | null | undefined;
    let expiry: number | null | undefined;
    try {
      const client = await (await auth).getClient();
      token = (await client.getAccessToken()).token;
      expiry = client.credentials?.expiry_date;
    } catch (err) {
      auth = undefined; // the environment may change (metadata server starting): try afresh next time
      throw new GatewayError('upstream_auth', `Google credentials unavailable: ${describe(err)}`, { cause: err });
    }
    if (typeof token !== 'string' || token === '') throw new GatewayError('upstream_auth', 'Google credentials produced no access token');
    // The library's expiry is on the process's wall clock; the cache runs on the gateway's.
    return { token, expiresAtMs: now() + (typeof expiry === 'number' && expiry > 0 ? expiry - Date.now() : UNKNOWN_EXPIRY_MS) };
  };
}

/**
 * google-auth-library's messages name the missing credential (and, for gaxios errors, the URL of
 * the metadata or token endpoint); none of them quote a token. Only the first line is kept.
 */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
