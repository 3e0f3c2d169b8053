// The Vertex embeddings capability (src/protocols/vertex/embeddings.ts, vertex.md §7): the :predict
// body from OpenAI's request and the client's Vertex options, the per-call limits, and the answer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddingsRequest } from '../../../src/core/embeddings.ts';
import { splitEmbeddings } from '../../../src/core/embeddings.ts';
import type { UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import { vertexGeminiCodec } from '../../../src/protocols/vertex/gemini-publisher.ts';

const loc = { baseUrl: 'https://us-central1-aiplatform.googleapis.com', project: 'p1', region: 'us-central1' };
const codec = vertexGeminiCodec(loc).embeddings!;
const endpoint = { name: 'vx', baseUrl: loc.baseUrl, headers: {}, quirks: {} } as UpstreamEndpoint;

function req(texts: string[], raw: Record<string, unknown> = {}, dimensions?: number): EmbeddingsRequest {
  return { model: 'e', input: { kind: 'text', texts }, encodingFormat: 'float', front: 'openai', raw, ...(dimensions ? { dimensions } : {}) };
}

test(':predict with one instance per text; dimensions and the client options as Vertex names them', () => {
  const r = codec.buildRequest(req(['a', 'b'], { task_type: 'RETRIEVAL_DOCUMENT', title: 'T', auto_truncate: false }, 256), 'text-embedding-005', endpoint);
  assert.equal(r.url, 'https://us-central1-aiplatform.googleapis.com/v1beta1/projects/p1/locations/us-central1/publishers/google/models/text-embedding-005:predict');
  assert.deepEqual(JSON.parse(String(r.body)), {
    instances: [
      { content: 'a', task_type: 'RETRIEVAL_DOCUMENT', title: 'T' },
      { content: 'b', task_type: 'RETRIEVAL_DOCUMENT', title: 'T' },
    ],
    parameters: { outputDimensionality: 256, autoTruncate: false },
  });
  assert.deepEqual(JSON.parse(String(codec.buildRequest(req(['a']), 'text-embedding-005', endpoint).body)), { instances: [{ content: 'a' }] });
});

test('bad options and token ids are 400s naming the field', () => {
  assert.throws(() => codec.buildRequest(req(['a'], { task_type: 'SEARCH' }), 'm', endpoint), (e: GatewayError) => e.code === 'invalid_request' && e.param === 'task_type');
  assert.throws(() => codec.buildRequest(req(['a'], { auto_truncate: 'no' }), 'm', endpoint), (e: GatewayError) => e.param === 'auto_truncate');
  const tokens: EmbeddingsRequest = { ...req([]), input: { kind: 'tokens', tokens: [[1, 2]] } };
  assert.throws(() => codec.buildRequest(tokens, 'm', endpoint), (e: GatewayError) => e.code === 'unsupported' && /Vertex/.test(e.message));
});

test('limits per call: gemini-embedding one text; others 250 texts and 20,000 estimated tokens', () => {
  assert.deepEqual(codec.batching!('gemini-embedding-001'), { maxInputs: 1 });
  const limits = codec.batching!('text-embedding-005');
  assert.equal(splitEmbeddings(req(Array.from({ length: 600 }, () => 'x')), limits).map((p) => (p.input as { texts: string[] }).texts.length).join(), '250,250,100');
  // 30 texts of 4000 characters (1000 tokens each): 20 per call.
  const long = Array.from({ length: 30 }, (_, i) => `${i}`.padEnd(4000, '.'));
  const parts = splitEmbeddings(req(long), limits);
  assert.deepEqual(parts.map((p) => (p.input as { texts: string[] }).texts.length), [20, 10]);
  assert.deepEqual(parts.flatMap((p) => (p.input as { texts: string[] }).texts), long);
});

test('the answer: values in order, token counts summed (snake_case or camelCase), malformed answers refused', () => {
  const body = {
    predictions: [
      { embeddings: { values: [0.5, -0.25], statistics: { token_count: 3, truncated: false } } },
      { embeddings: { values: [1, 0], statistics: { tokenCount: 4 } } },
    ],
  };
  const out = codec.decodeResponse(body, req(['a', 'b']));
  assert.deepEqual(out.vectors.map((v) => Array.from(v)), [[0.5, -0.25], [1, 0]]);
  assert.equal(out.inputTokens, 7);
  const noCount = codec.decodeResponse({ predictions: [{ embeddings: { values: [1] } }] }, req(['a']));
  assert.equal(noCount.inputTokens, undefined);
  assert.throws(() => codec.decodeResponse({ predictions: [] }, req(['a'])), (e: GatewayError) => e.code === 'upstream_malformed');
  assert.throws(() => codec.decodeResponse({ predictions: [{ embeddings: { values: ['x'] } }] }, req(['a'])), (e: GatewayError) => e.code === 'upstream_malformed');
});
