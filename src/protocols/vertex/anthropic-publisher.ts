// Claude models on Vertex AI: Anthropic Messages bodies and SSE (the anthropic folder's codec,
// reused), sent to `publishers/anthropic/models/{m}:streamRawPredict` / `:rawPredict` with the body
// rewrite Anthropic's Vertex SDK makes: `anthropic_version: "vertex-2023-10-16"` added, `model`
// removed (it is in the URL), `stream` kept, `anthropic-beta` left a header.

import type { UpstreamCodec, UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import { anthropicUpstream } from '../anthropic/index.ts';
import { decodeVertexError } from './errors.ts';
import { modelUrl, type VertexLocation } from './location.ts';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';
/** The count-tokens endpoint is a pseudo-model of the Anthropic publisher. */
const COUNT_TOKENS_MODEL = 'count-tokens';
/** What Anthropic's count_tokens takes of a Messages body; generation settings are refused there. */
const COUNT_FIELDS = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking'] as const;
/** First-party credentials must never go to Google (the Vertex SDK nulls them). */
const FIRST_PARTY_AUTH = ['x-api-key', 'authorization', 'api-key'] as const;

export function vertexAnthropicCodec(loc: VertexLocation): UpstreamCodec {
  /** The Anthropic codec's request for `model`, as a parsed body plus its headers. */
  const inner = (req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): { body: Record<string, unknown>; headers: Record<string, string> } => {
    const built = anthropicUpstream.buildRequest(req, model, withoutKey(endpoint), stream);
    const headers = { ...built.headers };
    for (const h of FIRST_PARTY_AUTH) delete headers[h];
    return { body: JSON.parse(built.body) as Record<string, unknown>, headers };
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
        const { body: full, headers } = inner(req, model, endpoint, false);
        const body: Record<string, unknown> = { anthropic_version: VERTEX_ANTHROPIC_VERSION };
        // Unlike messages, count-tokens keeps `model`: the URL names the pseudo-model.
        for (const f of COUNT_FIELDS) if (full[f] !== undefined) body[f] = full[f];
        return { url: modelUrl(loc, 'anthropic', COUNT_TOKENS_MODEL, 'rawPredict'), headers, body: JSON.stringify(body) };
      },
      decodeResponse(body) {
        const n = (body as { input_tokens?: unknown } | null)?.input_tokens;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error('count-tokens reply without input_tokens');
        return n;
      },
    },
  };
}

function withoutKey(endpoint: UpstreamEndpoint): UpstreamEndpoint {
  if (endpoint.apiKey === undefined) return endpoint;
  const { apiKey: _key, ...rest } = endpoint;
  return rest;
}
