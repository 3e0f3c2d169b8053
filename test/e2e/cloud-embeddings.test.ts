// SPEC §3 `POST /v1/embeddings` over the cloud upstreams (issue 15 item 4): the official `openai`
// SDK's embeddings.create — float, base64 (the SDK's default, which it decodes) and batches with
// `dimensions` — through sluice to `sluice mock`'s Vertex AI (`:predict`, with a service-account
// token the mock issued) and Bedrock (InvokeModel, SigV4 checked by the mock) for Titan and Cohere.
// Batches larger than a vendor takes per call arrive as several calls and come back as one answer in
// input order; failover between a failing and an embedding-capable target; usage from the vendors'
// token counts; bad input and vendor options of the wrong type are 400s in OpenAI's shape.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { mockEmbedding } from '../../src/mock/embeddings.ts';
import { MockTokenService } from '../../src/protocols/vertex/mock-tokens.ts';
import { MOCK_AWS_ACCESS_KEY_ID, MOCK_AWS_SECRET_ACCESS_KEY } from '../../src/protocols/bedrock/mock.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { tempDir } from '../helpers/tmp.ts';

const KEY = 'sk-client-cloud-embed-0123456789';
const EMAIL = 'sluice-embed@test-project.iam.gserviceaccount.com';
const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE = 'cohere.embed-english-v3';
const CLAUDE = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

let mock: MockServer;
let sluice: SluiceProcess;
const tokens = new MockTokenService();

before(async () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  tokens.addServiceAccount(EMAIL, key.publicKey);
  mock = await startMock({ dialectOptions: { vertex: { tokens } } });
  const m = mock.url;
  const dir = tempDir('sluice-cloud-embed-');
  const sa = join(dir, 'sa.json');
  writeFileSync(sa, JSON.stringify({ type: 'service_account', project_id: 'test-project', private_key_id: 'k1', private_key: key.privateKey, client_email: EMAIL, token_uri: `${m}/token` }));
  const aws = `region: us-east-1, access_key_id: ${MOCK_AWS_ACCESS_KEY_ID}, secret_access_key: ${MOCK_AWS_SECRET_ACCESS_KEY}`;
  sluice = await startSluice({
    env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_PROFILE: undefined, AWS_BEARER_TOKEN_BEDROCK: undefined, AWS_EC2_METADATA_DISABLED: 'true' },
    config: `
providers:
  vx: { type: vertex, base_url: "${m}", project: test-project, region: us-central1, credentials: "${sa}" }
  br: { type: bedrock, base_url: "${m}", ${aws} }
  br-throttled: { type: bedrock, base_url: "${m}/_mock/fault=status;status=429", ${aws} }
  vx-down: { type: vertex, base_url: "${m}/_mock/fault=status;status=503", project: test-project, region: us-central1, credentials: "${sa}" }
models:
  embed-vertex: { targets: [{ provider: vx, model: text-embedding-005 }] }
  embed-vertex-gemini: { targets: [{ provider: vx, model: gemini-embedding-001 }] }
  embed-titan: { targets: [{ provider: br, model: "${TITAN}" }] }
  embed-cohere: { targets: [{ provider: br, model: ${COHERE} }] }
  embed-cohere-v4: { targets: [{ provider: br, model: "cohere.embed-v4:0" }] }
  embed-failover:
    strategy: fallback
    targets: [{ provider: br-throttled, model: "${TITAN}" }, { provider: br, model: "${CLAUDE}" }, { provider: vx, model: text-embedding-005 }]
  embed-failover-bedrock:
    strategy: fallback
    targets: [{ provider: vx-down, model: text-embedding-005 }, { provider: br, model: ${COHERE} }]
  chat-bedrock: { targets: [{ provider: br, model: "${CLAUDE}" }] }
auth:
  keys:
    - { name: embedder, key: "${KEY}" }
retries: { attempts: 1, backoff: 1ms }
`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

const client = (): OpenAI => new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: KEY, maxRetries: 0 });
const expected = (text: string, dims?: number): number[] => Array.from(mockEmbedding(text, dims));
/** The mock counts four characters a token per text. */
const tokensOf = (texts: string[]): number => texts.reduce((n, t) => n + Math.ceil(t.length / 4), 0);

