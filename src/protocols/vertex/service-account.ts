// Google service-account credentials: the key file, and the OAuth 2.0 JWT-bearer grant (RFC 7523)
// that turns it into an access token (docs/cloud-auth.md). Implemented here rather than through
// google-auth-library because that library posts the grant to, and signs it for, a hard-coded
// https://oauth2.googleapis.com/token whatever the key file's `token_uri` says (its
// gtoken/getToken.js and jwsSign.js, 10.9 and 11.3; Q-41) — so a private token endpoint, or
// `sluice mock` in a test, could never be used.

import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../../core/errors.ts';
import type { AccessToken } from './token-cache.ts';
import { postForm, tokenEndpointError } from './token-http.ts';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most one hour. */
const ASSERTION_LIFETIME_S = 3600;

export interface ServiceAccount {
  clientEmail: string;
  privateKey: KeyObject;
  privateKeyId?: string;
  tokenUri: string;
  projectId?: string;
}

/** The `type` of a Google credentials JSON file (service_account, authorized_user, external_account, …). */
export function credentialsFileType(json: unknown): string | undefined {
  return typeof json === 'object' && json !== null && typeof (json as { type?: unknown }).type === 'string'
    ? (json as { type: string }).type
    : undefined;
}

/** Reads and parses a credentials file; errors name the file, never its contents. */
export function readCredentialsFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read credentials file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`credentials file ${path} is not JSON`);
  }
}

/** Validates a `type: service_account` key file. `where` names it in errors (a path). */
export function parseServiceAccount(json: unknown, where: string): ServiceAccount {
  if (credentialsFileType(json) !== 'service_account') throw new Error(`${where} is not a service-account key file (type must be "service_account")`);
  const o = json as Record<string, unknown>;
  const field = (name: string): string => {
    const v = o[name];
    if (typeof v !== 'string' || v === '') throw new Error(`${where}: field ${name} is missing`);
    return v;
  };
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(field('private_key'));
  } catch (err) {
    if (err instanceof Error && err.message.startsWith(where)) throw err;
    throw new Error(`${where}: private_key is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error(`${where}: private_key must be an RSA key (RS256)`);
  const tokenUri = typeof o.token_uri === 'string' && o.token_uri !== '' ? o.token_uri : GOOGLE_TOKEN_URI;
  try {
    new URL(tokenUri);
  } catch {
    throw new Error(`${where}: token_uri is not a URL`);
  }
  const sa: ServiceAccount = { clientEmail: field('client_email'), privateKey, tokenUri };
  if (typeof o.private_key_id === 'string' && o.private_key_id !== '') sa.privateKeyId = o.private_key_id;
  if (typeof o.project_id === 'string' && o.project_id !== '') sa.projectId = o.project_id;
  return sa;
}

/**
 * The signed assertion: header {alg: RS256, typ: JWT, kid}, claims iss = the account, scope, aud =
 * the token URI it is posted to, iat = now, exp = now + 1 h.
 */
export function signAssertion(sa: ServiceAccount, scope: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header: Record<string, string> = { alg: 'RS256', typ: 'JWT' };
  if (sa.privateKeyId !== undefined) header.kid = sa.privateKeyId;
  const claims = { iss: sa.clientEmail, scope, aud: sa.tokenUri, iat, exp: iat + ASSERTION_LIFETIME_S };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(sa.privateKey).toString('base64url');
  return `${input}.${signature}`;
}

/** Exchanges a fresh assertion for an access token at the key file's own token_uri. */
export async function fetchServiceAccountToken(
  sa: ServiceAccount,
  opts: { scope: string; now: () => number; signal: AbortSignal; dispatcher?: Dispatcher },
): Promise<AccessToken> {
  const assertion = signAssertion(sa, opts.scope, opts.now());
  const res = await postForm(sa.tokenUri, { grant_type: JWT_BEARER_GRANT, assertion }, opts.signal, 'service-account token', opts.dispatcher);
  return accessTokenFrom(res.status, res.json, opts.now(), `service-account token endpoint ${new URL(sa.tokenUri).host}`);
}

/** `{access_token, expires_in, token_type}` → AccessToken; any other reply is an upstream_auth error. */
export function accessTokenFrom(status: number, json: unknown, nowMs: number, what: string): AccessToken {
  if (status < 200 || status > 299) throw tokenEndpointError(status, json, what);
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const token = o.access_token;
  const expiresIn = typeof o.expires_in === 'string' ? Number(o.expires_in) : o.expires_in;
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new GatewayError('upstream_auth', `${what} answered without access_token and expires_in`);
  }
  return { token, expiresAtMs: nowMs + expiresIn * 1000 };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
