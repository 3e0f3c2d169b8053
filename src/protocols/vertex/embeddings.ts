// Vertex AI text embeddings, upstream side (docs/protocols/vertex.md §7): `POST
// …/publishers/google/models/{m}:predict` with `{instances:[{content, task_type?, title?}],
// parameters:{outputDimensionality?, autoTruncate?}}` → `{predictions:[{embeddings:{values,
// statistics:{token_count, truncated}}}]}`, one prediction per instance in order. Vertex takes at most
// 250 texts and 20,000 tokens per call, and gemini-embedding models one text: larger requests are cut
// into several calls (EmbeddingsBatching). Text only; usage is the sum of the token counts.

import { GatewayError } from '../../core/errors.ts';
import { clientOption, vectorFromNumbers, type EmbeddingsBatching, type EmbeddingsRequest, type EmbeddingsResponse } from '../../core/embeddings.ts';
import type { UpstreamCodec, UpstreamEndpoint, UpstreamHttpRequest } from '../../core/protocol.ts';

/** Vertex's limits per `:predict` call for text embedding models (vertex.md §7). */
const MAX_INSTANCES = 250;
const MAX_TOKENS_PER_CALL = 20_000;
/** gemini-embedding-001 (and its successors on `:predict`) take one instance per request. */
const ONE_INSTANCE = /^gemini-embedding/;

export const VERTEX_TASK_TYPES: readonly string[] = [
  'RETRIEVAL_QUERY',
  'RETRIEVAL_DOCUMENT',
  'SEMANTIC_SIMILARITY',
  'CLASSIFICATION',
  'CLUSTERING',
  'QUESTION_ANSWERING',
  'FACT_VERIFICATION',
  'CODE_RETRIEVAL_QUERY',
];

function batching(model: string): EmbeddingsBatching {
  const id = model.startsWith('models/') ? model.slice('models/'.length) : model;
  return ONE_INSTANCE.test(id) ? { maxInputs: 1 } : { maxInputs: MAX_INSTANCES, maxTokens: MAX_TOKENS_PER_CALL };
}

function option<T>(req: EmbeddingsRequest, name: string, check: (v: unknown) => v is T, what: string): T | undefined {
  return clientOption(req, name, check, what, 'Vertex AI');
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isTaskType = (v: unknown): v is string => typeof v === 'string' && VERTEX_TASK_TYPES.includes(v);

export function vertexEmbeddings(url: (endpoint: UpstreamEndpoint, model: string, method: string) => string): NonNullable<UpstreamCodec['embeddings']> {
  return {
    batching,
    buildRequest(req: EmbeddingsRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest {
      if (req.input.kind !== 'text') {
        throw new GatewayError('unsupported', `token-id input cannot be embedded by a Vertex AI upstream (provider ${endpoint.name}); send text`);
      }
      const taskType = option(req, 'task_type', isTaskType, `one of ${VERTEX_TASK_TYPES.join(', ')}`);
      const title = option(req, 'title', isString, 'a non-empty string');
      const autoTruncate = option(req, 'auto_truncate', isBoolean, 'true or false');
      const instances = req.input.texts.map((content) => {
        const instance: Record<string, string> = { content };
        if (taskType !== undefined) instance.task_type = taskType;
        if (title !== undefined) instance.title = title;
        return instance;
      });
      const body: { instances: typeof instances; parameters?: Record<string, unknown> } = { instances };
      if (req.dimensions !== undefined || autoTruncate !== undefined) {
        body.parameters = {};
        if (req.dimensions !== undefined) body.parameters.outputDimensionality = req.dimensions;
        if (autoTruncate !== undefined) body.parameters.autoTruncate = autoTruncate;
      }
      return {
        url: url(endpoint, model, 'predict'),
        headers: Object.assign({ 'content-type': 'application/json', accept: 'application/json' }, endpoint.headers),
        body: JSON.stringify(body),
      };
    },
    decodeResponse(body: unknown, req: EmbeddingsRequest): EmbeddingsResponse {
      const predictions = (body as { predictions?: unknown } | null)?.predictions;
      const expected = req.input.kind === 'text' ? req.input.texts.length : req.input.tokens.length;
      if (!Array.isArray(predictions) || predictions.length !== expected) {
        throw new GatewayError('upstream_malformed', `Vertex AI embeddings answer does not hold ${expected} prediction(s)`);
      }
      const vectors: Float32Array[] = [];
      let tokens: number | undefined = 0;
      for (let i = 0; i < predictions.length; i++) {
        const e = (predictions[i] as { embeddings?: { values?: unknown; statistics?: { token_count?: unknown; tokenCount?: unknown } } } | null)?.embeddings;
        const v = vectorFromNumbers(e?.values);
        if (v === undefined) throw new GatewayError('upstream_malformed', `Vertex AI prediction ${i} has no list of embedding values`);
        vectors.push(v);
        // The model server writes snake_case (`token_count`); Google's REST reference spells it tokenCount.
        const n = e?.statistics?.token_count ?? e?.statistics?.tokenCount;
        tokens = tokens !== undefined && typeof n === 'number' && Number.isFinite(n) && n >= 0 ? tokens + n : undefined;
      }
      const resp: EmbeddingsResponse = { vectors };
      if (tokens !== undefined) resp.inputTokens = tokens;
      return resp;
    },
  };
}
