// The mock's Azure OpenAI side checked against the openai package's own AzureOpenAI client: classic
// deployment paths with api-version and api-key, the v1 API, Entra tokens from the managed-identity
// endpoint (azureADTokenProvider), Azure's content-filter chunks, string error codes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AzureOpenAI } from 'openai';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { MockTokenService } from '../../src/protocols/vertex/mock-tokens.ts';

let mock: MockServer;
let clock = Date.now();
const tokens = new MockTokenService({ lifetimeS: 3600, now: () => clock });

before(async () => {
  mock = await startMock({ now: () => clock, dialectOptions: { 'azure-openai': { apiKey: 'az-key', tokens } } });
});
after(() => mock.close());

const classic = (opts: { apiKey?: string; headers?: Record<string, string>; azureADTokenProvider?: () => Promise<string> } = {}) =>
  new AzureOpenAI({
    endpoint: mock.url,
    apiVersion: '2024-10-21',
    deployment: 'my-gpt-4o',
    maxRetries: 0,
    defaultHeaders: opts.headers,
    ...(opts.azureADTokenProvider ? { azureADTokenProvider: opts.azureADTokenProvider } : { apiKey: opts.apiKey ?? 'az-key' }),
  });

async function msiToken(): Promise<string> {
  const res = await fetch(`${mock.url}/msi/token?api-version=2019-08-01&resource=${encodeURIComponent('https://cognitiveservices.azure.com')}`, { headers: { 'x-identity-header': 'secret' } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { access_token: string; expires_on: string; token_type: string };
  assert.match(body.expires_on, /^\d+$/);
  return body.access_token;
}

describe('Azure OpenAI (openai AzureOpenAI client)', () => {
  test('classic deployment path: streaming with the prompt-filter chunk first, usage, [DONE]', async () => {
    const stream = await classic().chat.completions.create({ model: 'ignored', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    const chunks: Array<{ id: string; choices: unknown[]; prompt_filter_results?: unknown }> = [];
    for await (const c of stream) {
      chunks.push(c as never);
      text += c.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, mockText(12).join(''));
    assert.equal(chunks[0]!.id, '');
    assert.deepEqual(chunks[0]!.choices, []);
    assert.ok(chunks[0]!.prompt_filter_results);
    assert.ok(chunks.some((c) => c.id === '' && c.choices.length === 1), 'annotation chunks without delta');
    const rec = mock.requests.at(-1)!;
    assert.equal(rec.dialect, 'azure-openai');
    assert.match(rec.path, /^\/openai\/deployments\/my-gpt-4o\/chat\/completions\?api-version=2024-10-21$/);
    assert.equal(rec.headers['api-key'], 'az-key');
  });

  test('non-streaming, and the v1 API with the plain OpenAI client', async () => {
    const res = await classic().chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0]?.message.content, mockText(12).join(''));
    const v1 = new OpenAI({ baseURL: `${mock.url}/openai/v1`, apiKey: 'unused', defaultHeaders: { 'api-key': 'az-key' }, maxRetries: 0 });
    const r2 = await v1.chat.completions.create({ model: 'my-gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r2.choices[0]?.message.content, mockText(12).join(''));
    assert.equal(mock.requests.at(-1)!.dialect, 'azure-openai');
  });

  test('finish=content_filter arrives late, after a stop, as the asynchronous filter sends it (Q-43)', async () => {
    const stream = await classic().chat.completions.create({ model: 'x', stream: true, messages: [{ role: 'user', content: 'hi [[mock finish=content_filter]]' }] });
    const finishes: string[] = [];
    for await (const c of stream) if (c.choices[0]?.finish_reason) finishes.push(c.choices[0].finish_reason);
    assert.deepEqual(finishes, ['stop', 'content_filter']);
  });

  test('Entra ID: a token from the managed-identity endpoint is accepted; an expired one is a 401', async () => {
    const token = await msiToken();
    const res = await classic({ azureADTokenProvider: async () => token }).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0]?.message.content, mockText(12).join(''));
    assert.equal(mock.requests.at(-1)!.headers.authorization, `Bearer ${token}`);
    clock += 3_601_000;
    try {
      await assert.rejects(classic({ azureADTokenProvider: async () => token }).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), { status: 401 });
    } finally {
      clock -= 3_601_000;
    }
  });

  test('wrong key → 401 with a string code; no api-version → 404; fault=status 429 with retry-after', async () => {
    await assert.rejects(classic({ apiKey: 'wrong' }).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError);
      assert.equal(e.status, 401);
      assert.equal((e.error as { code?: unknown }).code, '401');
      return true;
    });
    const noVersion = await fetch(`${mock.url}/openai/deployments/d/chat/completions`, { method: 'POST', headers: { 'api-key': 'az-key' }, body: '{}' });
    assert.equal(noVersion.status, 404);
    await assert.rejects(classic({ headers: { 'x-mock': 'fault=status;status=429;retry_after=6' } }).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError);
      assert.equal(e.status, 429);
      assert.equal(e.headers?.get('retry-after'), '6');
      assert.equal((e.error as { code?: unknown }).code, '429');
      return true;
    });
  });

  test('Responses: classic /openai/responses with api-version and the v1 path, streaming and not', async () => {
    const client = new AzureOpenAI({ endpoint: mock.url, apiVersion: '2025-04-01-preview', apiKey: 'az-key', maxRetries: 0 });
    const res = await client.responses.create({ model: 'my-deployment', input: 'hi' });
    assert.equal(res.output_text, mockText(12).join(''));
    const rec = mock.requests.at(-1)!;
    assert.equal(rec.dialect, 'azure-openai');
    assert.equal(rec.path, '/openai/responses?api-version=2025-04-01-preview');
    const v1 = new OpenAI({ baseURL: `${mock.url}/openai/v1`, apiKey: 'unused', defaultHeaders: { 'api-key': 'az-key' }, maxRetries: 0 });
    let text = '';
    for await (const ev of await v1.responses.create({ model: 'my-deployment', input: 'hi', stream: true })) if (ev.type === 'response.output_text.delta') text += ev.delta;
    assert.equal(text, mockText(12).join(''));
    assert.equal(mock.requests.at(-1)!.path, '/openai/v1/responses');
    const bare = await fetch(`${mock.url}/openai/responses`, { method: 'POST', headers: { 'api-key': 'az-key' }, body: '{}' });
    assert.equal(bare.status, 404, 'classic Responses need api-version');
  });

  test('the OpenAI-compatible /openai/v1 base path without Azure credentials is still the plain OpenAI dialect', async () => {
    const groqLike = new OpenAI({ baseURL: `${mock.url}/openai/v1`, apiKey: 'gsk-x', maxRetries: 0 });
    await groqLike.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(mock.requests.at(-1)!.dialect, 'openai');
  });
});
