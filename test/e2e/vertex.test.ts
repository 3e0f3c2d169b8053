// sluice in front of `sluice mock`'s Vertex AI (issue 13): a `vertex` provider with a service-account
// key file whose token_uri is the mock (sluice signs the JWT, the mock verifies it and issues the
// token every model request must carry), both publishers behind one provider entry, the official
// SDKs as clients (openai chat, @anthropic-ai/sdk incl. count_tokens), the stream rules of SPEC §4
// (failover on RESOURCE_EXHAUSTED and on a first-byte timeout before the commit point, errors after
// it, abort reaching the upstream), and no access token anywhere in logs or errors.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { MockTokenService } from '../../src/protocols/vertex/mock-tokens.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { tempDir } from '../helpers/tmp.ts';

const TEXT12 = mockText(12).join('');
const CLAUDE = 'claude-sonnet-4-5@20250929';
const GEMINI = 'gemini-2.5-flash';
const EMAIL = 'sluice-e2e@test-project.iam.gserviceaccount.com';

let mock: MockServer;
let sluice: SluiceProcess;
let openai: OpenAI;
let anthropic: Anthropic;
const tokens = new MockTokenService();

function keyFile(dir: string, name: string, privateKey: string, tokenUri: string): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ type: 'service_account', project_id: 'test-project', private_key_id: 'k1', private_key: privateKey, client_email: EMAIL, token_uri: tokenUri }));
  return path;
}

