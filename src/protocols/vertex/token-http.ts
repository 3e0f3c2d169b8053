// The one HTTP call a token source makes: a form POST (or GET) to a token endpoint, JSON back.
// undici's request with its global dispatcher: token endpoints are few and called rarely (once an
// hour per credential), so they need no per-provider agent. Errors are GatewayErrors that name the
// endpoint's host, never a token, an assertion or a secret.

import { request, type Dispatcher } from 'undici';
import { GatewayError } from '../../core/errors.ts';

/** A token endpoint that does not answer within this is treated as unreachable. */
const TOKEN_TIMEOUT_MS = 30_000;
/** Token replies are small; anything larger is not one. */
const MAX_REPLY_BYTES = 256 * 1024;

export interface TokenReply {
  status: number;
  json: unknown;
}

export function postForm(url: string, form: Record<string, string>, signal: AbortSignal, what: string, dispatcher?: Dispatcher): Promise<TokenReply> {
  return call(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams(form).toString(), dispatcher }, signal, what);
}

async function call(
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string; dispatcher?: Dispatcher },
  signal: AbortSignal,
  what: string,
): Promise<TokenReply> {
  const host = safeHost(url);
  const timeout = AbortSignal.timeout(TOKEN_TIMEOUT_MS);
  let res;
  try {
    res = await request(url, { ...init, signal: AbortSignal.any([signal, timeout]) });
  } catch (err) {
    const reason = timeout.aborted ? `no answer within ${TOKEN_TIMEOUT_MS / 1000} s` : ((err as { code?: string }).code ?? 'connection failed');
    throw new GatewayError('upstream_unreachable', `${what} endpoint ${host} unreachable (${reason})`, { cause: err });
  }
  let text = '';
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_REPLY_BYTES) {
      res.body.destroy();
      throw new GatewayError('upstream_error', `${what} endpoint ${host} sent an oversized reply`);
    }
    text += (chunk as Buffer).toString('utf8');
  }
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json };
}

/**
 * A refused grant: 4xx is a credentials problem (upstream_auth: not retried, marks the target
 * unhealthy); 5xx or 429 the endpoint's own trouble (retryable, another target may serve).
 * OAuth's `{"error","error_description"}` never carries a secret, so it is quoted.
 */
export function tokenEndpointError(status: number, json: unknown, what: string): GatewayError {
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const code = typeof o.error === 'string' ? o.error : undefined;
  const description = typeof o.error_description === 'string' ? o.error_description : undefined;
  const detail = [code, description].filter((x) => x !== undefined).join(': ');
  const message = `${what} refused the credentials: HTTP ${status}${detail === '' ? '' : ` ${truncate(detail)}`}`;
  if (status === 429 || status >= 500) return new GatewayError(status === 429 ? 'upstream_rate_limited' : 'upstream_error', message, { upstreamStatus: status });
  return new GatewayError('upstream_auth', message, { upstreamStatus: status, upstreamType: code });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

function truncate(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
