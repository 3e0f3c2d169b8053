// GatewayError -> Google's error JSON for Gemini clients (gemini.md §5, §8.4):
// `{"error":{"code":<http>,"message":"…","status":"<CANONICAL>","details":[…]}}`. A 429 carries
// google.rpc.RetryInfo: Gemini CLI retries a 429 only when it finds one. Mid-stream the same
// object is the last SSE data event, or the last element of the JSON array.

import type { GatewayError } from '../../core/errors.ts';
import type { RenderedError } from '../../core/protocol.ts';

const STATUS_NAME: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  402: 'FAILED_PRECONDITION',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  422: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The HTTP status and google.rpc status name a Gemini client sees. */
export function geminiStatus(err: GatewayError): { code: number; status: string } {
  // 529 is Anthropic's; Google clients know overload as 503 UNAVAILABLE.
  const code = err.status === 529 ? 503 : err.status;
  const status = STATUS_NAME[code] ?? (code >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
  return { code, status };
}

/** `{"error":{…}}` as JSON text. */
export function geminiErrorJson(err: GatewayError): string {
  const { code, status } = geminiStatus(err);
  const body: { code: number; message: string; status: string; details?: unknown[] } = { code, message: err.message, status };
  if (err.retryAfterMs !== undefined && (code === 429 || code === 503)) {
    body.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.max(1, Math.ceil(err.retryAfterMs / 1000))}s` }];
  }
  return JSON.stringify({ error: body });
}

export function encodeGeminiError(err: GatewayError): RenderedError {
  const { code } = geminiStatus(err);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
  return { status: code, body: geminiErrorJson(err), headers };
}
