// GatewayError <-> Anthropic error bodies (anthropic-messages.md §7, translation.md §8), before a
// stream (HTTP status + JSON) and inside one (`event: error`).

import {
  GatewayError,
  clientStatusForUpstream,
  codeForUpstreamStatus,
  isRetryableStatus,
  parseRetryAfter,
  type ErrorCode,
} from '../../core/errors.ts';
import type { RenderedError } from '../../core/protocol.ts';
import { encodeEvent } from '../../sse/encoder.ts';

// ---------------------------------------------------------------------------------------------------
// Front side: render a GatewayError for an Anthropic client.

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * The status and error.type an Anthropic client sees. GatewayError.status is already the client
 * status, except that this front shows an overloaded upstream as 529 overloaded_error (what the SDKs
 * and Claude Code expect and retry) and 409/422 as 400 (translation.md §8).
 */
export function anthropicStatusAndType(err: GatewayError): { status: number; type: string } {
  if (err.code === 'upstream_overloaded' && (err.status === 503 || err.status === 529)) {
    return { status: 529, type: 'overloaded_error' };
  }
  // SPEC §12: the type says it is the budget, not a rate limit; the SDKs go by the 429 status.
  if (err.code === 'budget_exceeded') return { status: 429, type: 'budget_exceeded' };
  const status = err.status === 409 || err.status === 422 ? 400 : err.status;
  const type = TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { status, type };
}

/** error.type inside a stream: the status no longer matters, the kind of failure does. */
function streamErrorType(err: GatewayError): string {
  if (err.code === 'upstream_overloaded') return 'overloaded_error';
  return anthropicStatusAndType(err).type;
}

function errorJson(type: string, message: string, requestId?: string): string {
  const id = requestId === undefined ? '' : `,"request_id":${JSON.stringify(requestId)}`;
  return `{"type":"error","error":{"type":${JSON.stringify(type)},"message":${JSON.stringify(message)}}${id}}`;
}

/** §7: the body carries the request's id as `request_id`, as Anthropic's own do. */
export function encodeAnthropicError(err: GatewayError, ctx?: { requestId?: string }): RenderedError {
  const { status, type } = anthropicStatusAndType(err);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
  return { status, body: errorJson(type, err.message, ctx?.requestId), headers };
}

/** §7 mid-stream: `event: error` with the HTTP error body; the caller writes nothing after it. */
export function encodeStreamError(err: GatewayError): string {
  return encodeEvent('error', errorJson(streamErrorType(err), err.message));
}

// ---------------------------------------------------------------------------------------------------
// Upstream side: Anthropic, Azure Foundry (APIM in front) and MiniMax error bodies -> GatewayError.

const MESSAGE_PREVIEW = 200;

/** The status Anthropic uses for each error.type (§7), for error-shaped bodies that arrive with a 2xx. */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function statusForErrorType(type: string | undefined): number {
  return (type !== undefined && STATUS_BY_TYPE[type]) || 500;
}

/** An error-type string the upstream used, when it names a failure class the status alone hides. */
function codeForErrorType(type: string | undefined): ErrorCode | undefined {
  if (type === 'overloaded_error') return 'upstream_overloaded';
  if (type === 'rate_limit_error') return 'upstream_rate_limited';
  return undefined;
}

/** A mid-stream `error` event (Q-13): the stream already started, so only the kind matters. */
export function streamEventError(body: Record<string, unknown>, provider: string): GatewayError {
  const { type, message } = readErrorBody(body);
  const code: ErrorCode = codeForErrorType(type) ?? 'upstream_error';
  return new GatewayError(code, message ?? `${provider} sent an error event${type ? ` (${type})` : ''}`, {
    upstreamType: type,
  });
}

export function decodeAnthropicError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
): GatewayError {
  let type: string | undefined;
  let message: string | undefined;
  const trimmed = bodyText.trim();
  if (trimmed.startsWith('{')) {
    try {
      ({ type, message } = readErrorBody(JSON.parse(trimmed)));
    } catch {
      // Not JSON after all: fall through to the text preview.
    }
  }
  message ??= textPreview(trimmed) || `upstream answered HTTP ${status}`;
  const code = codeForErrorType(type) ?? codeForUpstreamStatus(status);
  return new GatewayError(code, message, {
    status: code === 'upstream_overloaded' ? 503 : code === 'upstream_rate_limited' ? 429 : clientStatusForUpstream(status),
    // SPEC §4.6 moves on after 408/409/429/5xx/529, whatever the code's default says.
    retryable: code === 'upstream_overloaded' || code === 'upstream_rate_limited' || isRetryableStatus(status),
    retryAfterMs: parseRetryAfter(headers),
    upstreamType: type,
    upstreamStatus: status,
  });
}

/**
 * The error type and message of the JSON error shapes seen from Anthropic-family hosts:
 * Anthropic `{"type":"error","error":{"type","message"}}`; Azure APIM / Foundry
 * `{"error":{"code","message"}}` and `{"statusCode":401,"message"}`; `{"error":"text"}`,
 * `{"detail":"text"}`; MiniMax `{"base_resp":{"status_code","status_msg"}}`.
 */
function readErrorBody(body: unknown): { type?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const err = b.error;
  if (typeof err === 'object' && err !== null) {
    const e = err as Record<string, unknown>;
    return { type: str(e.type), message: str(e.message) ?? str(e.code) };
  }
  if (typeof err === 'string') return { message: err };
  const baseResp = b.base_resp;
  if (typeof baseResp === 'object' && baseResp !== null) {
    return { message: str((baseResp as Record<string, unknown>).status_msg) };
  }
  return { message: str(b.message) ?? str(b.detail) };
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Q-15: HTML or plain-text bodies (CDN and APIM pages) -> their text, tags stripped, truncated. */
function textPreview(text: string): string {
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > MESSAGE_PREVIEW ? `${plain.slice(0, MESSAGE_PREVIEW)}…` : plain;
}
