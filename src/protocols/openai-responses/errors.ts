// GatewayError <-> Responses wire errors (docs/protocols/openai-responses.md §3, §5.3;
// docs/translation.md §8). Before the stream the shape is OpenAI's `{"error":{message,type,param,code}}`.
// Mid-stream it is an `error` event followed by the one terminal event, `response.failed`:
// - the `error` event carries the documented flat fields (`code`, `message`, `param`) AND the nested
//   `error` object OpenAI actually sends at runtime, so openai-node 6 (which throws on a payload with
//   `error`) and 7 (which throws on `event: error`) both raise an APIError, and clients written
//   against either shape see the failure;
// - `response.failed` is what Codex reads (its `response.error.code` decides retry vs. give up:
//   `context_length_exceeded`, `rate_limit_exceeded`, `insufficient_quota` have meanings there).

import { GatewayError, type ErrorCode } from '../../core/errors.ts';
import type { DecodeContext, RenderedError } from '../../core/protocol.ts';
import { decodeUpstreamError, errorFromPayload, openAIErrorCode, openAIErrorType } from '../openai/errors.ts';
import type { WireErrorBody } from './wire.ts';

/** Upstream wording of a context overflow (OpenAI, Anthropic "prompt is too long", Gemini, vLLM). */
const CONTEXT_OVERFLOW = /context[_ ](length|window)|maximum context|prompt is too long|too many (input )?tokens|exceeds? the (model's )?(context|maximum)/i;

export function isContextOverflow(err: GatewayError): boolean {
  if (err.upstreamType === 'context_length_exceeded') return true;
  return (err.code === 'upstream_client_error' || err.code === 'invalid_request') && CONTEXT_OVERFLOW.test(err.message);
}

/** `error.code`: Codex acts on context_length_exceeded (compaction instead of retry, §5.3). */
export function responsesErrorCode(err: GatewayError): string {
  return isContextOverflow(err) ? 'context_length_exceeded' : openAIErrorCode(err);
}

export function encodeResponsesError(err: GatewayError): RenderedError {
  const body: WireErrorBody = {
    error: { message: err.message, type: openAIErrorType(err), param: err.param ?? null, code: responsesErrorCode(err) },
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfterMs / 1000)));
  return { status: err.status, body: JSON.stringify(body), headers };
}

/** The body of a mid-stream `error` event, without its sequence number. */
export function errorEventFields(err: GatewayError): string {
  const code = responsesErrorCode(err);
  const param = err.param ?? null;
  const nested = { type: openAIErrorType(err), code, message: err.message, param };
  return `"code":${JSON.stringify(code)},"message":${JSON.stringify(err.message)},"param":${JSON.stringify(param)},"error":${JSON.stringify(nested)}`;
}

// ---------------------------------------------------------------------------------------------
// Upstream side

/** Non-2xx answers of /v1/responses have the Chat Completions error shape. */
export const decodeResponsesUpstreamError = decodeUpstreamError;

/** Error codes after which another attempt cannot succeed. */
const FINAL_CODES = new Set(['context_length_exceeded', 'invalid_prompt', 'insufficient_quota', 'invalid_request_error', 'invalid_api_key']);

/**
 * An `error` event (flat or nested shape, Q-13) or a `response.failed` response's `error`, inside a
 * 200 stream or body.
 */
export function upstreamStreamError(value: unknown, ctx: DecodeContext, fallback: string): GatewayError {
  const o = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const inner = typeof o.error === 'object' && o.error !== null ? (o.error as Record<string, unknown>) : o;
  const code = typeof inner.code === 'string' ? inner.code : typeof o.code === 'string' ? o.code : undefined;
  const message = typeof inner.message === 'string' ? inner.message : typeof o.message === 'string' ? o.message : fallback;
  const type = typeof inner.type === 'string' && inner.type !== 'error' ? inner.type : undefined;
  if (code !== undefined && (FINAL_CODES.has(code) || (type !== undefined && FINAL_CODES.has(type)))) {
    const kind: ErrorCode = code === 'invalid_api_key' ? 'upstream_auth' : 'upstream_client_error';
    return new GatewayError(kind, message, { target: ctx.provider, upstreamType: code, retryable: false });
  }
  return errorFromPayload({ message, type, code }, ctx, fallback);
}
