// Embeddings through Bedrock's InvokeModel (bedrock.md §11): `POST /model/{id}/invoke` with the
// model's own JSON, SigV4-signed like every Bedrock call. Two families:
//   - Amazon Titan Text Embeddings (`amazon.titan-embed-text-v2:0`, v1): `{inputText, dimensions?,
//     normalize?}` → `{embedding, inputTextTokenCount}`, one text per call, so a batch is several
//     calls (a few at a time, EmbeddingsBatching);
//   - Cohere Embed (`cohere.embed-english-v3`, `-multilingual-v3`, `embed-v4`): `{texts, input_type,
//     truncate?, output_dimension?}` → `{embeddings}` (v4 with embedding_types: `{embeddings:{float}}`),
//     at most 96 texts per call. `input_type` is required by Cohere; OpenAI's request has none, so the
//     client's own `input_type` field is used, else `search_document`.
// Token counts: Titan's body, else the `x-amzn-bedrock-input-token-count` header InvokeModel answers
// carry; without either the count is estimated. Text only.

import { GatewayError } from '../../core/errors.ts';
import { clientOption, vectorFromNumbers, type EmbeddingsBatching, type EmbeddingsRequest, type EmbeddingsResponse } from '../../core/embeddings.ts';
import type { UpstreamCodec, UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';
import { operationUrl } from './settings.ts';
import { JSON_CONTENT_TYPE } from './wire.ts';

export type EmbeddingFamily = 'titan' | 'cohere';

/** Geography prefixes of cross-region inference profiles (family.ts). */
const GEO_PREFIX = /^(?:us|eu|apac|global|us-gov|jp|au|ca)\./;

/** Which embedding body a model id takes, or undefined for a model that does not embed (or an id that does not say). */
export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  let id = modelId;
  if (id.startsWith('arn:')) id = id.slice(id.lastIndexOf('/') + 1);
  id = id.replace(GEO_PREFIX, '');
  if (/^amazon\.titan-embed-(?:text|g1-text)/.test(id)) return 'titan';
  if (/^cohere\.embed-/.test(id)) return 'cohere';
  return undefined;
}

export const COHERE_INPUT_TYPES: readonly string[] = ['search_document', 'search_query', 'classification', 'clustering'];
const COHERE_TRUNCATE: readonly string[] = ['NONE', 'START', 'END'];
/** Cohere on Bedrock takes at most 96 texts per call (bedrock.md §11). */
const COHERE_MAX_TEXTS = 96;
export const DEFAULT_COHERE_INPUT_TYPE = 'search_document';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function option<T>(req: EmbeddingsRequest, name: string, check: (v: unknown) => v is T, what: string): T | undefined {
  return clientOption(req, name, check, what, 'Bedrock');
}

const oneOf =
  (list: readonly string[]) =>
  (v: unknown): v is string =>
    typeof v === 'string' && list.includes(v);
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

function textsOf(req: EmbeddingsRequest, endpoint: UpstreamEndpoint): string[] {
  if (req.input.kind !== 'text') {
    throw new GatewayError('unsupported', `token-id input cannot be embedded by a Bedrock upstream (provider ${endpoint.name}); send text`);
  }
  return req.input.texts;
}

function invoke(endpoint: UpstreamEndpoint, model: string, body: unknown): UpstreamHttpRequest {
  return {
    url: operationUrl(endpoint, model, 'invoke'),
    method: 'POST',
    headers: { ...endpoint.headers, 'content-type': JSON_CONTENT_TYPE, accept: JSON_CONTENT_TYPE },
    body: JSON.stringify(body),
  };
}

/** `x-amzn-bedrock-input-token-count`, when InvokeModel's answer carries it. */
function headerTokens(headers: Headers | undefined): number | undefined {
  const raw = headers?.['x-amzn-bedrock-input-token-count'];
  const v = Array.isArray(raw) ? raw[0] : raw;
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

function count(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

const titan: NonNullable<UpstreamCodec['embeddings']> = {
  batching: (): EmbeddingsBatching => ({ maxInputs: 1 }),
  buildRequest(req, model, endpoint) {
    const [inputText] = textsOf(req, endpoint);
    const normalize = option(req, 'normalize', isBoolean, 'true or false');
    const body: { inputText: string; dimensions?: number; normalize?: boolean } = { inputText: inputText! };
    if (req.dimensions !== undefined) body.dimensions = req.dimensions;
    if (normalize !== undefined) body.normalize = normalize;
    return invoke(endpoint, model, body);
  },
  decodeResponse(body, _req, headers): EmbeddingsResponse {
    const b = body as { embedding?: unknown; embeddingsByType?: { float?: unknown }; inputTextTokenCount?: unknown } | null;
    const v = vectorFromNumbers(b?.embedding ?? b?.embeddingsByType?.float);
    if (v === undefined) throw new GatewayError('upstream_malformed', 'Titan embeddings answer has no embedding list');
    const resp: EmbeddingsResponse = { vectors: [v] };
    const tokens = count(b?.inputTextTokenCount) ?? headerTokens(headers);
    if (tokens !== undefined) resp.inputTokens = tokens;
    return resp;
  },
};

const cohere: NonNullable<UpstreamCodec['embeddings']> = {
  batching: (): EmbeddingsBatching => ({ maxInputs: COHERE_MAX_TEXTS }),
  buildRequest(req, model, endpoint) {
    const texts = textsOf(req, endpoint);
    const inputType = option(req, 'input_type', oneOf(COHERE_INPUT_TYPES), `one of ${COHERE_INPUT_TYPES.join(', ')}`) ?? DEFAULT_COHERE_INPUT_TYPE;
    const truncate = option(req, 'truncate', oneOf(COHERE_TRUNCATE), `one of ${COHERE_TRUNCATE.join(', ')}`);
    const body: { texts: string[]; input_type: string; truncate?: string; output_dimension?: number } = { texts, input_type: inputType };
    if (truncate !== undefined) body.truncate = truncate;
    // Embed v4 shortens its vectors; v3's are fixed, and Bedrock refuses the field for them (a 400).
    if (req.dimensions !== undefined) body.output_dimension = req.dimensions;
    return invoke(endpoint, model, body);
  },
  decodeResponse(body, req, headers): EmbeddingsResponse {
    const raw = (body as { embeddings?: unknown } | null)?.embeddings;
    // `embeddings_floats`: a list of vectors; `embeddings_by_type` (embedding_types given): {float: [...]}.
    const list = Array.isArray(raw) ? raw : (raw as { float?: unknown } | null | undefined)?.float;
    const expected = req.input.kind === 'text' ? req.input.texts.length : req.input.tokens.length;
    if (!Array.isArray(list) || list.length !== expected) {
      throw new GatewayError('upstream_malformed', `Cohere embeddings answer does not hold ${expected} embedding(s)`);
    }
    const vectors = list.map((e, i) => {
      const v = vectorFromNumbers(e);
      if (v === undefined) throw new GatewayError('upstream_malformed', `Cohere embedding ${i} is not a list of numbers`);
      return v;
    });
    const resp: EmbeddingsResponse = { vectors };
    const tokens = headerTokens(headers);
    if (tokens !== undefined) resp.inputTokens = tokens;
    return resp;
  },
};

export const bedrockEmbeddings: Readonly<Record<EmbeddingFamily, NonNullable<UpstreamCodec['embeddings']>>> = { titan, cohere };
