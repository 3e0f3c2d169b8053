// `POST /v1/messages/count_tokens` (docs/token-counting.md). Upstream side: the host's own counter
// for Anthropic-dialect upstreams, given what the endpoint takes (model, messages, system, tools,
// tool_choice, thinking, …; not max_tokens or sampling settings). Front side: the request has no
// max_tokens, and the answer is `{"input_tokens": n}`.

import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../core/errors.ts';
import type { ChatRequest } from '../../core/request.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import { decodeAnthropicRequest } from './decode-request.ts';
import { buildAnthropicRequest, messagesUrl } from './encode-request.ts';

/** The fields Anthropic's count_tokens accepts; everything else in a Messages body is refused there. */
const COUNT_FIELDS = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers', 'context_management', 'output_config'];
/** max_tokens for decoding a count request as a Messages request (it asks for none). */
const NO_OUTPUT = 1;

export function buildAnthropicCountRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest {
  const messages = buildAnthropicRequest(req, model, endpoint, false);
  const full = JSON.parse(messages.body) as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const key of COUNT_FIELDS) if (full[key] !== undefined) body[key] = full[key];
  return { url: `${messagesUrl(endpoint.baseUrl)}/count_tokens`, headers: messages.headers, body: JSON.stringify(body) };
}

export function decodeAnthropicCount(body: unknown): number {
  const n = (body as { input_tokens?: unknown } | null)?.input_tokens;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new GatewayError('upstream_malformed', 'count_tokens reply has no input_tokens');
  }
  return n;
}

/** A count_tokens body decodes like a Messages body without max_tokens (and never streams). */
export function decodeAnthropicCountRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return decodeAnthropicRequest(body, headers);
  const b = body as Record<string, unknown>;
  const req = decodeAnthropicRequest({ ...b, max_tokens: NO_OUTPUT, stream: false }, headers);
  // raw stays the client's own body, so an Anthropic upstream counts exactly what was sent.
  req.raw = b;
  delete req.maxTokens;
  return req;
}

export function encodeAnthropicCount(count: { inputTokens: number }): string {
  return `{"input_tokens":${count.inputTokens}}`;
}
