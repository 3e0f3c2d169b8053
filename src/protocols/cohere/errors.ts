// GatewayError <-> Cohere error bodies (docs/protocols/cohere.md §6, §7): `{"message"}` with the HTTP
// status before a stream; after the commit point, the native failure — a `message-end` whose
// finish_reason is ERROR (TIMEOUT for time limits) carrying `delta.error`.

import {
  GatewayError,
  clientStatusForUpstream,
  codeForUpstreamStatus,
  isRetryableStatus,
  parseRetryAfter,
  type ErrorCode,
} from '../../core/errors.ts';
import type { RenderedError } from '../../core/protocol.ts';
import type { WireErrorBody } from './wire.ts';

// ---------------------------------------------------------------------------------------------------
// Front side: render a GatewayError for a Cohere client.

const TIMEOUT_CODES: ReadonlySet<ErrorCode> = new Set([
  'upstream_timeout',
  'connect_timeout',
  'first_byte_timeout',
  'idle_timeout',
  'total_timeout',
]);

/** Before the commit point: the status the SDK turns into its typed error, and `{"message"}`. */
export function encodeCohereError(err: GatewayError): RenderedError {
  const body: WireErrorBody = { message: err.message };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfterMs / 1000)));
  return { status: err.status, body: JSON.stringify(body), headers };
}

/** finish_reason of the message-end that reports a failure mid-stream. */
export function failureFinishReason(err: GatewayError): 'ERROR' | 'TIMEOUT' {
  return TIMEOUT_CODES.has(err.code) ? 'TIMEOUT' : 'ERROR';
}

/** After the commit point: the closing message-end of a failed generation; nothing follows it. */
export function encodeCohereStreamError(err: GatewayError): string {
  return (
    'event: message-end\ndata: {"type":"message-end","delta":{"finish_reason":"' +
    failureFinishReason(err) +
    '","error":' +
    JSON.stringify(err.message) +
    '}}\n\n'
  );
}

// ---------------------------------------------------------------------------------------------------
// Upstream side: Cohere error bodies -> GatewayError.

const MESSAGE_PREVIEW = 200;

/** Statuses Cohere uses beyond the common table (§7). */
function codeFor(status: number): ErrorCode {
  if (status === 498) return 'upstream_auth'; // invalid token
  if (status === 499) return 'upstream_error'; // Cohere saw the request cancelled: not the client's fault
  return codeForUpstreamStatus(status);
}

function clientStatus(code: ErrorCode, status: number): number {
  if (code === 'upstream_auth') return status === 403 ? 403 : 401;
  if (code === 'upstream_error' && status < 500) return 502;
  return clientStatusForUpstream(status);
}

export function decodeCohereError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
): GatewayError {
  const trimmed = bodyText.trim();
  let message: string | undefined;
  if (trimmed.startsWith('{')) {
    try {
      message = readErrorMessage(JSON.parse(trimmed));
    } catch {
      // Not JSON after all: the text preview below.
    }
  }
  message ??= textPreview(trimmed) || `upstream answered HTTP ${status}`;
  const code = codeFor(status);
  return new GatewayError(code, message, {
    status: clientStatus(code, status),
    retryable: status === 499 || isRetryableStatus(status),
    retryAfterMs: parseRetryAfter(headers),
    upstreamStatus: status,
  });
}

/** A failure reported in-stream: message-end with ERROR/TIMEOUT, or a bare `{"message"}` event. */
export function cohereStreamError(finishReason: string | undefined, message: string | undefined, provider: string): GatewayError {
  const code: ErrorCode = finishReason === 'TIMEOUT' ? 'upstream_timeout' : 'upstream_error';
  const text = message ?? `${provider} reported a failed generation${finishReason ? ` (${finishReason})` : ''}`;
  return new GatewayError(code, text, { upstreamType: finishReason });
}

/**
 * The message of the error shapes seen from Cohere and hosts in front of it: `{"message"}` (with an
 * `id`), `{"data":{"error":{"message"}}}`, `{"error":{"message"}}` / `{"error":"text"}`, `{"detail"}`.
 */
export function readErrorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.message === 'string' && b.message !== '') return b.message;
  const data = b.data;
  if (typeof data === 'object' && data !== null) {
    const nested = readErrorMessage(data);
    if (nested !== undefined) return nested;
  }
  const err = b.error;
  if (typeof err === 'string' && err !== '') return err;
  if (typeof err === 'object' && err !== null) {
    const m = (err as Record<string, unknown>).message;
    if (typeof m === 'string' && m !== '') return m;
  }
  return typeof b.detail === 'string' && b.detail !== '' ? b.detail : undefined;
}

/** HTML or plain-text bodies (CDN pages) -> their text, tags stripped, truncated. */
function textPreview(text: string): string {
  const plain = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > MESSAGE_PREVIEW ? `${plain.slice(0, MESSAGE_PREVIEW)}…` : plain;
}
