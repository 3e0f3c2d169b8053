// Gemini models on Vertex AI: the Gemini API's request and response JSON and SSE framing (the
// gemini folder's codec, reused as is), at Vertex's resource path, with OAuth instead of an API key
// (docs/cloud-providers.md, Vertex section).

import type { UpstreamCodec, UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import { recoverFromForeignSignatures } from '../gemini/foreign-signatures.ts';
import { geminiUpstream } from '../gemini/index.ts';
import { vertexEmbeddings } from './embeddings.ts';
import { decodeVertexError } from './errors.ts';
import { expressModelUrl, modelUrl, type VertexLocation } from './location.ts';

/** Fields of a generateContent body that Vertex's countTokens also takes (js-genai's converters). */
const COUNT_FIELDS = ['contents', 'systemInstruction', 'tools', 'generationConfig'] as const;

export function vertexGeminiCodec(loc: VertexLocation): UpstreamCodec {
  const url = (endpoint: UpstreamEndpoint, model: string, method: string): string =>
    hasApiKey(endpoint) ? expressModelUrl(loc.baseUrl, model, method) : modelUrl(loc, 'google', model, method);

  const build = (req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean, prepared?: unknown): UpstreamHttpRequest => {
    // The Gemini codec builds body and headers (from a prepared body: context cache); the key
    // (express mode only) is the auth's to add.
    const inner = geminiUpstream.buildRequest(req, model, withoutKey(endpoint), stream, prepared);
    // Always alt=sse when streaming: without it Vertex streams one JSON array (as the Gemini API does).
    return { ...inner, url: url(endpoint, model, stream ? 'streamGenerateContent?alt=sse' : 'generateContent') };
  };

  return {
    ...geminiUpstream,
    // Vertex embeds through `:predict` (vertex.md §7), not the Gemini API's embedContent.
    embeddings: vertexEmbeddings(url),
    buildRequest: build,
    decodeError: (status, bodyText, headers, ctx) => recoverFromForeignSignatures(decodeVertexError(status, bodyText, headers, ctx, geminiUpstream), status, bodyText, ctx),
    countTokens: {
      buildRequest(req, model, endpoint) {
        const inner = build(req, model, endpoint, false);
        const full = JSON.parse(String(inner.body)) as Record<string, unknown>;
        const body: Record<string, unknown> = {};
        for (const f of COUNT_FIELDS) if (full[f] !== undefined) body[f] = full[f];
        return { ...inner, url: url(endpoint, model, 'countTokens'), body: JSON.stringify(body) };
      },
      decodeResponse(body) {
        const total = (body as { totalTokens?: unknown } | null)?.totalTokens;
        if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) throw new Error('countTokens reply without totalTokens');
        return total;
      },
    },
  };
}

function hasApiKey(endpoint: UpstreamEndpoint): boolean {
  return endpoint.apiKey !== undefined && endpoint.apiKey !== '';
}

function withoutKey(endpoint: UpstreamEndpoint): UpstreamEndpoint {
  if (endpoint.apiKey === undefined) return endpoint;
  const { apiKey: _key, ...rest } = endpoint;
  return rest;
}