before(async () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  tokens.addServiceAccount(EMAIL, key.publicKey);
  mock = await startMock({ dialectOptions: { vertex: { tokens } } });
  const m = mock.url;
  const dir = tempDir('sluice-vertex-');
  const sa = keyFile(dir, 'sa.json', key.privateKey, `${m}/token`);
  const wrongKey = keyFile(dir, 'wrong.json', stranger.privateKey, `${m}/token`);
  const common = `project: test-project, region: us-east5`;
  sluice = await startSluice({
    config: `
server: { keepalive: 5s }
providers:
  vx: { type: vertex, base_url: "${m}", ${common}, credentials: "${sa}" }
  vx-sim: { type: vertex, base_url: "${m}", ${common}, credentials: "${sa}", streaming: simulate }
  vx-quota: { type: vertex, base_url: "${m}/_mock/fault=status;status=429", ${common}, credentials: "${sa}" }
  vx-stall: { type: vertex, base_url: "${m}/_mock/fault=stall_first", ${common}, credentials: "${sa}", timeouts: { first_byte: 300ms } }
  vx-wrong-key: { type: vertex, base_url: "${m}", ${common}, credentials: "${wrongKey}" }
models:
  claude-vx: { targets: [{ provider: vx, model: "${CLAUDE}" }] }
  gemini-vx: { targets: [{ provider: vx, model: ${GEMINI} }] }
  claude-vx-sim: { targets: [{ provider: vx-sim, model: "${CLAUDE}" }] }
  gemini-vx-sim: { targets: [{ provider: vx-sim, model: ${GEMINI} }] }
  claude-quota: { strategy: fallback, targets: [{ provider: vx-quota, model: "${CLAUDE}" }, { provider: vx, model: "${CLAUDE}" }] }
  gemini-quota: { strategy: fallback, targets: [{ provider: vx-quota, model: ${GEMINI} }, { provider: vx, model: ${GEMINI} }] }
  gemini-stall: { strategy: fallback, targets: [{ provider: vx-stall, model: ${GEMINI} }, { provider: vx, model: ${GEMINI} }] }
  claude-wrong-key: { targets: [{ provider: vx-wrong-key, model: "${CLAUDE}" }] }
retries: { attempts: 2, backoff: 10ms }
`,
  });
  openai = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

const MODELS = ['claude-vx', 'gemini-vx', 'claude-vx-sim', 'gemini-vx-sim'];

describe('the official SDKs over both publishers', () => {
  for (const model of MODELS) {
    test(`${model}: openai chat, streaming and not`, async () => {
      const stream = await openai.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hi' }] });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined | null;
      for await (const c of stream) {
        text += c.choices[0]?.delta?.content ?? '';
        if (c.usage) usage = c.usage;
      }
      assert.equal(text, TEXT12);
      assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0, 'usage reported');
      const res = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(res.choices[0]?.message.content, TEXT12);
      assert.equal(res.choices[0]?.finish_reason, 'stop');
    });

    test(`${model}: @anthropic-ai/sdk messages, streaming and not`, async () => {
      const stream = anthropic.messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Hi' }] });
      let text = '';
      stream.on('text', (t) => (text += t));
      const final = await stream.finalMessage();
      assert.equal(text, TEXT12);
      assert.equal(final.stop_reason, 'end_turn');
      const res = await anthropic.messages.create({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(res.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), TEXT12);
    });
  }

  for (const model of ['claude-vx', 'gemini-vx']) {
    test(`${model}: the Responses front (openai responses.create and a streamed response)`, async () => {
      const res = await openai.responses.create({ model, input: 'Hi' });
      assert.equal(res.output_text, TEXT12);
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

  test('what reached the mock: Vertex paths per publisher, the Claude body rewrite, a bearer token', () => {
    const claude = mock.requests.find((r) => r.path.includes('/publishers/anthropic/models/') && r.path.endsWith(':streamRawPredict'));
    const gemini = mock.requests.find((r) => r.path.includes('/publishers/google/models/') && r.path.endsWith(':streamGenerateContent?alt=sse'));
    assert.ok(claude && gemini, 'both publishers were called');
    assert.equal(claude.path, `/v1/projects/test-project/locations/us-east5/publishers/anthropic/models/${CLAUDE}:streamRawPredict`);
    assert.equal(claude.body.anthropic_version, 'vertex-2023-10-16');
    assert.equal('model' in claude.body, false);
    assert.equal(claude.body.stream, true);
    assert.equal(gemini.path, `/v1beta1/projects/test-project/locations/us-east5/publishers/google/models/${GEMINI}:streamGenerateContent?alt=sse`);
    assert.match(String(claude.headers.authorization), /^Bearer ya29\.mock-/);
    assert.equal(claude.headers['x-api-key'], undefined);
    assert.ok(tokens.stats.granted >= 1, 'sluice exchanged its signed JWT at the mock');
    assert.equal(tokens.stats.refused, 0);
  });

  test('count_tokens: the upstream\'s own count from both publishers', async () => {
    for (const model of ['claude-vx', 'gemini-vx']) {
      const before = mock.requests.length;
      // max_tokens: the Anthropic front's count_tokens still demands it (left to the count_tokens work).
      const res = await fetch(`${sluice.url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: 'user', content: 'How many tokens is this?' }] }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const count = (await res.json()) as { input_tokens: number };
      assert.ok(count.input_tokens > 0);
      const rec = mock.requests.slice(before).find((r) => r.path.includes('count-tokens:rawPredict') || r.path.endsWith(':countTokens'));
      assert.ok(rec, `${model}: the count came from Vertex`);
    }
  });
});

describe('stream rules (SPEC §4)', () => {
  test('RESOURCE_EXHAUSTED before the stream fails over to the next target, both publishers', async () => {
    for (const model of ['claude-quota', 'gemini-quota']) {
      const before = mock.requests.length;
      const stream = await openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      assert.equal(text, TEXT12);
      const tried = mock.requests.slice(before).filter((r) => r.path.includes('/publishers/'));
      assert.ok(tried.some((r) => r.path.startsWith('/_mock/fault=status')), `${model}: the quota-exhausted target was tried`);
      assert.ok(tried.some((r) => !r.path.startsWith('/_mock/') && r.outcome === 'completed'), `${model}: the next target answered`);
      const record = await sluice.waitForRecord((r) => r.model === model);
      assert.equal(record.status, 200);
    }
  });

  test('a first-byte timeout fails over before the commit point', async () => {
    const stream = anthropic.messages.stream({ model: 'gemini-stall', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    const final = await stream.finalMessage();
    assert.equal(final.content.map((b) => (b.type === 'text' ? b.text : '')).join(''), TEXT12);
    const record = await sluice.waitForRecord((r) => r.model === 'gemini-stall');
    assert.equal(record.status, 200);
    assert.ok(Number(record.attempts) >= 2, 'the stalled target was tried first');
  });

  test('an error after the commit point reaches each front in its own dialect; the next request works', async () => {
    const stream = await openai.chat.completions.create({ model: 'gemini-vx', stream: true, messages: [{ role: 'user', content: 'Hi [[mock fault=error_mid after=3]]' }] });
    await assert.rejects(
      (async () => {
        for await (const _ of stream) {
          // read until the error
        }
      })(),
      (e: unknown) => e instanceof OpenAI.APIError,
    );
    const claudeStream = anthropic.messages.stream({ model: 'claude-vx', max_tokens: 100, messages: [{ role: 'user', content: 'Hi [[mock fault=error_mid after=4]]' }] });
    await assert.rejects(claudeStream.finalMessage(), (e: unknown) => e instanceof Anthropic.APIError && /overloaded/i.test(String((e as Error).message)));
    const ok = await openai.chat.completions.create({ model: 'claude-vx', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(ok.choices[0]?.message.content, TEXT12);
  });

  test('a client that hangs up aborts the Vertex request', async () => {
    const tag = `abort-${Date.now()}`;
    const ac = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'claude-vx', stream: true, messages: [{ role: 'user', content: `${tag} [[mock chunks=200 delay=20]]` }] },
      { signal: ac.signal },
    );
    // openai-node ends the iteration quietly on its own abort.
    for await (const c of stream) if (c.choices[0]?.delta?.content) ac.abort();
    const rec = await mock.waitFor((r) => JSON.stringify(r.body ?? '').includes(tag) && r.closedAt !== undefined, 2000);
    assert.equal(rec.outcome, 'client_closed');
  });
});

describe('credentials', () => {
  test('a key the token endpoint refuses: 401 in the client\'s dialect naming the provider, no JWT or token in it', async () => {
    await assert.rejects(anthropic.messages.create({ model: 'claude-wrong-key', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }), (e: unknown) => {
      assert.ok(e instanceof Anthropic.APIError);
      assert.equal(e.status, 401);
      const message = String(e.message);
      assert.match(message, /vx-wrong-key/);
      assert.match(message, /invalid_grant/);
      assert.doesNotMatch(message, /eyJ|ya29\./);
      return true;
    });
  });

  test('no access token, assertion or private key in sluice\'s logs', async () => {
    await sluice.waitForRecord((r) => r.model === 'claude-wrong-key');
    const everything = [...sluice.stdout, ...sluice.stderr].join('\n');
    assert.ok(sluice.records().length > 10, 'requests were logged');
    assert.doesNotMatch(everything, /ya29\./);
    assert.doesNotMatch(everything, /eyJhbGciOiJSUzI1NiI/);
    assert.doesNotMatch(everything, /PRIVATE KEY/);
  });
});
