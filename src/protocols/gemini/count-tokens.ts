// Token counts (docs/token-counting.md). Upstream side: Gemini's own `:countTokens`, given the whole
// request as `generateContentRequest` so system instruction and tools count too (gemini.md §8.1).
// Front side: the body of a client's `:countTokens` (either `{contents}` or
// `{generateContentRequest}`) and the `{"totalTokens": n}` answer.

import { GatewayError } from '../../core/errors.ts';
import type { ChatRequest } from '../../core/request.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import { decodeGeminiRequest, type DecodeLog } from './decode-request.ts';
import { encodeGeminiBody, geminiBase, geminiHeaders } from './encode-request.ts';
import type { CountTokensResponse } from './front-wire.ts';

export function buildGeminiCountRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest {
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  const inner = encodeGeminiBody(req, endpoint) as unknown as Record<string, unknown>;
  // Only the content counts; generation settings would make Google validate them for nothing.
  delete inner.generationConfig;
  delete inner.safetySettings;
  return {
    url: `${geminiBase(endpoint.baseUrl)}/models/${encodeURIComponent(name)}:countTokens`,
    headers: geminiHeaders(endpoint),
    body: JSON.stringify({ generateContentRequest: { model: `models/${name}`, ...inner } }),
  };
}

export function decodeGeminiCount(body: unknown): number {
  const total = (body as { totalTokens?: unknown } | null)?.totalTokens;
  // Google omits zero-valued fields in proto JSON: a reply without totalTokens counted nothing.
  if (total === undefined && typeof body === 'object' && body !== null && !('error' in body)) return 0;
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) {
    throw new GatewayError('upstream_malformed', 'Gemini countTokens reply has no totalTokens');
  }
  return total;
}

/** A client's countTokens body -> the canonical request it counts. */
export function decodeGeminiCountRequest(body: unknown, model: string, log?: DecodeLog): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'Invalid JSON payload received. Expected an object for CountTokensRequest.');
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (key !== 'contents' && key !== 'generateContentRequest' && key !== 'generate_content_request') {
      throw new GatewayError('invalid_request', `Invalid JSON payload received. Unknown name ${JSON.stringify(key)}: Cannot find field.`, { param: key });
    }
  }
  const inner = b.generateContentRequest ?? b.generate_content_request;
  if (inner !== undefined) {
    if (b.contents !== undefined) throw new GatewayError('invalid_request', 'give either contents or generateContentRequest, not both', { param: 'contents' });
    return decodeGeminiRequest(inner, { model, stream: false }, log);
  }
  return decodeGeminiRequest({ contents: b.contents }, { model, stream: false }, log);
}

export function encodeGeminiCount(count: { inputTokens: number }): string {
  const out: CountTokensResponse = { totalTokens: count.inputTokens };
  return JSON.stringify(out);
}
