// SPEC §3 `POST /v1/embeddings` end to end: the official `openai` SDK's embeddings.create (float,
// base64 — the SDK's own default, which it decodes — and batches, with `dimensions`) through sluice
// to each upstream type that can embed (openai-compatible, gemini embedContent/batchEmbedContents on
// `sluice mock`); the vectors are the mock's deterministic ones, in input order. Targets that cannot
// embed are skipped, failover works as for chat, usage and cost are logged (estimated where the
// upstream reports none), key model lists apply, and bad input is a 400 in OpenAI's shape.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { calcPrice } from '@pydantic/genai-prices';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { mockEmbedding } from '../../src/mock/embeddings.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const KEY = 'sk-client-embed-0123456789abcdef';
const NARROW = 'sk-client-narrow-0123456789abcd';

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  oa: { type: openai, base_url: "${mock.url}/v1", api_key: sk-up }
  gm: { type: gemini, base_url: "${mock.url}", api_key: g-up }
  resp: { type: openai-responses, base_url: "${mock.url}/v1", api_key: sk-up }
  az: { type: azure-openai, base_url: "${mock.url}", api_key: az-key, api_version: "2024-10-21" }
  az-v1: { type: azure-openai, base_url: "${mock.url}", api_key: az-key }
  claude: { type: anthropic, base_url: "${mock.url}", api_key: sk-up }
  flaky: { type: openai, base_url: "${mock.url}/_mock/fault=status;status=503/v1", api_key: sk-up }
models:
  embed-openai: { targets: [{ provider: oa, model: text-embedding-3-small }] }
  embed-gemini: { targets: [{ provider: gm, model: gemini-embedding-001 }] }
  embed-responses: { targets: [{ provider: resp, model: text-embedding-3-large }] }
  embed-azure: { targets: [{ provider: az, model: my-embedding-deployment }] }
  embed-azure-v1: { targets: [{ provider: az-v1, model: text-embedding-3-small }] }
  embed-mixed:
    strategy: fallback
    targets: [{ provider: claude, model: claude-sonnet-4-5 }, { provider: flaky, model: e-flaky }, { provider: gm, model: gemini-embedding-001 }]
  chat-only: { targets: [{ provider: claude, model: claude-sonnet-4-5 }] }
pricing:
  text-embedding-3-small: { input: 0.02, output: 0 }
auth:
  keys:
    - { name: embedder, key: "${KEY}" }
    - { name: narrow, key: "${NARROW}", models: [embed-openai] }
