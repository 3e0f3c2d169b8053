// GatewayError <-> OpenAI wire errors (openai-chat.md §7, translation.md §8), before and during a
// stream, in both directions: rendering sluice's errors for OpenAI-front clients, and reading the
// errors of OpenAI-compatible upstreams (OpenAI, OpenRouter, vLLM, Ollama, llama.cpp shapes).

import {
  GatewayError,
  clientStatusForUpstream,
  codeForUpstreamStatus,
  parseRetryAfter,
  type ErrorCode,
} from '../../core/errors.ts';
import type { ErrorContext, RenderedError } from '../../core/protocol.ts';
import type { WireErrorBody } from './wire.ts';

// ---------------------------------------------------------------------------------------------
// Front side: GatewayError -> OpenAI error JSON

const TIMEOUT_CODES: ReadonlySet<ErrorCode> = new Set([
  'upstream_timeout',
  'connect_timeout',
  'first_byte_timeout',
  'idle_timeout',
  'total_timeout',
]);

/** `error.type` in sluice's OpenAI vocabulary (translation.md §8); openai-node only looks at the status. */
export function openAIErrorType(err: GatewayError): string {
  if (TIMEOUT_CODES.has(err.code)) return 'timeout';
  // LiteLLM's name for it, which spend-aware clients already look for.
  if (err.code === 'budget_exceeded') return 'budget_exceeded';
  const status = err.status;
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'insufficient_quota';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** `error.code`: OpenAI's own code where one exists, else sluice's stable error code. */
export function openAIErrorCode(err: GatewayError): string {
  switch (err.code) {
    case 'model_not_found':
      return 'model_not_found';
    case 'unauthorized':
      return 'invalid_api_key';
    case 'rate_limited':
    case 'upstream_rate_limited':
      return 'rate_limit_exceeded';
    case 'upstream_overloaded':
      return 'overloaded';
    case 'body_too_large':
      return 'request_too_large';
    default:
      return err.code;
  }
}

/** An error before the commit point: status, JSON body, and retry-after in whole seconds. */
export function encodeOpenAIError(err: GatewayError): RenderedError {
  const body: WireErrorBody = {
    error: { message: err.message, type: openAIErrorType(err), param: err.param ?? null, code: openAIErrorCode(err) },
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfterMs / 1000)));
  return { status: err.status, body: JSON.stringify(body), headers };
}

/**
 * An error after the commit point: one `data:` event with a top-level `error` (openai-node throws
 * APIError on it, openai-chat.md §8), never `event: error`, and no `[DONE]` after it.
 */
export function encodeOpenAIStreamError(err: GatewayError): string {
  const payload = { error: { message: err.message, type: openAIErrorType(err), code: openAIErrorCode(err) } };
  return `data: ${JSON.stringify(payload)}\n\n`;
}

// ---------------------------------------------------------------------------------------------
// Upstream side: OpenAI-compatible error bodies -> GatewayError

/** how much of a non-JSON error body (an HTML page) is kept as the message. */
const TEXT_SNIPPET_CHARS = 200;

interface ParsedWireError {
  message?: string;
  type?: string;
  /** OpenAI: a string such as `rate_limit_exceeded`; OpenRouter and llama.cpp: an HTTP-like number. */
  code?: string | number;
  param?: string;
}

/**
 * Reads the error shapes seen from OpenAI-compatible servers: `{"error":{message,type,param,code}}`
 * (OpenAI, llama.cpp, OpenRouter with a numeric code), `{"error":"text"}` (Ollama), and top-level
 * `{"message", "type", "code"}` (vLLM) or `{"detail": …}` (FastAPI servers).
 */
export function readWireError(value: unknown): ParsedWireError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const body = value as Record<string, unknown>;
  const inner = body.error;
  if (typeof inner === 'string') return { message: inner };
  if (typeof inner === 'object' && inner !== null) return pickErrorFields(inner as Record<string, unknown>);
  if (typeof body.message === 'string') return pickErrorFields(body);
  if (typeof body.detail === 'string') return { message: body.detail };
  if (body.detail !== undefined) return { message: JSON.stringify(body.detail) };
  return undefined;
}

