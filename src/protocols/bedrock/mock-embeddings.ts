// Bedrock embedding models as `sluice mock` answers them on InvokeModel (bedrock.md §11), with the
// deterministic vectors of src/mock/embeddings.ts (16 dimensions unless `dimensions` /
// `output_dimension` ask otherwise) and the `x-amzn-bedrock-input-token-count` header (four
// characters a token per text):
//   - Titan Text Embeddings: `{inputText, dimensions?, normalize?, embeddingTypes?}` →
//     `{embedding, inputTextTokenCount}` (+ `embeddingsByType` when embeddingTypes asks); v1 takes
//     `inputText` alone;
//   - Cohere Embed: `{texts (1..96, ≤ 2048 characters each), input_type, truncate?,
//     embedding_types?}` (v4 also `output_dimension`) → `{embeddings, id, response_type, texts}`.
// Bodies are checked as Bedrock checks them: a missing or extraneous key is its 400 "Malformed input
// request", so a gateway that sends another model's body, or too many texts, is caught.

import { createHash } from 'node:crypto';
import { MOCK_EMBEDDING_DIMENSIONS, MOCK_MAX_DIMENSIONS, mockEmbedding, mockEmbeddingTokens } from '../../mock/embeddings.ts';
import { isObject, type RouteInfo } from '../../mock/dialect.ts';
import { COHERE_INPUT_TYPES, embeddingFamily } from './embeddings.ts';

const TITAN_V2_KEYS: ReadonlySet<string> = new Set(['inputText', 'dimensions', 'normalize', 'embeddingTypes']);
const TITAN_V1_KEYS: ReadonlySet<string> = new Set(['inputText']);
const COHERE_V3_KEYS: ReadonlySet<string> = new Set(['texts', 'input_type', 'truncate', 'embedding_types', 'images']);
const COHERE_V4_KEYS: ReadonlySet<string> = new Set([...COHERE_V3_KEYS, 'output_dimension', 'max_tokens', 'inputs']);
const COHERE_MAX_TEXTS = 96;
const COHERE_MAX_CHARS = 2048;

type Answer = { json: string; headers?: Record<string, string> } | string;

function malformed(detail: string): string {
  return `Malformed input request: ${detail}, please reformat your input and try again.`;
}

function extraneous(body: Record<string, unknown>, allowed: ReadonlySet<string>): string | undefined {
  for (const k of Object.keys(body)) if (!allowed.has(k)) return malformed(`#: extraneous key [${k}] is not permitted`);
  return undefined;
}

function dimensionsOf(v: unknown, field: string): number | string {
  if (v === undefined) return MOCK_EMBEDDING_DIMENSIONS;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MOCK_MAX_DIMENSIONS) return malformed(`#/${field}: must be an integer 1..${MOCK_MAX_DIMENSIONS} (sluice mock)`);
  return v;
}

function tokenHeader(tokens: number): Record<string, string> {
  return { 'x-amzn-bedrock-input-token-count': String(tokens) };
}

function titan(body: Record<string, unknown>, model: string): Answer {
  const v1 = /titan-embed-(?:text-v1|g1-text)/.test(model);
  const bad = extraneous(body, v1 ? TITAN_V1_KEYS : TITAN_V2_KEYS);
  if (bad !== undefined) return bad;
  const { inputText, normalize, embeddingTypes } = body;
  if (inputText === undefined) return malformed('#: required key [inputText] not found');
  if (typeof inputText !== 'string') return malformed('#/inputText: expected type: String');
  if (inputText === '') return malformed('#/inputText: expected minLength: 1, actual: 0');
  const dims = dimensionsOf(body.dimensions, 'dimensions');
  if (typeof dims === 'string') return dims;
  if (normalize !== undefined && typeof normalize !== 'boolean') return malformed('#/normalize: expected type: Boolean');
  if (embeddingTypes !== undefined && (!Array.isArray(embeddingTypes) || !embeddingTypes.every((t) => t === 'float' || t === 'binary'))) {
    return malformed('#/embeddingTypes: each item must be float or binary');
  }
  const vector = mockEmbedding(inputText, dims);
  const values = `[${vector.join(',')}]`;
  const tokens = mockEmbeddingTokens(inputText);
  let byType = '';
  if (Array.isArray(embeddingTypes)) {
    const parts: string[] = [];
    if (embeddingTypes.includes('float')) parts.push(`"float":${values}`);
    if (embeddingTypes.includes('binary')) parts.push(`"binary":[${Array.from(vector, (x) => (x > 0 ? 1 : 0)).join(',')}]`);
    byType = `,"embeddingsByType":{${parts.join(',')}}`;
  }
  return { json: `{"embedding":${values},"inputTextTokenCount":${tokens}${byType}}`, headers: tokenHeader(tokens) };
}

function cohere(body: Record<string, unknown>, model: string): Answer {
  const v4 = /embed-v4/.test(model);
  const bad = extraneous(body, v4 ? COHERE_V4_KEYS : COHERE_V3_KEYS);
  if (bad !== undefined) return bad;
  const { texts, input_type: inputType, truncate, embedding_types: types } = body;
  if (texts === undefined) return malformed('#: required key [texts] not found');
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string' && t !== '')) return malformed('#/texts: expected a non-empty list of non-empty strings');
  if (texts.length > COHERE_MAX_TEXTS) return malformed(`#/texts: expected maximum item count: ${COHERE_MAX_TEXTS}, found: ${texts.length}`);
  const tooLong = (texts as string[]).findIndex((t) => t.length > COHERE_MAX_CHARS);
  if (tooLong >= 0) return malformed(`#/texts/${tooLong}: expected maxLength: ${COHERE_MAX_CHARS}, actual: ${(texts[tooLong] as string).length}`);
  if (inputType === undefined) return malformed('#: required key [input_type] not found');
  if (typeof inputType !== 'string' || !COHERE_INPUT_TYPES.includes(inputType)) return malformed(`#/input_type: ${String(inputType)} is not a valid enum value`);
  if (truncate !== undefined && truncate !== 'NONE' && truncate !== 'START' && truncate !== 'END') return malformed(`#/truncate: ${String(truncate)} is not a valid enum value`);
  if (types !== undefined && (!Array.isArray(types) || !types.every((t) => t === 'float'))) return malformed('#/embedding_types: sluice mock answers float embeddings only');
  const dims = dimensionsOf(body.output_dimension, 'output_dimension');
  if (typeof dims === 'string') return dims;
  let tokens = 0;
  const vectors = (texts as string[]).map((t) => {
    tokens += mockEmbeddingTokens(t);
    return `[${mockEmbedding(t, dims).join(',')}]`;
  });
  const id = createHash('sha256').update(JSON.stringify(texts)).digest('hex');
  const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
  const embeddings = types === undefined ? `[${vectors.join(',')}]` : `{"float":[${vectors.join(',')}]}`;
  const responseType = types === undefined ? 'embeddings_floats' : 'embeddings_by_type';
  return { json: `{"embeddings":${embeddings},"id":"${uuid}","response_type":"${responseType}","texts":${JSON.stringify(texts)}}`, headers: tokenHeader(tokens) };
}

export function invokeEmbeddingsAnswer(body: unknown, route: RouteInfo): Answer {
  const model = route.pathModel ?? '';
  if (!isObject(body)) return malformed('#: expected type: JSONObject');
  switch (embeddingFamily(model)) {
    case 'titan':
      return titan(body, model);
    case 'cohere':
      return cohere(body, model);
    default:
      return `The provided model identifier is invalid. (sluice mock embeds with amazon.titan-embed-text-* and cohere.embed-* only, not ${model})`;
  }
}
