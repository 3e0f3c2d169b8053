// sluice in front of `sluice mock`'s Azure OpenAI (issue 13): classic deployment URLs with
// api-version, the v1 API, an old api-version without stream_options, Entra ID through
// @azure/identity (managed identity, App Service protocol, pointed at the mock), the official SDKs as
// clients, Azure's content-filter chunks through every front (the fronts' own conformance checks),
// the late content_filter finish, and the stream rules of SPEC §4.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { protocol } from '../../src/protocols/index.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const TEXT12 = mockText(12).join('');
let mock: MockServer;
let sluice: SluiceProcess;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  mock = await startMock({ dialectOptions: { 'azure-openai': { apiKey: 'az-key' } } });
  const m = mock.url;
  sluice = await startSluice({
    config: `
server: { keepalive: 5s }
providers:
  az: { type: azure-openai, base_url: "${m}", api_key: az-key, api_version: "2024-10-21" }
  az-v1: { type: azure-openai, base_url: "${m}/openai/v1/", api_key: az-key }
  az-old: { type: azure-openai, base_url: "${m}", api_key: az-key, api_version: "2023-05-15" }
  az-entra: { type: azure-openai, base_url: "${m}", api_version: "2024-10-21" }
  az-quota: { type: azure-openai, base_url: "${m}/_mock/fault=status;status=429", api_key: az-key, api_version: "2024-10-21" }
  az-bad-key: { type: azure-openai, base_url: "${m}", api_key: zz-bad-secret-77, api_version: "2024-10-21" }
  az-resp: { type: azure-openai, base_url: "${m}", api_key: az-key, api_version: "2025-04-01-preview", api: responses }
  az-resp-v1: { type: azure-openai, base_url: "${m}", api_key: az-key, api: responses }
models:
  gpt-az: { targets: [{ provider: az, model: my-gpt-4o }] }
  gpt-az-v1: { targets: [{ provider: az-v1, model: my-gpt-4o }] }
  gpt-az-old: { targets: [{ provider: az-old, model: my-gpt-4o }] }
  gpt-az-entra: { targets: [{ provider: az-entra, model: my-gpt-4o }] }
  gpt-az-failover: { strategy: fallback, targets: [{ provider: az-quota, model: my-gpt-4o }, { provider: az, model: my-gpt-4o }] }
  gpt-az-bad-key: { targets: [{ provider: az-bad-key, model: my-gpt-4o }] }
  gpt-az-resp: { targets: [{ provider: az-resp, model: my-gpt-4o }] }
  gpt-az-resp-v1: { targets: [{ provider: az-resp-v1, model: my-gpt-4o }] }
retries: { attempts: 2, backoff: 10ms }
`,
    // Entra ID: DefaultAzureCredential finds the App Service managed-identity endpoint (the mock).
    env: {
      IDENTITY_ENDPOINT: `${m}/msi/token`,
      IDENTITY_HEADER: 'mock-identity-secret',
      AZURE_CLIENT_ID: undefined,
      AZURE_TENANT_ID: undefined,
      AZURE_CLIENT_SECRET: undefined,
      AZURE_FEDERATED_TOKEN_FILE: undefined,
    },
  });
  openai = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function lastAzureRequest(model = 'my-gpt-4o') {
  const rec = [...mock.requests].reverse().find((r) => r.dialect === 'azure-openai' && (r.path.includes(`/deployments/${model}/`) || r.body?.model === model));
  assert.ok(rec, 'the request reached the mock as Azure OpenAI');
  return rec;
}

