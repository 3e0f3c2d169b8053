// Vertex AI text embeddings as `sluice mock` answers them (docs/protocols/vertex.md §7):
// `…/publishers/google/models/{m}:predict` with `{instances:[{content, task_type?, title?}],
// parameters:{outputDimensionality?, autoTruncate?}}` → `{predictions:[{embeddings:{statistics:
// {truncated, token_count}, values}}], metadata:{billableCharacterCount}}`, with the deterministic
// vectors of src/mock/embeddings.ts (16 dimensions unless outputDimensionality). Vertex's limits are
// enforced so a gateway that does not cut its batches is caught: 250 instances and 20,000 tokens per
// call (tokens counted as the mock counts them, four characters a token), one instance for
// gemini-embedding models; unknown fields, a task type Vertex does not know, or a title without
// RETRIEVAL_DOCUMENT are a 400.

import { MOCK_EMBEDDING_DIMENSIONS, MOCK_MAX_DIMENSIONS, mockEmbedding, mockEmbeddingTokens } from '../../mock/embeddings.ts';
import { isObject, type RouteInfo } from '../../mock/dialect.ts';
import { VERTEX_TASK_TYPES } from './embeddings.ts';

const MAX_INSTANCES = 250;
const MAX_TOKENS = 20_000;
const INSTANCE_FIELDS: ReadonlySet<string> = new Set(['content', 'task_type', 'title']);
const PARAMETER_FIELDS: ReadonlySet<string> = new Set(['outputDimensionality', 'autoTruncate']);

export function predictAnswer(body: unknown, route: RouteInfo): { json: string } | string {
  if (!isObject(body)) return 'sluice mock: the request body must be a JSON object';
  const { instances, parameters } = body;
  const model = route.pathModel ?? '';
  if (!Array.isArray(instances) || instances.length === 0) return 'sluice mock: instances must be a non-empty list';
  const most = model.startsWith('gemini-embedding') ? 1 : MAX_INSTANCES;
  if (instances.length > most) return `sluice mock: ${model} takes at most ${most} instance(s) per request, got ${instances.length}`;
  let dims = MOCK_EMBEDDING_DIMENSIONS;
  if (parameters !== undefined) {
    if (!isObject(parameters)) return 'sluice mock: parameters must be an object';
    for (const k of Object.keys(parameters)) if (!PARAMETER_FIELDS.has(k)) return `sluice mock: parameters.${k} is not a text embedding parameter`;
    const d = parameters.outputDimensionality;
    if (d !== undefined) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MOCK_MAX_DIMENSIONS) return `sluice mock: parameters.outputDimensionality must be 1..${MOCK_MAX_DIMENSIONS}`;
      dims = d;
    }
    if (parameters.autoTruncate !== undefined && typeof parameters.autoTruncate !== 'boolean') return 'sluice mock: parameters.autoTruncate must be a boolean';
  }
  const predictions: string[] = [];
  let tokens = 0;
  let chars = 0;
  for (let i = 0; i < instances.length; i++) {
    const inst: unknown = instances[i];
    if (!isObject(inst)) return `sluice mock: instances[${i}] must be an object`;
    for (const k of Object.keys(inst)) if (!INSTANCE_FIELDS.has(k)) return `sluice mock: instances[${i}].${k} is not a text embedding instance field`;
    const { content, task_type: taskType, title } = inst;
    if (typeof content !== 'string' || content === '') return `sluice mock: instances[${i}].content must be a non-empty string`;
    if (taskType !== undefined && (typeof taskType !== 'string' || !VERTEX_TASK_TYPES.includes(taskType))) {
      return `sluice mock: instances[${i}].task_type must be one of ${VERTEX_TASK_TYPES.join(', ')}`;
    }
    if (title !== undefined && (typeof title !== 'string' || taskType !== 'RETRIEVAL_DOCUMENT')) {
      return `sluice mock: instances[${i}].title is only valid with task_type RETRIEVAL_DOCUMENT`;
    }
    const n = mockEmbeddingTokens(content);
    tokens += n;
    chars += content.length;
    const values = mockEmbedding(content, dims).join(',');
    predictions.push(`{"embeddings":{"statistics":{"truncated":false,"token_count":${n}},"values":[${values}]}}`);
  }
  if (tokens > MAX_TOKENS) return `sluice mock: the request holds ${tokens} input tokens; at most ${MAX_TOKENS} per request`;
  return { json: `{"predictions":[${predictions.join(',')}],"metadata":{"billableCharacterCount":${chars}}}` };
}
