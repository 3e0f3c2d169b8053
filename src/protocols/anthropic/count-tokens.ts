// POST /v1/messages/count_tokens (Anthropic's token count, answered as `{"input_tokens": n}`): the
// front's answer shape, and the upstream capability that asks an Anthropic-dialect host for its own
// count. The count endpoint takes the request's content fields only.

import type { IncomingHttpHeaders } from 'node:http';
import type { FrontContext, TokenCount, UpstreamCodec, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import { decodeAnthropicRequest } from './decode-request.ts';
import { buildAnthropicRequest, messagesUrl } from './encode-request.ts';

/** Fields of a Messages body the count endpoint accepts; sampling and streaming fields are refused there. */
const COUNTED_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers']);

export const anthropicCountTokens: NonNullable<UpstreamCodec['countTokens']> = {
  buildRequest(req, model, endpoint): UpstreamHttpRequest {
    const built = buildAnthropicRequest({ ...req, stream: false }, model, endpoint, false);
    const body = JSON.parse(String(built.body)) as Record<string, unknown>;
    for (const key of Object.keys(body)) if (!COUNTED_FIELDS.has(key)) delete body[key];
    return { url: `${messagesUrl(endpoint.baseUrl)}/count_tokens`, headers: built.headers, body: JSON.stringify(body) };
  },
  decodeResponse(body) {
    const n = (body as { input_tokens?: unknown } | null)?.input_tokens;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error('count_tokens answer without a numeric input_tokens');
    return n;
  },
};

/** `{"input_tokens": N}`, the shape the SDK's messages.countTokens returns. */
export function encodeAnthropicCount(count: TokenCount, _ctx: FrontContext): string {
  return JSON.stringify({ input_tokens: count.inputTokens });
}

/** max_tokens for decoding a count request as a Messages request (the count endpoint takes none). */
const NO_OUTPUT = 1;

/**
 * A count_tokens body decodes like a Messages body without max_tokens (and never streams). `raw`
 * stays the client's own body, so an Anthropic upstream counts exactly what was sent.
 */
export function decodeAnthropicCountRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return decodeAnthropicRequest(body, headers);
  const b = body as Record<string, unknown>;
  const req = decodeAnthropicRequest({ ...b, max_tokens: NO_OUTPUT, stream: false }, headers);
  req.raw = b;
  delete req.maxTokens;
  return req;
}