retries: { attempts: 2, backoff: 1ms }
`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

const client = (key = KEY): OpenAI => new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: key, maxRetries: 0 });
const expected = (text: string, dims?: number): number[] => Array.from(mockEmbedding(text, dims));

for (const [model, upstream] of [
  ['embed-openai', 'openai'],
  ['embed-gemini', 'gemini'],
  ['embed-responses', 'openai-responses'],
  ['embed-azure', 'azure-openai (api_version)'],
  ['embed-azure-v1', 'azure-openai (v1 API)'],
] as const) {
  describe(`embeddings over a ${upstream} upstream`, () => {
    test('float', async () => {
      const res = await client().embeddings.create({ model, input: 'the river lock', encoding_format: 'float' });
      assert.equal(res.object, 'list');
      assert.equal(res.model, model);
      assert.equal(res.data.length, 1);
      assert.equal(res.data[0]!.index, 0);
      assert.deepEqual(res.data[0]!.embedding, expected('the river lock'));
      assert.equal(res.usage.prompt_tokens, 4);
    });

    test('base64 (the SDK default, decoded by the SDK) carries the same float32 values', async () => {
      const res = await client().embeddings.create({ model, input: 'the river lock' });
      assert.deepEqual(res.data[0]!.embedding, expected('the river lock'));
      const raw = (await (
        await fetch(`${sluice.url}/v1/embeddings`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, input: 'the river lock', encoding_format: 'base64' }),
        })
      ).json()) as { data: Array<{ embedding: string }> };
      assert.equal(typeof raw.data[0]!.embedding, 'string');
      assert.equal(Buffer.from(raw.data[0]!.embedding, 'base64').length, 16 * 4);
    });

    test('a batch with dimensions: one vector per input, in order', async () => {
      const inputs = ['alpha', 'beta beta', 'gamma gamma gamma', 'δέλτα'];
      const res = await client().embeddings.create({ model, input: inputs, dimensions: 8, encoding_format: 'float' });
      assert.deepEqual(
        res.data.map((d) => d.index),
        [0, 1, 2, 3],
      );
      inputs.forEach((text, i) => assert.deepEqual(res.data[i]!.embedding, expected(text, 8), text));
      const b64 = await client().embeddings.create({ model, input: inputs, dimensions: 8 });
      inputs.forEach((text, i) => assert.deepEqual(b64.data[i]!.embedding, expected(text, 8), text));
    });
  });
}

describe('routing, usage, cost', () => {
  test('gemini: one input is embedContent, several are batchEmbedContents', async () => {
    mock.reset();
    await client().embeddings.create({ model: 'embed-gemini', input: 'one' });
    await client().embeddings.create({ model: 'embed-gemini', input: ['one', 'two'] });
    const paths = mock.requests.map((r) => r.path);
    assert.match(paths[0]!, /\/v1beta\/models\/gemini-embedding-001:embedContent$/);
    assert.match(paths[1]!, /\/v1beta\/models\/gemini-embedding-001:batchEmbedContents$/);
    assert.equal(mock.requests[0]!.headers['x-goog-api-key'], 'g-up');
  });

  test('log lines: tokens (estimated for Gemini, which reports none), cost from the catalog and from pricing', async () => {
    await client().embeddings.create({ model: 'embed-gemini', input: ['aaaa bbbb', 'cccc'] });
    const g = await sluice.waitForRecord((r) => r.model === 'embed-gemini' && r.tokens_in === 4);
    assert.equal(g.tokens_estimated, true);
    assert.equal(g.tokens_out, 0);
    assert.equal(g.target, 'gm/gemini-embedding-001');
    assert.equal(g.cost_usd, calcPrice({ input_tokens: 4, output_tokens: 0 }, 'gemini-embedding-001', { providerId: 'google' })!.total_price);

    await client().embeddings.create({ model: 'embed-openai', input: 'x'.repeat(400) });
    const o = await sluice.waitForRecord((r) => r.model === 'embed-openai' && r.tokens_in === 100);
    assert.equal(o.tokens_estimated, false);
    assert.equal(o.cost_usd, (100 * 0.02) / 1e6);
    assert.equal(o.front, 'openai');
    assert.equal(o.stream, false);
  });

  test('azure-openai: the deployment path with api-version, or the v1 path; the api-key header', async () => {
    mock.reset();
    await client().embeddings.create({ model: 'embed-azure', input: 'a' });
    await client().embeddings.create({ model: 'embed-azure-v1', input: 'a' });
    assert.equal(mock.requests[0]!.path, '/openai/deployments/my-embedding-deployment/embeddings?api-version=2024-10-21');
    assert.equal(mock.requests[0]!.headers['api-key'], 'az-key');
    assert.equal(mock.requests[0]!.headers.authorization, undefined);
    assert.equal(mock.requests[1]!.path, '/openai/v1/embeddings');
    assert.equal((mock.requests[1]!.body as { model?: string }).model, 'text-embedding-3-small');
  });

  test('targets that cannot embed are skipped; a failing one fails over like chat', async () => {
    const res = await client().embeddings.create({ model: 'embed-mixed', input: 'over', encoding_format: 'float' });
    assert.deepEqual(res.data[0]!.embedding, expected('over'));
    const r = await sluice.waitForRecord((x) => x.model === 'embed-mixed');
    assert.equal(r.target, 'gm/gemini-embedding-001');
    assert.equal(r.attempts, 2);
    assert.equal(r.failovers, 1);
  });

  test('a model with no target that can embed: 400 saying so', async () => {
    await assert.rejects(client().embeddings.create({ model: 'chat-only', input: 'x' }), (e: unknown) => {
      const err = e as { status?: number; message?: string; code?: string };
      return err.status === 400 && /no target that can embed \(claude\/claude-sonnet-4-5 cannot\)/.test(err.message ?? '') && err.code === 'unsupported';
    });
  });

  test('keys: a model outside the key list is 403; an unknown model 404', async () => {
    await client(NARROW).embeddings.create({ model: 'embed-openai', input: 'ok' });
    await assert.rejects(client(NARROW).embeddings.create({ model: 'embed-gemini', input: 'no' }), (e: unknown) => (e as { status?: number }).status === 403);
    await assert.rejects(client().embeddings.create({ model: 'no-such-model', input: 'x' }), (e: unknown) => (e as { status?: number }).status === 404);
  });
});

describe('bad input → 400 in OpenAI shape', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['empty string', { model: 'embed-openai', input: '' }, /'input' must not be an empty string/],
    ['empty list', { model: 'embed-openai', input: [] }, /'input' must not be an empty list/],
    ['empty string in a list', { model: 'embed-openai', input: ['a', ''] }, /empty strings/],
    ['a number', { model: 'embed-openai', input: 42 }, /'input': must be a string, a list of strings/],
    ['mixed list', { model: 'embed-openai', input: ['a', 3] }, /'input'/],
    ['no model', { input: 'x' }, /'model'/],
    ['bad encoding_format', { model: 'embed-openai', input: 'x', encoding_format: 'hex' }, /'encoding_format'/],
    ['bad dimensions', { model: 'embed-openai', input: 'x', dimensions: 0 }, /'dimensions'/],
    ['token ids to Gemini', { model: 'embed-gemini', input: [1, 2, 3] }, /token-id input cannot be embedded by a Gemini upstream/],
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

  test('not JSON', async () => {
    const res = await fetch(`${sluice.url}/v1/embeddings`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: '{"model":' });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /not valid JSON/);
  });

  test('token ids pass through to an OpenAI-compatible upstream', async () => {
    const res = await client().embeddings.create({ model: 'embed-openai', input: [[1, 2, 3], [4, 5]], encoding_format: 'float' });
    assert.deepEqual(res.data[1]!.embedding, expected('4 5'));
    assert.equal(res.usage.prompt_tokens, 5);
  });
});
