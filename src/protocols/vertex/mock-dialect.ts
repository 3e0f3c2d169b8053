// Vertex AI as `sluice mock` speaks it (docs/cloud-providers.md): Google's models answer exactly as
// the Gemini API does; Claude models answer in Anthropic's SSE and JSON but take Vertex's body — the
// mock refuses a body without `anthropic_version: "vertex-2023-10-16"`, with a `model` field, or whose
// `stream` contradicts the method (:streamRawPredict / :rawPredict), so a gateway that forgets the
// rewrite is caught. Vertex's own front end (401, 403, 404, 429) answers in Google's JSON, a 429
// as the one-element array seen from Claude quotas; the model's errors stay Anthropic's.

import type { Dialect, Inspected, RouteInfo } from '../../mock/dialect.ts';
import { isObject } from '../../mock/dialect.ts';
import { anthropic } from '../../mock/dialects/anthropic.ts';
import { gemini } from '../../mock/dialects/gemini.ts';
import { VERTEX_ANTHROPIC_VERSION } from './anthropic-publisher.ts';

/** Statuses Vertex's front end produces itself, before a request reaches the model. */
const FRONT_END_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 429]);

function inspectClaude(body: unknown, route: RouteInfo): Inspected | string {
  if (!isObject(body)) return 'request body must be a JSON object';
  if (body.anthropic_version !== VERTEX_ANTHROPIC_VERSION) return `anthropic_version: Input should be '${VERTEX_ANTHROPIC_VERSION}'`;
  if ('model' in body) return 'model: Extra inputs are not permitted';
  const info = anthropic.inspect(body, route);
  if (typeof info === 'string') return info;
  if (route.pathStream !== undefined && info.stream !== route.pathStream) {
    return route.pathStream ? 'stream: must be true for streamRawPredict' : 'stream: must be false for rawPredict';
  }
  return { ...info, model: route.pathModel ?? info.model, stream: route.pathStream ?? info.stream };
}

function claudeErrorJson(status: number, message: string): string {
  if (status === 429) {
    return JSON.stringify([{ error: { code: 429, message: `Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude. ${message}`, status: 'RESOURCE_EXHAUSTED' } }]);
  }
  return FRONT_END_STATUSES.has(status) ? gemini.errorJson(status, message) : anthropic.errorJson(status, message);
}

export const vertexClaude: Dialect = {
  ...anthropic,
  inspect: inspectClaude,
  errorJson: claudeErrorJson,
  requestIdHeader: 'x-vertex-request-id',
};

export const vertexGemini: Dialect = { ...gemini };

/** A Vertex model path: /{v1|v1beta1}/projects/{p}/locations/{l}/publishers/{pub}/models/{m}:{method}, or express mode without project. */
const MODEL_PATH = /^\/(v1|v1beta1)\/(?:projects\/([^/]+)\/locations\/([^/]+)\/)?publishers\/(google|anthropic)\/models\/([^/:]+):([A-Za-z]+)$/;

export interface VertexPath {
  project: string | undefined;
  location: string | undefined;
  publisher: 'google' | 'anthropic';
  model: string;
  method: string;
}

export function parseVertexPath(path: string): VertexPath | undefined {
  const m = MODEL_PATH.exec(path);
  if (m === null) return undefined;
  let model = m[5]!;
  try {
    model = decodeURIComponent(model);
  } catch {
    // keep the raw segment
  }
  return { project: m[2], location: m[3], publisher: m[4] as 'google' | 'anthropic', model, method: m[6]! };
}

/** The mock's count of input tokens: the text of the request body, as an approximate tokenizer would (4 bytes a token). */
export function mockTokenCount(body: unknown): number {
  return Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(body ?? '')) / 4));
}
