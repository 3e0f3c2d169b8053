// Bedrock embeddings (src/protocols/bedrock/embeddings.ts, bedrock.md §11): which model ids embed,
// the InvokeModel bodies of Titan and Cohere, their per-call limits, and their answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddingsRequest } from '../../../src/core/embeddings.ts';
import type { UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import { bedrockEmbeddings, embeddingFamily } from '../../../src/protocols/bedrock/embeddings.ts';
import { bedrockProviderType } from '../../../src/protocols/bedrock/provider.ts';

const endpoint = { name: 'br', baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com', headers: {}, quirks: {}, settings: { region: 'us-east-1' } } as UpstreamEndpoint;

function req(texts: string[], raw: Record<string, unknown> = {}, dimensions?: number): EmbeddingsRequest {
  return { model: 'e', input: { kind: 'text', texts }, encodingFormat: 'float', front: 'openai', raw, ...(dimensions ? { dimensions } : {}) };
}

test('embedding model ids: base ids, geography prefixes, ARNs ending in one; chat models and the image model do not embed', () => {
  assert.equal(embeddingFamily('amazon.titan-embed-text-v2:0'), 'titan');
  assert.equal(embeddingFamily('amazon.titan-embed-text-v1'), 'titan');
  assert.equal(embeddingFamily('cohere.embed-english-v3'), 'cohere');
  assert.equal(embeddingFamily('us.cohere.embed-v4:0'), 'cohere');
  assert.equal(embeddingFamily('arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-multilingual-v3'), 'cohere');
  assert.equal(embeddingFamily('amazon.titan-embed-image-v1'), undefined);
  assert.equal(embeddingFamily('us.anthropic.claude-sonnet-4-5-20250929-v1:0'), undefined);
  assert.equal(embeddingFamily('cohere.command-r-v1:0'), undefined);
  // Only an embedding model's codec has the capability (so /v1/embeddings skips chat models).
  const up = bedrockProviderType.create({ ...endpoint, apiKey: 'ABSK-x' } as never, { now: Date.now }) as { codecFor(m: string): { embeddings?: unknown } };
  assert.ok(up.codecFor('amazon.titan-embed-text-v2:0').embeddings);
  assert.equal(up.codecFor('us.anthropic.claude-sonnet-4-5-20250929-v1:0').embeddings, undefined);
});

test('Titan: InvokeModel with {inputText, dimensions, normalize}, one text per call', () => {
  const titan = bedrockEmbeddings.titan;
  assert.deepEqual(titan.batching!('amazon.titan-embed-text-v2:0'), { maxInputs: 1 });
  const r = titan.buildRequest(req(['the lock'], { normalize: false }, 512), 'amazon.titan-embed-text-v2:0', endpoint);
  assert.equal(r.url, 'https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke');
  assert.deepEqual(JSON.parse(String(r.body)), { inputText: 'the lock', dimensions: 512, normalize: false });
  assert.equal(r.headers['content-type'], 'application/json');
  assert.throws(() => titan.buildRequest(req(['x'], { normalize: 'yes' }), 'm', endpoint), (e: GatewayError) => e.code === 'invalid_request' && e.param === 'normalize');
  const out = titan.decodeResponse({ embedding: [0.25, 0.5], inputTextTokenCount: 3 }, req(['x']));
  assert.deepEqual(Array.from(out.vectors[0]!), [0.25, 0.5]);
  assert.equal(out.inputTokens, 3);
  assert.equal(titan.decodeResponse({ embeddingsByType: { float: [1] } }, req(['x']), { 'x-amzn-bedrock-input-token-count': '9' }).inputTokens, 9);
  assert.throws(() => titan.decodeResponse({ embedding: 'x' }, req(['x'])), (e: GatewayError) => e.code === 'upstream_malformed');
});

test('Cohere: {texts, input_type} (search_document unless the client says), 96 texts per call, both answer shapes', () => {
  const cohere = bedrockEmbeddings.cohere;
  assert.deepEqual(cohere.batching!('cohere.embed-english-v3'), { maxInputs: 96 });
  assert.deepEqual(JSON.parse(String(cohere.buildRequest(req(['a', 'b']), 'cohere.embed-english-v3', endpoint).body)), { texts: ['a', 'b'], input_type: 'search_document' });
  assert.deepEqual(JSON.parse(String(cohere.buildRequest(req(['a'], { input_type: 'search_query', truncate: 'END' }, 256), 'cohere.embed-v4:0', endpoint).body)), {
    texts: ['a'],
    input_type: 'search_query',
    truncate: 'END',
    output_dimension: 256,
  });
  assert.throws(() => cohere.buildRequest(req(['a'], { input_type: 'query' }), 'm', endpoint), (e: GatewayError) => e.param === 'input_type');
  const tokens: EmbeddingsRequest = { ...req([]), input: { kind: 'tokens', tokens: [[1]] } };
  assert.throws(() => cohere.buildRequest(tokens, 'm', endpoint), (e: GatewayError) => e.code === 'unsupported');
  const flat = cohere.decodeResponse({ embeddings: [[1, 2], [3, 4]], response_type: 'embeddings_floats' }, req(['a', 'b']), { 'x-amzn-bedrock-input-token-count': '5' });
  assert.deepEqual(flat.vectors.map((v) => Array.from(v)), [[1, 2], [3, 4]]);
  assert.equal(flat.inputTokens, 5);
  const typed = cohere.decodeResponse({ embeddings: { float: [[5]] }, response_type: 'embeddings_by_type' }, req(['a']));
  assert.deepEqual(Array.from(typed.vectors[0]!), [5]);
  assert.equal(typed.inputTokens, undefined);
  assert.throws(() => cohere.decodeResponse({ embeddings: [[1]] }, req(['a', 'b'])), (e: GatewayError) => e.code === 'upstream_malformed');
});