describe('the official SDKs over azure-openai', () => {
  for (const model of ['gpt-az', 'gpt-az-v1', 'gpt-az-old', 'gpt-az-entra', 'gpt-az-resp', 'gpt-az-resp-v1']) {
    test(`${model}: openai chat and @anthropic-ai/sdk messages, streaming and not`, async () => {
      const stream = await openai.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hi' }] });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const c of stream) {
        text += c.choices[0]?.delta?.content ?? '';
        if (c.usage) usage = c.usage;
      }
      assert.equal(text, TEXT12);
      assert.ok(usage && usage.completion_tokens > 0, 'usage reported (estimated where the api-version gives none)');
      const res = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(res.choices[0]?.message.content, TEXT12);
      const s2 = anthropic.messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
      const final = await s2.finalMessage();
      assert.equal(final.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), TEXT12);
      assert.equal(final.stop_reason, 'end_turn');
      const r2 = await anthropic.messages.create({ model, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(r2.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), TEXT12);
    });
  }

  for (const model of ['gpt-az', 'gpt-az-entra', 'gpt-az-resp', 'gpt-az-resp-v1']) {
    test(`${model}: the Responses front (openai responses.create and a streamed response)`, async () => {
      const res = await openai.responses.create({ model, input: 'Hi' });
      assert.equal(res.output_text, TEXT12);
      assert.equal(res.status, 'completed');
      let text = '';
      let completed = false;
      for await (const ev of await openai.responses.create({ model, input: 'Hi', stream: true })) {
        if (ev.type === 'response.output_text.delta') text += ev.delta;
        if (ev.type === 'response.completed') completed = true;
      }
      assert.equal(text, TEXT12);
      assert.ok(completed);
    });
  }

  test('api: responses calls Azure\'s Responses paths with the deployment as model', async () => {
    await openai.chat.completions.create({ model: 'gpt-az-resp', messages: [{ role: 'user', content: 'Hi' }] });
    const classic = [...mock.requests].reverse().find((r) => r.path.startsWith('/openai/responses'))!;
    assert.equal(classic.path, '/openai/responses?api-version=2025-04-01-preview');
    assert.equal(classic.body.model, 'my-gpt-4o');
    assert.equal(classic.headers['api-key'], 'az-key');
    await openai.chat.completions.create({ model: 'gpt-az-resp-v1', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(mock.requests.at(-1)!.path, '/openai/v1/responses');
  });

  test('what reached Azure: deployment path and api-version, api-key (never Authorization), stream_options by version', async () => {
    await openai.chat.completions.create({ model: 'gpt-az', stream: true, messages: [{ role: 'user', content: 'Hi' }] }).then(async (s) => {
      for await (const _ of s);
    });
    const classic = lastAzureRequest();
    assert.equal(classic.path, '/openai/deployments/my-gpt-4o/chat/completions?api-version=2024-10-21');
    assert.equal(classic.headers['api-key'], 'az-key');
    assert.equal(classic.headers.authorization, undefined);
    assert.deepEqual(classic.body.stream_options, { include_usage: true });
    await openai.chat.completions.create({ model: 'gpt-az-old', stream: true, messages: [{ role: 'user', content: 'Hi' }] }).then(async (s) => {
      for await (const _ of s);
    });
    assert.equal(lastAzureRequest().body.stream_options, undefined, 'api-version 2023-05-15 rejects stream_options (Q-45)');
    await openai.chat.completions.create({ model: 'gpt-az-v1', messages: [{ role: 'user', content: 'Hi' }] });
    const v1 = lastAzureRequest();
    assert.equal(v1.path, '/openai/v1/chat/completions');
    assert.equal(v1.body.model, 'my-gpt-4o');
  });

  test('Entra ID: a bearer token from the managed identity, cached across requests', async () => {
    const grants = () => mock.requests.filter((r) => r.path.startsWith('/msi/token')).length;
    const before = grants();
    for (let i = 0; i < 3; i++) await openai.chat.completions.create({ model: 'gpt-az-entra', messages: [{ role: 'user', content: 'Hi' }] });
    const rec = lastAzureRequest();
    assert.match(String(rec.headers.authorization), /^Bearer ya29\.mock-/);
    assert.equal(rec.headers['api-key'], undefined);
    assert.ok(grants() >= 1 && grants() - before === 0, 'the token fetched earlier is reused');
  });
});

describe('content filtering (Q-16, Q-43)', () => {
  test('Azure\'s filter chunks keep every front conformant: prompt annotation, delta-less annotations, annotations after the finish', async () => {
    for (const [front, path, body] of [
      ['openai', '/v1/chat/completions', { model: 'gpt-az', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hi' }] }],
      ['anthropic', '/v1/messages', { model: 'gpt-az', stream: true, max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] }],
    ] as const) {
      const res = await fetch(`${sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: JSON.stringify(body) });
      assert.equal(res.status, 200);
      const answer = protocol(front)!.conformance!.check(await res.text(), { model: 'gpt-az', includeUsage: true });
      assert.equal(answer.text, TEXT12, `${front}: the text`);
      assert.equal(answer.error, undefined);
    }
  });

  test('a late content_filter finish after a stop reaches the client as the filter\'s verdict', async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-az', stream: true, messages: [{ role: 'user', content: 'Hi [[mock finish=content_filter]]' }] });
    let text = '';
    const finishes: string[] = [];
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      if (c.choices[0]?.finish_reason) finishes.push(c.choices[0].finish_reason);
    }
    assert.equal(text, TEXT12, 'the text already streamed is not taken back');
    assert.deepEqual(finishes, ['content_filter']);
    const msg = await anthropic.messages.stream({ model: 'gpt-az', max_tokens: 100, messages: [{ role: 'user', content: 'Hi [[mock finish=content_filter]]' }] }).finalMessage();
    assert.equal(msg.stop_reason, 'refusal');
  });
});

describe('stream rules (SPEC §4)', () => {
  test('a 429 before the stream fails over to the next deployment', async () => {
    const stream = await openai.chat.completions.create({ model: 'gpt-az-failover', stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    assert.equal(text, TEXT12);
    const record = await sluice.waitForRecord((r) => r.model === 'gpt-az-failover');
    assert.equal(record.status, 200);
    assert.equal(record.failovers, 1);
  });

  test('an error after the commit point is the front\'s error event; the next request works', async () => {
    const stream = anthropic.messages.stream({ model: 'gpt-az', max_tokens: 100, messages: [{ role: 'user', content: 'Hi [[mock fault=error_mid after=4]]' }] });
    await assert.rejects(stream.finalMessage(), (e: unknown) => e instanceof Anthropic.APIError);
    const ok = await openai.chat.completions.create({ model: 'gpt-az', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(ok.choices[0]?.message.content, TEXT12);
  });

  test('a client that hangs up aborts the Azure request', async () => {
    const tag = `abort-${Date.now()}`;
    const ac = new AbortController();
    const stream = await openai.chat.completions.create({ model: 'gpt-az', stream: true, messages: [{ role: 'user', content: `${tag} [[mock chunks=200 delay=20]]` }] }, { signal: ac.signal });
    for await (const c of stream) if (c.choices[0]?.delta?.content) ac.abort();
    const rec = await mock.waitFor((r) => JSON.stringify(r.body ?? '').includes(tag) && r.closedAt !== undefined, 2000);
    assert.equal(rec.outcome, 'client_closed');
  });

  test('a wrong key: 401 naming the provider, not the key', async () => {
    await assert.rejects(openai.chat.completions.create({ model: 'gpt-az-bad-key', messages: [{ role: 'user', content: 'Hi' }] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError);
      assert.equal(e.status, 401);
      assert.match(String(e.message), /az-bad-key/);
      assert.doesNotMatch(String(e.message), /zz-bad-secret-77/);
      return true;
    });
    const logs = [...sluice.stdout, ...sluice.stderr].join('\n');
    assert.doesNotMatch(logs, /az-key|zz-bad-secret-77|ya29\./);
  });
});
