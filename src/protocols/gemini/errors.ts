// Gemini error bodies -> GatewayError (gemini.md §5, translation.md §8). Before the stream an error is
// an HTTP status plus `{"error":{code,message,status,details}}`; during an `alt=sse` stream the same
// object arrives as a data payload.

import {
  ERROR_KINDS,
  GatewayError,
  clientStatusForUpstream,
  codeForUpstreamStatus,
  parseRetryAfter,
  type ErrorCode,
} from '../../core/errors.ts';
import type { GeminiErrorBody } from './wire.ts';

/** google.rpc.Code names (https://ai.google.dev/gemini-api/docs/troubleshooting). */
const CODE_BY_STATUS: Readonly<Record<string, ErrorCode>> = {
  INVALID_ARGUMENT: 'upstream_client_error',
  FAILED_PRECONDITION: 'upstream_client_error',
  OUT_OF_RANGE: 'upstream_client_error',
  ALREADY_EXISTS: 'upstream_client_error',
  NOT_FOUND: 'upstream_client_error',
  UNAUTHENTICATED: 'upstream_auth',
  PERMISSION_DENIED: 'upstream_auth',
  RESOURCE_EXHAUSTED: 'upstream_rate_limited',
  INTERNAL: 'upstream_error',
  UNKNOWN: 'upstream_error',
  ABORTED: 'upstream_error',
  UNAVAILABLE: 'upstream_overloaded',
  DEADLINE_EXCEEDED: 'upstream_timeout',
};

const MAX_TEXT = 500;

/** Maps a non-2xx reply. The body is read as JSON whatever its content type (openclaw#78180, Q-2). */
export function decodeGeminiError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
): GatewayError {
  const body = findErrorBody(bodyText);
  const headerDelay = parseRetryAfter(headers);
  if (body === undefined) {
    const text = bodyText.trim();
    const message = text === '' ? `upstream returned HTTP ${status}` : `upstream returned HTTP ${status}: ${truncate(text)}`;
    return new GatewayError(codeForUpstreamStatus(status), message, {
      status: clientStatusForUpstream(status),
      upstreamStatus: status,
      retryAfterMs: headerDelay,
    });
  }
  return errorFromBody(body, status, headerDelay);
}

/**
 * The full mapping for an error object, for replies that never reached the client: the google.rpc
 * status name decides the code; the HTTP status (or the body's numeric code) decides the status only
 * when both agree, so a mislabelled reply cannot produce a contradictory error.
 */
export function errorFromBody(body: GeminiErrorBody, httpStatus?: number, headerDelayMs?: number): GatewayError {
  const upstreamStatus = httpStatus !== undefined && httpStatus >= 400 ? httpStatus : numericCode(body);
  const statusName = typeof body.status === 'string' ? body.status : undefined;
  const code = errorCode(statusName, upstreamStatus);
  const status =
    upstreamStatus !== undefined && codeForUpstreamStatus(upstreamStatus) === code
      ? clientStatusForUpstream(upstreamStatus)
      : ERROR_KINDS[code].status;
  return new GatewayError(code, messageOf(body, upstreamStatus), {
    status,
    upstreamStatus,
    upstreamType: statusName,
    retryAfterMs: headerDelayMs ?? retryDelayMs(body.details),
  });
}

/**
 * The status name decides, except that a generic INTERNAL/UNKNOWN says less than an HTTP 429, 503 or
 * 529: a relay in front of Gemini that is overloaded or rate limited must still read as "retry later"
 * (529 overloaded_error for Anthropic clients, translation.md §8), not as a 502.
 */
function errorCode(statusName: string | undefined, upstreamStatus: number | undefined): ErrorCode {
  const byName = statusName !== undefined ? CODE_BY_STATUS[statusName] : undefined;
  const byStatus = upstreamStatus !== undefined ? codeForUpstreamStatus(upstreamStatus) : undefined;
  if (byName === 'upstream_error' && (byStatus === 'upstream_overloaded' || byStatus === 'upstream_rate_limited')) return byStatus;
  return byName ?? byStatus ?? 'upstream_error';
}

/**
 * An error payload inside a 200 stream. Only overload and rate limits keep their own code; anything
 * else is the upstream failing mid-answer (protocol brief).
 */
export function streamErrorFromBody(body: GeminiErrorBody): GatewayError {
  const statusName = typeof body.status === 'string' ? body.status : undefined;
  const numeric = numericCode(body);
  const code: ErrorCode =
    statusName === 'RESOURCE_EXHAUSTED' || (statusName === undefined && numeric === 429)
      ? 'upstream_rate_limited'
      : statusName === 'UNAVAILABLE' || (statusName === undefined && numeric === 503)
        ? 'upstream_overloaded'
        : 'upstream_error';
  return new GatewayError(code, messageOf(body, numeric), {
    upstreamStatus: numeric,
    upstreamType: statusName,
    retryAfterMs: retryDelayMs(body.details),
  });
}

/** The `error` member of a parsed payload, when it is an object. */
export function errorMember(value: unknown): GeminiErrorBody | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const err = (value as { error?: unknown }).error;
  return typeof err === 'object' && err !== null && !Array.isArray(err) ? (err as GeminiErrorBody) : undefined;
}

function findErrorBody(bodyText: string): GeminiErrorBody | undefined {
  let text = bodyText.trim();
  // A relay may still have framed it as one SSE event.
  if (text.startsWith('data:')) text = text.slice(5).trim();
  if (text[0] !== '{' && text[0] !== '[') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Without alt=sse the streaming endpoint wraps everything, errors included, in an array (gemini.md §1).
  if (Array.isArray(parsed)) parsed = parsed[0];
  return errorMember(parsed);
}

function numericCode(body: GeminiErrorBody): number | undefined {
  return typeof body.code === 'number' && Number.isInteger(body.code) ? body.code : undefined;
}

function messageOf(body: GeminiErrorBody, status: number | undefined): string {
  if (typeof body.message === 'string' && body.message !== '') return body.message;
  const name = typeof body.status === 'string' ? ` ${body.status}` : '';
  return status !== undefined ? `upstream returned HTTP ${status}${name}` : `upstream error${name}`;
}

/** google.rpc.RetryInfo `retryDelay` is a proto Duration in JSON form, e.g. "7s" or "0.5s". */
function retryDelayMs(details: unknown): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    if (typeof d !== 'object' || d === null) continue;
    const delay = (d as { retryDelay?: unknown }).retryDelay;
    if (typeof delay !== 'string') continue;
    const m = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
    if (m) return Math.ceil(Number(m[1]) * 1000);
  }
  return undefined;
}

function truncate(text: string): string {
  return text.length <= MAX_TEXT ? text : `${text.slice(0, MAX_TEXT)}…`;
}
