// `sluice mock`'s side of Google OAuth: a token endpoint that verifies a service account's signed
// JWT-bearer assertion (RFC 7523) against the account's registered public key and issues short-lived
// access tokens, the GCE metadata server's token path (what ADC uses on Google Cloud), and the check
// of `Authorization: Bearer` on Vertex requests. Errors are shaped as Google's (docs/cloud-auth.md).

import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { CLOUD_PLATFORM_SCOPE, JWT_BEARER_GRANT } from './service-account.ts';

/** Google refuses assertions whose iat/exp are off by more than this (clock skew allowance). */
const SKEW_S = 60;
const MAX_ASSERTION_LIFETIME_S = 3600;
/** Issued tokens remembered at most (expired ones are dropped first). */
const MAX_TOKENS = 100_000;

export interface MockTokenOptions {
  /** Lifetime of issued access tokens in seconds (Google: 3599). */
  lifetimeS?: number;
  /** The mock's clock (ms); tests drive it to expire tokens without sleeping. */
  now?: () => number;
}

export interface TokenReplyBody {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** What a Bearer check found. */
export type BearerCheck = 'ok' | 'missing' | 'unknown' | 'expired';

export class MockTokenService {
  readonly #accounts = new Map<string, KeyObject>();
  readonly #issued = new Map<string, { expiresAtMs: number; audience: string }>();
  lifetimeS: number;
  now: () => number;
  /** Counters tests assert on. */
  readonly stats = { granted: 0, refused: 0, rejectedBearer: 0 };

  constructor(opts: MockTokenOptions = {}) {
    this.lifetimeS = opts.lifetimeS ?? 3599;
    this.now = opts.now ?? Date.now;
  }

  /** Accept assertions signed by this account's key (a PEM public or private key, or a KeyObject). */
  addServiceAccount(clientEmail: string, key: string | KeyObject): void {
    this.#accounts.set(clientEmail, createPublicKey(key));
  }

  /** POST {token_uri}: form `grant_type=…jwt-bearer&assertion=JWT`; `tokenUrl` is the URL this request reached. */
  grant(formText: string, tokenUrl: string): TokenReplyBody {
    const form = new URLSearchParams(formText);
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER_GRANT) return this.#refuse('unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    const assertion = form.get('assertion');
    if (assertion === null || assertion === '') return this.#refuse('invalid_request', 'Missing required parameter: assertion');
    const problem = this.#verifyAssertion(assertion, tokenUrl);
    if (problem !== undefined) return this.#refuse('invalid_grant', problem);
    this.stats.granted++;
    const token = this.issue(tokenUrl);
    return json(200, { access_token: token, expires_in: this.lifetimeS, token_type: 'Bearer' });
  }

  /** GET /computeMetadata/v1/instance/service-accounts/default/token (Metadata-Flavor: Google required). */
  metadataToken(flavor: string | undefined): TokenReplyBody {
    const headers = { 'metadata-flavor': 'Google' };
    if (flavor !== 'Google') return { status: 403, headers: { ...headers, 'content-type': 'text/html' }, body: 'Missing Metadata-Flavor:Google header.' };
    this.stats.granted++;
    const token = this.issue('metadata');
    return { ...json(200, { access_token: token, expires_in: this.lifetimeS, token_type: 'Bearer' }), headers: { ...headers, 'content-type': 'application/json' } };
  }

  /** Forgets every issued token, as a revocation would: requests carrying one get the 401. */
  revokeAll(): void {
    this.#issued.clear();
  }

  /** A new access token for `audience`, valid for lifetimeS from now. */
  issue(audience: string): string {
    const now = this.now();
    if (this.#issued.size >= MAX_TOKENS) this.#prune(now);
    const token = `ya29.mock-${randomBytes(24).toString('base64url')}`;
    this.#issued.set(token, { expiresAtMs: now + this.lifetimeS * 1000, audience });
    return token;
  }

  /** The `Authorization` header of an API request; a refusal is counted in stats.rejectedBearer. */
  checkBearer(header: string | undefined): BearerCheck {
    const result = this.peekBearer(header);
    if (result !== 'ok') this.stats.rejectedBearer++;
    return result;
  }

  /** The same check, without counting: whether a header carries a token this service issued. */
  peekBearer(header: string | undefined): BearerCheck {
    const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (m === null) return 'missing';
    const entry = this.#issued.get(m[1]!);
    return entry === undefined ? 'unknown' : entry.expiresAtMs <= this.now() ? 'expired' : 'ok';
  }

  #verifyAssertion(jwt: string, tokenUrl: string): string | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'Invalid JWT: not a JWS compact serialization';
    const header = decodeSegment(parts[0]!);
    const claims = decodeSegment(parts[1]!);
    if (header === undefined || claims === undefined) return 'Invalid JWT: header or claims are not base64url JSON';
    if (header.alg !== 'RS256') return `Invalid JWT: unsupported alg ${String(header.alg)}`;
    const iss = claims.iss;
    const key = typeof iss === 'string' ? this.#accounts.get(iss) : undefined;
    if (key === undefined) return 'Invalid grant: account not found';
    const ok = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url'));
    if (!ok) return 'Invalid JWT Signature.';
    if (claims.aud !== tokenUrl) return `Invalid JWT: audience ${JSON.stringify(claims.aud)} is not the token endpoint ${tokenUrl}`;
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes(CLOUD_PLATFORM_SCOPE)) return 'Invalid OAuth scope or ID token audience provided.';
    const nowS = Math.floor(this.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number' || iat > nowS + SKEW_S || exp < nowS - SKEW_S || exp - iat > MAX_ASSERTION_LIFETIME_S) {
      return 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';
    }
    return undefined;
  }

  #refuse(error: string, description: string): TokenReplyBody {
    this.stats.refused++;
    return json(400, { error, error_description: description });
  }

  #prune(now: number): void {
    for (const [token, entry] of this.#issued) if (entry.expiresAtMs <= now) this.#issued.delete(token);
    // Still full of live tokens: forget the oldest.
    for (const token of this.#issued.keys()) {
      if (this.#issued.size < MAX_TOKENS) break;
      this.#issued.delete(token);
    }
  }
}

/** Google's 401 for a missing, unknown or expired OAuth token (the text Google's APIs send). */
export function unauthenticatedBody(check: BearerCheck): string {
  const message =
    check === 'missing'
      ? 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.'
      : 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';
  return JSON.stringify({ error: { code: 401, message, status: 'UNAUTHENTICATED' } });
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function json(status: number, body: unknown): TokenReplyBody {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) };
}
