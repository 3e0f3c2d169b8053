// Gemini embeddings, upstream side (docs/embeddings.md): one input is `models/{m}:embedContent`
// with `{content:{parts:[{text}]}, outputDimensionality}` → `{embedding:{values}}`; several are
// `models/{m}:batchEmbedContents` with `{requests:[{model:"models/{m}", content, …}]}` →
// `{embeddings:[{values}]}`, in input order. Gemini takes text only (token ids are refused), and
// reports no token counts (usage is estimated and marked so), unless a `usageMetadata` is present.

import { GatewayError } from '../../core/errors.ts';
import { vectorFromNumbers, type EmbeddingsRequest, type EmbeddingsResponse } from '../../core/embeddings.ts';
import type { UpstreamCodec, UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';

function modelPath(baseUrl: string, model: string, method: string): string {
  let base = baseUrl.replace(/\/+$/, '');
  if (!/\/v1(?:beta|alpha)?$/.test(base)) base += '/v1beta';
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  return `${base}/models/${encodeURIComponent(name)}:${method}`;
}

function buildRequest(req: EmbeddingsRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest {
  if (req.input.kind !== 'text') {
    throw new GatewayError('unsupported', `token-id input cannot be embedded by a Gemini upstream (provider ${endpoint.name}); send text`);
  }
  const name = model.startsWith('models/') ? model : `models/${model}`;
  const one = (text: string): Record<string, unknown> => {
    const r: Record<string, unknown> = { content: { parts: [{ text }] } };
    if (req.dimensions !== undefined) r.outputDimensionality = req.dimensions;
    return r;
  };
  const texts = req.input.texts;
  const single = texts.length === 1;
  const body = single ? one(texts[0]!) : { requests: texts.map((t) => ({ model: name, ...one(t) })) };
  return {
    url: modelPath(endpoint.baseUrl, model, single ? 'embedContent' : 'batchEmbedContents'),
    headers: Object.assign({ 'content-type': 'application/json' }, endpoint.headers),
    body: JSON.stringify(body),
  };
}

function decodeResponse(body: unknown, req: EmbeddingsRequest): EmbeddingsResponse {
  const b = body as { embedding?: { values?: unknown }; embeddings?: unknown; usageMetadata?: { promptTokenCount?: unknown } } | null;
  const expected = req.input.kind === 'text' ? req.input.texts.length : req.input.tokens.length;
  const list: unknown[] | undefined = b?.embedding !== undefined ? [b.embedding] : Array.isArray(b?.embeddings) ? (b.embeddings as unknown[]) : undefined;
  if (list === undefined || list.length !== expected) {
    throw new GatewayError('upstream_malformed', `upstream embeddings answer does not hold ${expected} embedding(s)`);
  }
  const vectors = list.map((e, i) => {
    const v = vectorFromNumbers((e as { values?: unknown } | null)?.values);
    if (v === undefined) throw new GatewayError('upstream_malformed', `upstream embedding ${i} has no list of values`);
    return v;
  });
  const resp: EmbeddingsResponse = { vectors };
  const tokens = b?.usageMetadata?.promptTokenCount;
  if (typeof tokens === 'number' && tokens >= 0) resp.inputTokens = tokens;
  return resp;
}

export const geminiEmbeddingsUpstream: NonNullable<UpstreamCodec['embeddings']> = { buildRequest, decodeResponse };
