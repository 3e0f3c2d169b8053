// Bedrock CountTokens (`POST /model/{id}/count-tokens`, bedrock.md §8): the Converse form of the
// request, `{input:{converse:{messages, system, toolConfig, additionalModelRequestFields}}}`, answered
// with `{"inputTokens": n}`. Not every model supports it: an error reply falls back to the local count.

import { GatewayError } from '../../core/errors.ts';
import type { UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import { converseBody } from './encode-request.ts';
import { operationUrl } from './settings.ts';
import { JSON_CONTENT_TYPE, type WireConverseRequest, type WireCountTokensRequest } from './wire.ts';

export function buildCountTokensRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest {
  const full = (req.front === 'bedrock' ? req.raw : converseBody(req, model, endpoint)) as WireConverseRequest;
  const converse: WireCountTokensRequest['input']['converse'] = { messages: full.messages };
  if (full.system !== undefined) converse.system = full.system;
  if (full.toolConfig !== undefined) converse.toolConfig = full.toolConfig;
  if (full.additionalModelRequestFields !== undefined) converse.additionalModelRequestFields = full.additionalModelRequestFields;
  const body: WireCountTokensRequest = { input: { converse } };
  return {
    url: operationUrl(endpoint, model, 'count-tokens'),
    method: 'POST',
    headers: { ...endpoint.headers, 'content-type': JSON_CONTENT_TYPE, accept: JSON_CONTENT_TYPE },
    body: JSON.stringify(body),
  };
}

export function decodeCountTokensResponse(body: unknown): number {
  const n = (body as { inputTokens?: unknown } | null)?.inputTokens;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new GatewayError('upstream_malformed', 'Bedrock CountTokens answered without inputTokens');
  }
  return n;
}
