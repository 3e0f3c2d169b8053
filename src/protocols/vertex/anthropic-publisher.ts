// Claude models on Vertex AI: Anthropic Messages bodies and SSE (the anthropic folder's codec,
// reused), sent to `publishers/anthropic/models/{m}:streamRawPredict` / `:rawPredict` with the body
// rewrite Anthropic's Vertex SDK makes: `anthropic_version: "vertex-2023-10-16"` added, `model`
// removed (it is in the URL), `stream` kept, `anthropic-beta` left a header.

import { GatewayError } from '../../core/errors.ts';
import type { UpstreamCodec, UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import { anthropicUpstream } from '../anthropic/index.ts';
import { anthropicCountTokens } from '../anthropic/count-tokens.ts';
import { decodeVertexError } from './errors.ts';
import { modelUrl, type VertexLocation } from './location.ts';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';
/** The count-tokens endpoint is a pseudo-model of the Anthropic publisher. */
const COUNT_TOKENS_MODEL = 'count-tokens';
/** First-party credentials must never go to Google (the Vertex SDK nulls them). */
const FIRST_PARTY_AUTH = ['x-api-key', 'authorization', 'api-key'] as const;

export function vertexAnthropicCodec(loc: VertexLocation): UpstreamCodec {
  /** The Anthropic codec's request for `model`, as a parsed body plus its headers. */
  const inner = (req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): { body: Record<string, unknown>; headers: Record<string, string> } => {
    // Express mode (an API key, no project) serves Google's models only.
    if (loc.project === '') throw new GatewayError('unsupported', `Claude model ${model} on Vertex AI needs a project and OAuth credentials, not an API key`);
    const built = anthropicUpstream.buildRequest(req, model, withoutKey(endpoint), stream);
    const headers = { ...built.headers };
    for (const h of FIRST_PARTY_AUTH) delete headers[h];
    return { body: JSON.parse(String(built.body)) as Record<string, unknown>, headers };
  };

  return {
    ...anthropicUpstream,
    buildRequest(req, model, endpoint, stream): UpstreamHttpRequest {
      const { body, headers } = inner(req, model, endpoint, stream);
      delete body.model;
      // A client's own anthropic_version (an Anthropic-front body passed through) is kept.
      body.anthropic_version ??= VERTEX_ANTHROPIC_VERSION;
      return { url: modelUrl(loc, 'anthropic', model, stream ? 'streamRawPredict' : 'rawPredict'), headers, body: JSON.stringify(body) };
    },
    decodeError: (status, bodyText, headers, ctx) => decodeVertexError(status, bodyText, headers, ctx, anthropicUpstream),
    countTokens: {
      buildRequest(req, model, endpoint) {
        // Anthropic's count_tokens body (content fields only); unlike messages it keeps `model`, as
        // the URL names the pseudo-model.
        const built = anthropicCountTokens.buildRequest(req, model, withoutKey(endpoint));
        const headers = { ...built.headers };
        for (const h of FIRST_PARTY_AUTH) delete headers[h];
        const body = { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...(JSON.parse(String(built.body)) as Record<string, unknown>) };
        return { url: modelUrl(loc, 'anthropic', COUNT_TOKENS_MODEL, 'rawPredict'), headers, body: JSON.stringify(body) };
      },
      decodeResponse: anthropicCountTokens.decodeResponse,
    },
  };
}

function withoutKey(endpoint: UpstreamEndpoint): UpstreamEndpoint {
  if (endpoint.apiKey === undefined) return endpoint;
  const { apiKey: _key, ...rest } = endpoint;
  return rest;
}