// `dims`: the shorter vectors the batch test asks for (Cohere Embed v3's are fixed, Bedrock refuses the field).
for (const [model, upstream, path, dims] of [
  ['embed-vertex', 'vertex (text-embedding-005)', /\/v1beta1\/projects\/test-project\/locations\/us-central1\/publishers\/google\/models\/text-embedding-005:predict$/, 8],
  ['embed-vertex-gemini', 'vertex (gemini-embedding-001)', /\/publishers\/google\/models\/gemini-embedding-001:predict$/, 8],
  ['embed-titan', 'bedrock (Titan Text Embeddings V2)', /\/model\/amazon\.titan-embed-text-v2%3A0\/invoke$/, 8],
  ['embed-cohere', 'bedrock (Cohere Embed v3)', /\/model\/cohere\.embed-english-v3\/invoke$/, undefined],
  ['embed-cohere-v4', 'bedrock (Cohere Embed v4)', /\/model\/cohere\.embed-v4%3A0\/invoke$/, 8],
] as const) {
  describe(`embeddings over ${upstream}`, () => {
    test('float, with the upstream token count as usage', async () => {
      mock.reset();
      const res = await client().embeddings.create({ model, input: 'the river lock', encoding_format: 'float' });
      assert.equal(res.model, model);
      assert.deepEqual(res.data[0]!.embedding, expected('the river lock'));
      assert.equal(res.usage.prompt_tokens, 4);
      assert.match(mock.requests.at(-1)!.path, path);
      const rec = await sluice.waitForRecord((r) => r.model === model && r.tokens_in === 4);
      assert.equal(rec.tokens_estimated, false);
    });

    test('base64 (the SDK default, decoded by the SDK) carries the same float32 values', async () => {
      const res = await client().embeddings.create({ model, input: 'the river lock' });
      assert.deepEqual(res.data[0]!.embedding, expected('the river lock'));
      const raw = await fetch(`${sluice.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, input: ['a', 'b'], encoding_format: 'base64' }),
      });
      const body = (await raw.json()) as { data: Array<{ embedding: string }> };
      assert.equal(Buffer.from(body.data[1]!.embedding, 'base64').length, 16 * 4);
    });

    test(`a batch${dims ? ' with dimensions' : ''}: one vector per input, in order, usage summed`, async () => {
      const inputs = ['alpha', 'beta beta', 'gamma gamma gamma', 'δέλτα'];
      const res = await client().embeddings.create({ model, input: inputs, ...(dims ? { dimensions: dims } : {}), encoding_format: 'float' });
      assert.deepEqual(
        res.data.map((d) => d.index),
        [0, 1, 2, 3],
      );
      inputs.forEach((text, i) => assert.deepEqual(res.data[i]!.embedding, expected(text, dims), text));
      assert.equal(res.usage.prompt_tokens, tokensOf(inputs));
      const b64 = await client().embeddings.create({ model, input: inputs, ...(dims ? { dimensions: dims } : {}) });
      inputs.forEach((text, i) => assert.deepEqual(b64.data[i]!.embedding, expected(text, dims), text));
    });
  });
}

describe('batches a vendor cannot take in one call', () => {
  const calls = (re: RegExp): Array<Record<string, unknown>> => mock.requests.filter((r) => re.test(r.path)).map((r) => r.body as Record<string, unknown>);

  test('Titan: one InvokeModel per text, signed each', async () => {
    mock.reset();
    const inputs = Array.from({ length: 9 }, (_, i) => `titan text ${i}`);
    const res = await client().embeddings.create({ model: 'embed-titan', input: inputs, encoding_format: 'float' });
    inputs.forEach((text, i) => assert.deepEqual(res.data[i]!.embedding, expected(text), text));
    const bodies = calls(/titan-embed-text-v2%3A0\/invoke$/);
    assert.deepEqual(bodies.map((b) => b.inputText).sort(), [...inputs].sort());
    assert.ok(mock.requests.every((r) => /Credential=AKIASLUICEMOCKKEY001\/\d{8}\/us-east-1\/bedrock\/aws4_request/.test(String(r.headers.authorization))));
  });

  test('Cohere: 100 texts are two calls (96 + 4) with input_type search_document; the client may choose another', async () => {
    mock.reset();
    const inputs = Array.from({ length: 100 }, (_, i) => `doc ${i}`);
    const res = await client().embeddings.create({ model: 'embed-cohere', input: inputs, encoding_format: 'float' });
    assert.equal(res.data.length, 100);
    assert.deepEqual(res.data[99]!.embedding, expected('doc 99'));
    assert.equal(res.usage.prompt_tokens, tokensOf(inputs));
    const bodies = calls(/cohere\.embed-english-v3\/invoke$/);
    assert.deepEqual(
      bodies.map((b) => (b.texts as string[]).length),
      [96, 4],
    );
    assert.ok(bodies.every((b) => b.input_type === 'search_document'));
    mock.reset();
    await client().embeddings.create({ model: 'embed-cohere', input: 'what is a lock?', input_type: 'search_query' } as OpenAI.EmbeddingCreateParams);
    assert.equal(calls(/cohere/)[0]!.input_type, 'search_query');
  });

  test('Vertex: gemini-embedding-001 one instance per call; text-embedding-005 250 per call; task_type and title passed on', async () => {
    mock.reset();
    const three = ['one', 'two', 'three'];
    const g = await client().embeddings.create({ model: 'embed-vertex-gemini', input: three, encoding_format: 'float' });
    three.forEach((text, i) => assert.deepEqual(g.data[i]!.embedding, expected(text), text));
    assert.deepEqual(
      calls(/gemini-embedding-001:predict$/).map((b) => (b.instances as unknown[]).length),
      [1, 1, 1],
    );
    mock.reset();
    const many = Array.from({ length: 260 }, (_, i) => `chunk ${i}`);
    const t = await client().embeddings.create({ model: 'embed-vertex', input: many, encoding_format: 'float', task_type: 'RETRIEVAL_DOCUMENT', title: 'Canals' } as OpenAI.EmbeddingCreateParams);
    assert.deepEqual(t.data[259]!.embedding, expected('chunk 259'));
    const bodies = calls(/text-embedding-005:predict$/);
    assert.deepEqual(
      bodies.map((b) => (b.instances as unknown[]).length),
      [250, 10],
    );
    assert.deepEqual((bodies[0]!.instances as unknown[])[0], { content: 'chunk 0', task_type: 'RETRIEVAL_DOCUMENT', title: 'Canals' });
    assert.match(String(mock.requests.at(-1)!.headers.authorization), /^Bearer ya29\./);
  });
});

describe('routing', () => {
  test('a throttled Bedrock target fails over; a chat model is left out (it spends no retry); Vertex answers', async () => {
    const res = await client().embeddings.create({ model: 'embed-failover', input: 'over', encoding_format: 'float' });
    assert.deepEqual(res.data[0]!.embedding, expected('over'));
    const r = await sluice.waitForRecord((x) => x.model === 'embed-failover');
    assert.equal(r.target, 'vx/text-embedding-005');
    assert.equal(r.attempts, 2);
    assert.equal(r.failovers, 1);
  });

  test('an unavailable Vertex target fails over to Bedrock Cohere', async () => {
    const res = await client().embeddings.create({ model: 'embed-failover-bedrock', input: 'back', encoding_format: 'float' });
    assert.deepEqual(res.data[0]!.embedding, expected('back'));
    const r = await sluice.waitForRecord((x) => x.model === 'embed-failover-bedrock');
    assert.equal(r.target, `br/${COHERE}`);
  });

  test('a Bedrock chat model cannot embed: 400 saying so', async () => {
    await assert.rejects(client().embeddings.create({ model: 'chat-bedrock', input: 'x' }), (e: unknown) => {
      const err = e as { status?: number; message?: string };
      return err.status === 400 && /no target that can embed/.test(err.message ?? '');
    });
  });
});

describe('bad input → 400 in OpenAI shape', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['token ids to Vertex', { model: 'embed-vertex', input: [1, 2, 3] }, /token-id input cannot be embedded by a Vertex AI upstream/],
    ['token ids to Bedrock', { model: 'embed-titan', input: [[1, 2]] }, /token-id input cannot be embedded by a Bedrock upstream/],
    ['an unknown Vertex task_type', { model: 'embed-vertex', input: 'x', task_type: 'SEARCH' }, /'task_type' must be one of RETRIEVAL_QUERY/],
    ['a Cohere input_type of the wrong kind', { model: 'embed-cohere', input: 'x', input_type: 7 }, /'input_type' must be one of search_document/],
    ['an empty string', { model: 'embed-titan', input: '' }, /'input' must not be an empty string/],
    ['dimensions Cohere v3 cannot take (the vendor refuses)', { model: 'embed-cohere', input: 'x', dimensions: 8 }, /extraneous key \[output_dimension\]/],
  ];
  for (const [name, body, message] of bad) {
    test(name, async () => {
      const res = await fetch(`${sluice.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 400);
      const json = (await res.json()) as { error: { message: string; type: string } };
      assert.match(json.error.message, message);
      assert.equal(json.error.type, 'invalid_request_error');
    });
  }
});
