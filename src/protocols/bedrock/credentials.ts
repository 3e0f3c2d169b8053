// AWS credentials for SigV4 (bedrock.md §2): static ones from the provider's config, or the standard
// AWS chain (`fromNodeProviderChain`: env → SSO → shared profile → credential_process → web identity
// token file → ECS/IMDS), held in a cache that refreshes temporary credentials before they expire.
//
// The cache hands out credentials synchronously while they are fresh, starts one background refresh
// when they enter the refresh window (the chain's own 5-minute rule), and makes callers wait only
// when there are none or they have expired. Concurrent refreshes are coalesced into one call.

import { GatewayError } from '../../core/errors.ts';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Temporary credentials only. */
  expiration?: Date;
}

/** A credential source: `forceRefresh` asks a memoizing source (the AWS chain) to fetch anew. */
export type CredentialSource = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentials>;

/** Refresh this long before expiry: the AWS chain's own rule (`credentialsTreatedAsExpired`, 5 min). */
export const REFRESH_BEFORE_MS = 5 * 60_000;
/** Credentials closer than this to expiry are not used at all (a signed request must still arrive in time). */
const EXPIRED_WITHIN_MS = 15_000;

export interface CredentialCacheOptions {
  /** Provider name, for error messages. */
  provider: string;
  source: CredentialSource;
  now?: () => number;
  /** Called when a background refresh failed and the current credentials are kept for now. */
  onRefreshError?: (err: GatewayError) => void;
}

export class CredentialCache {
  readonly #provider: string;
  readonly #source: CredentialSource;
  readonly #now: () => number;
  readonly #onRefreshError?: (err: GatewayError) => void;
  #current: AwsCredentials | undefined;
  #refreshing: Promise<AwsCredentials> | undefined;

  constructor(o: CredentialCacheOptions) {
    this.#provider = o.provider;
    this.#source = o.source;
    this.#now = o.now ?? Date.now;
    this.#onRefreshError = o.onRefreshError;
  }

  /** Fresh credentials now, or a promise of them. Rejects with GatewayError('upstream_auth'). */
  get(): AwsCredentials | Promise<AwsCredentials> {
    const c = this.#current;
    if (c !== undefined) {
      const left = c.expiration === undefined ? Infinity : c.expiration.getTime() - this.#now();
      if (left > REFRESH_BEFORE_MS) return c;
      if (left > EXPIRED_WITHIN_MS) {
        // In the refresh window: keep signing with these while new ones are fetched.
        if (this.#refreshing === undefined) {
          this.#refresh(true).catch((err: GatewayError) => this.#onRefreshError?.(err));
        }
        return c;
      }
    }
    return this.#refreshing ?? this.#refresh(c !== undefined);
  }

  #refresh(force: boolean): Promise<AwsCredentials> {
    const p = this.#source(force ? { forceRefresh: true } : undefined).then(
      (creds) => {
        if (!isCredentials(creds)) throw new Error('the credential source returned no access key');
        this.#current = creds;
        this.#refreshing = undefined;
        return creds;
      },
      (err: unknown) => {
        this.#refreshing = undefined;
        // The chain's messages name sources and files, never secret values.
        const reason = err instanceof Error ? err.message : String(err);
        throw new GatewayError('upstream_auth', `${this.#provider}: could not load AWS credentials: ${reason}`, { cause: err });
      },
    );
    this.#refreshing = p;
    return p;
  }
}

function isCredentials(c: unknown): c is AwsCredentials {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return typeof o.accessKeyId === 'string' && o.accessKeyId !== '' && typeof o.secretAccessKey === 'string' && o.secretAccessKey !== '';
}

/** Static credentials as a source (config `access_key_id` / `secret_access_key` / `session_token`). */
export function staticSource(c: AwsCredentials): CredentialSource {
  return () => Promise.resolve(c);
}

/**
 * The standard AWS chain, loaded on first use (the credential packages take ~50 ms to load, which
 * a gateway without Bedrock providers should not pay at start).
 */
export function awsChainSource(profile?: string): CredentialSource {
  let chain: CredentialSource | undefined;
  return async (options) => {
    if (chain === undefined) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      chain = fromNodeProviderChain(profile === undefined ? {} : { profile }) as CredentialSource;
    }
    return chain(options);
  };
}
