// Issue 12: every fault of `sluice mock` (src/mock/faults.ts), over every upstream dialect, through
// the Gemini front ends within its time bound as either a complete answer or a Google-shaped error
// (HTTP `{"error":{code,message,status}}` before the commit point, a last `data: {"error":…}` after
// it); a client that hangs up closes the upstream request within 1 s.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULTS } from '../../src/mock/faults.ts';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { checkGeminiStream } from '../../src/protocols/gemini/conformance.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { uniqueTag, within } from './translation-env.ts';

let mock: MockServer;
let sluice: SluiceProcess;

const TEXT = mockText(12).join('');
const MODELS = ['f-oa', 'f-an', 'f-ge'];
/** Longest any case may take: first_byte 1.5 s or idle 0.8 s after a 0.4 s keepalive, plus slack. */
const BOUND_MS = 6000;

before(async () => {
  mock = await startMock({ port: 0 });
  const t = '{ connect: 2s, first_byte: 1500ms, idle: 800ms, total: 20s }';
  sluice = await startSluice({
    config: `
server: { keepalive: 400ms }
providers:
  oa: { type: openai, base_url: ${mock.url}/v1, api_key: sk-upstream-secret, timeouts: ${t} }
  an: { type: anthropic, base_url: ${mock.url}, api_key: sk-upstream-secret, timeouts: ${t} }
  ge: { type: gemini, base_url: ${mock.url}, api_key: sk-upstream-secret, timeouts: ${t} }
models:
  f-oa: { targets: [{ provider: oa, model: gpt-x }] }
  f-an: { targets: [{ provider: an, model: claude-x }] }
  f-ge: { targets: [{ provider: ge, model: gemini-x }] }
retries: { attempts: 0 }
`,
  });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function directiveFor(fault: string): string {
  switch (fault) {
    case 'status':
      return 'fault=status status=500';
    case 'keepalive_only':
      return 'fault=keepalive_only every=100';
    case 'big_event':
      return 'fault=big_event size=200000';
    default:
      return `fault=${fault} after=3 chunks=12`;
  }
}

async function ask(model: string, directive: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${sluice.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'x' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: `${uniqueTag('f')} [[mock ${directive}]]` }] }] }),
    signal,
  });
}

function assertGoogleError(body: unknown, where: string): void {
  const err = (body as { error?: { code?: unknown; message?: unknown; status?: unknown } }).error;
  assert.ok(err, `${where}: {"error":…}`);
  assert.equal(typeof err.code, 'number', where);
  assert.equal(typeof err.status, 'string', where);
  assert.equal(typeof err.message, 'string', where);
  assert.ok(!String(err.message).includes('sk-upstream-secret'), 'the upstream key never leaks');
}

describe('every mock fault through the Gemini front', () => {
  for (const model of MODELS) {
    for (const fault of Object.keys(FAULTS)) {
      test(`${model}: ${fault}`, async () => {
        const started = Date.now();
        const res = await within(BOUND_MS, ask(model, directiveFor(fault)), fault);
        const text = await within(BOUND_MS, res.text(), `${fault} body`);
        assert.ok(Date.now() - started < BOUND_MS, 'within its bound');
        if (res.status !== 200) {
          assert.match(res.headers.get('content-type') ?? '', /application\/json/);
          assertGoogleError(JSON.parse(text), `${fault}: HTTP ${res.status}`);
          return;
        }
        assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
        const answer = checkGeminiStream(text, model);
        if (answer.error) {
          assertGoogleError({ error: { code: 0, status: answer.error.type, message: answer.error.message } }, fault);
          assert.ok(TEXT.startsWith(answer.text) || answer.text.startsWith('sluice-big-event'), 'only text the upstream sent');
        } else if (fault === 'big_event') {
          assert.equal(answer.text.length, 200000);
        } else {
          assert.equal(answer.text, TEXT, `${fault}: the whole text`);
        }
      });
    }
  }

  test('the next request on a keep-alive connection still works', async () => {
    const res = await ask('f-an', 'chunks=12');
    assert.equal(checkGeminiStream(await res.text(), 'f-an').text, TEXT);
  });
});

describe('client abort', () => {
  for (const model of MODELS) {
    test(`${model}: closing the client closes the upstream within 1 s`, async () => {
      const tag = uniqueTag('abort');
      const ac = new AbortController();
      const res = await fetch(`${sluice.url}/v1beta/models/${model}:streamGenerateContent?alt=sse`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'x' },
        body: JSON.stringify({ contents: [{ parts: [{ text: `${tag} [[mock chunks=200 delay=50]]` }] }] }),
        signal: ac.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      const abortedAt = Date.now();
      ac.abort();
      const rec = await mock.waitFor((r) => JSON.stringify(r.body ?? '').includes(tag) && r.closedAt !== undefined, 3000);
      assert.ok(rec.closedAt! - abortedAt < 1000, `upstream closed ${rec.closedAt! - abortedAt} ms after the client`);
    });
  }
});
