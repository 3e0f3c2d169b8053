// OpenAI embeddings (`POST /v1/embeddings`, docs/embeddings.md), as a front and as an upstream.
// Request: `input` (a string, strings, token ids or token-id arrays), `model`, `encoding_format`
// (`float` default, or `base64`: each vector's float32 little-endian bytes), `dimensions`, `user`.
// Answer: `{object:"list", data:[{object:"embedding", index, embedding}], model, usage}`.

import { z } from 'zod';
import { GatewayError } from '../../core/errors.ts';
import {
  vectorFromBase64,
  vectorFromNumbers,
  vectorToBase64,
  type EmbeddingInput,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
} from '../../core/embeddings.ts';
import type { FrontCodec, UpstreamCodec, UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';

/** OpenAI's own limit on inputs per request. */
export const MAX_INPUTS = 2048;

const tokenIds = z.array(z.number().int().min(0)).min(1, 'a token array must not be empty');
const requestSchema = z.looseObject({
  model: z.string().min(1, "'model' must not be empty"),
  input: z.union([
    z.string().min(1, "'input' must not be an empty string"),
    z.array(z.string().min(1, "'input' must not contain empty strings")).min(1, "'input' must not be an empty list").max(MAX_INPUTS),
    tokenIds,
    z.array(tokenIds).min(1, "'input' must not be an empty list").max(MAX_INPUTS),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
  user: z.string().optional(),
});

function decodeRequest(body: unknown): EmbeddingsRequest {
  // The union below would only say "not one of the shapes" for an empty list.
  if (Array.isArray((body as { input?: unknown } | null)?.input) && (body as { input: unknown[] }).input.length === 0) {
    throw new GatewayError('invalid_request', "'input' must not be an empty list", { param: 'input' });
  }
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    const message = issue.message.startsWith("'") ? issue.message : `'${field}': ${describeIssue(issue)}`;
    throw new GatewayError('invalid_request', message, { param: String(issue.path[0] ?? '') || undefined });
  }
  const b = parsed.data;
  let input: EmbeddingInput;
  if (typeof b.input === 'string') input = { kind: 'text', texts: [b.input] };
  else if (typeof b.input[0] === 'string') input = { kind: 'text', texts: b.input as string[] };
  else if (typeof b.input[0] === 'number') input = { kind: 'tokens', tokens: [b.input as number[]] };
  else input = { kind: 'tokens', tokens: b.input as number[][] };
  const req: EmbeddingsRequest = { model: b.model, input, encodingFormat: b.encoding_format ?? 'float', front: 'openai', raw: b };
  if (b.dimensions !== undefined) req.dimensions = b.dimensions;
  if (b.user !== undefined) req.user = b.user;
  return req;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union') return 'must be a string, a list of strings, a list of token ids or a list of token-id lists';
  if (issue.code === 'too_big') return `must have at most ${String(issue.maximum)} items`;
  return issue.message;
}

function encodeResponse(resp: EmbeddingsResponse, req: EmbeddingsRequest, usage: { inputTokens: number }): string {
  // Hand-assembled: a vector of 3072 floats is most of the body, and Array.from + JSON.stringify
  // of every vector would copy it twice more.
  const base64 = req.encodingFormat === 'base64';
  let data = '';
  for (let i = 0; i < resp.vectors.length; i++) {
    const v = resp.vectors[i]!;
    const embedding = base64 ? `"${vectorToBase64(v)}"` : `[${v.join(',')}]`;
    data += `${i === 0 ? '' : ','}{"object":"embedding","index":${i},"embedding":${embedding}}`;
  }
  const tokens = usage.inputTokens;
  return `{"object":"list","data":[${data}],"model":${JSON.stringify(req.model)},"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}`;
}

export const openaiEmbeddingsFront: NonNullable<FrontCodec['embeddings']> = { decodeRequest, encodeResponse };

// ---------------------------------------------------------------------------------------------
// Upstream side

function buildRequest(req: EmbeddingsRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest {
  // From the client's own body when it spoke OpenAI, so fields sluice does not model pass through.
  const body: Record<string, unknown> = req.front === 'openai' ? { ...req.raw } : {};
  body.model = model;
  body.input = req.input.kind === 'text' ? req.input.texts : req.input.tokens;
  body.encoding_format = req.encodingFormat;
  if (req.dimensions !== undefined) body.dimensions = req.dimensions;
  if (req.user !== undefined) body.user = req.user;
  return {
    url: `${endpoint.baseUrl.replace(/\/+$/, '')}/embeddings`,
    headers: Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, endpoint.headers),
    body: JSON.stringify(body),
  };
}

function decodeResponse(body: unknown, req: EmbeddingsRequest): EmbeddingsResponse {
  const b = body as { data?: unknown; model?: unknown; usage?: { prompt_tokens?: unknown } } | null;
  if (b === null || typeof b !== 'object' || !Array.isArray(b.data)) {
    throw new GatewayError('upstream_malformed', 'upstream embeddings answer has no data list');
  }
  const expected = req.input.kind === 'text' ? req.input.texts.length : req.input.tokens.length;
  const vectors = new Array<Float32Array>(expected);
  for (const [position, item] of (b.data as unknown[]).entries()) {
    const entry = item as { index?: unknown; embedding?: unknown } | null;
    const index = typeof entry?.index === 'number' ? entry.index : position;
    const raw = entry?.embedding;
    const vector = typeof raw === 'string' ? vectorFromBase64(raw) : vectorFromNumbers(raw);
    if (vector === undefined || !Number.isInteger(index) || index < 0 || index >= expected) {
      throw new GatewayError('upstream_malformed', `upstream embedding ${position} is not a vector for one of the ${expected} inputs`);
    }
    vectors[index] = vector;
  }
  for (let i = 0; i < expected; i++) {
    if (vectors[i] === undefined) throw new GatewayError('upstream_malformed', `upstream answer has no embedding for input ${i}`);
  }
  const resp: EmbeddingsResponse = { vectors };
  if (typeof b.model === 'string') resp.model = b.model;
  const tokens = b.usage?.prompt_tokens;
  if (typeof tokens === 'number' && Number.isFinite(tokens) && tokens >= 0) resp.inputTokens = tokens;
  return resp;
}

export const openaiEmbeddingsUpstream: NonNullable<UpstreamCodec['embeddings']> = { buildRequest, decodeResponse };