function pickErrorFields(o: Record<string, unknown>): ParsedWireError {
  const out: ParsedWireError = {};
  if (typeof o.message === 'string') out.message = o.message;
  if (typeof o.type === 'string') out.type = o.type;
  if (typeof o.code === 'string' || typeof o.code === 'number') out.code = o.code;
  if (typeof o.param === 'string') out.param = o.param;
  return out;
}

/** Maps an upstream's non-2xx answer (translation.md §8). The pipeline adds the provider name to the message. */
export function decodeUpstreamError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  ctx: ErrorContext,
): GatewayError {
  const parsed = readWireError(tryParseJson(bodyText));
  const message = parsed?.message || textSnippet(bodyText) || `HTTP ${status}`;
  return new GatewayError(codeForUpstreamStatus(status), message, {
    status: clientStatusForUpstream(status),
    retryable: retryableHint(status, parsed, headers),
    retryAfterMs: parseRetryAfter(headers),
    target: ctx.provider,
    upstreamType: parsed?.type ?? (typeof parsed?.code === 'string' ? parsed.code : undefined),
    upstreamStatus: status,
    param: parsed?.param,
  });
}

/**
 * An error reported inside a 200 answer: a mid-stream chunk with a top-level `error` (OpenAI and
 * OpenRouter shapes, Q-13), or a non-streaming body with `error`. A numeric HTTP-like code (OpenRouter)
 * classifies it like a status; otherwise the type or code text decides overloaded / rate limited.
 */
export function errorFromPayload(errorValue: unknown, ctx: ErrorContext, fallbackMessage: string): GatewayError {
  const parsed =
    typeof errorValue === 'string'
      ? { message: errorValue }
      : typeof errorValue === 'object' && errorValue !== null
        ? pickErrorFields(errorValue as Record<string, unknown>)
        : {};
  const message = parsed.message || fallbackMessage;
  const upstreamType = parsed.type ?? (typeof parsed.code === 'string' ? parsed.code : undefined);
  const common = { target: ctx.provider, upstreamType, param: parsed.param };
  if (typeof parsed.code === 'number' && parsed.code >= 400 && parsed.code <= 599) {
    return new GatewayError(codeForUpstreamStatus(parsed.code), message, {
      ...common,
      status: clientStatusForUpstream(parsed.code),
      upstreamStatus: parsed.code,
    });
  }
  const hint = `${parsed.type ?? ''} ${typeof parsed.code === 'string' ? parsed.code : ''}`.toLowerCase();
  if (hint.includes('overloaded')) return new GatewayError('upstream_overloaded', message, common);
  if (hint.includes('rate_limit')) return new GatewayError('upstream_rate_limited', message, common);
  return new GatewayError('upstream_error', message, common);
}

/** `x-should-retry` (openai-node honours it) and `insufficient_quota` (a 429 not worth retrying) refine the default. */
function retryableHint(
  status: number,
  parsed: ParsedWireError | undefined,
  headers: Record<string, string | string[] | undefined>,
): boolean | undefined {
  const header = headers['x-should-retry'];
  const should = Array.isArray(header) ? header[0] : header;
  if (should === 'true') return true;
  if (should === 'false') return false;
  if (status === 429 && (parsed?.code === 'insufficient_quota' || parsed?.type === 'insufficient_quota')) return false;
  return undefined;
}

function tryParseJson(text: string): unknown {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** an HTML page (Cloudflare 502/524) or plain text becomes a short readable message. */
export function textSnippet(text: string): string {
  const plain = text
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length <= TEXT_SNIPPET_CHARS) return plain;
  // Never cut a surrogate pair in half.
  const last = plain.charCodeAt(TEXT_SNIPPET_CHARS - 1);
  return plain.slice(0, last >= 0xd800 && last <= 0xdbff ? TEXT_SNIPPET_CHARS - 1 : TEXT_SNIPPET_CHARS);
}
