// SPEC §4.6 / issue 14 item 4: when every target answers 429 with a retry-after longer than what is
// left before the response headers must go out (server.keepalive), sluice answers at once with the
// 429 and the shortest retry-after, in the client's dialect — never a 200 whose stream then carries
// the error, which would keep the client's own retry logic from running. The official SDKs (retries
// off) see a RateLimitError with the header; the other fronts (Responses, Cohere, Gemini, Bedrock) on the wire.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { until } from '../helpers/procs.ts';

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  // Two targets of each upstream dialect, each 429 with its own retry-after; both above the 1 s
  // keepalive and below max_backoff (5 s), so a retry would have waited across the headers point.
  const provider = (name: string, type: string, retryAfter: number, suffix = '') =>
    `  ${name}: { type: ${type}, base_url: "${mock.url}/_mock/fault=status;status=429;retry_after=${retryAfter}${suffix}", api_key: sk-up }\n`;
  sluice = await startSluice({
    config: `
server: { keepalive: 1s }
providers:
${provider('oa', 'openai', 4, '/v1')}${provider('ob', 'openai', 3, '/v1')}${provider('aa', 'anthropic', 4)}${provider('ab', 'anthropic', 3)}
models:
  busy-openai:
    strategy: fallback
    targets: [{ provider: oa, model: m-oa }, { provider: ob, model: m-ob }]
  busy-anthropic:
    strategy: fallback
    targets: [{ provider: aa, model: m-aa }, { provider: ab, model: m-ab }]
retries: { attempts: 3, backoff: 50ms, max_backoff: 5s }
`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

const MODELS = ['busy-openai', 'busy-anthropic'];

function upstreamCalls(model: string): number {
  return mock.requests.filter((r) => (r.body as { model?: string } | undefined)?.model === model).length;
}

describe('every target rate limited past the headers point', () => {
  for (const model of MODELS) {
    test(`OpenAI SDK, ${model}: a 429 with the shortest retry-after, at once`, async () => {
      const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const started = performance.now();
      const err = await client.chat.completions
        .create({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] })
        .then(async (stream) => {
          for await (const _ of stream) {
            // a 200 stream: the failure this test is about
          }
          return undefined;
        })
        .catch((e: unknown) => e);
      assert.ok(err instanceof OpenAI.RateLimitError, `a RateLimitError, got ${String(err)}`);
      assert.equal(err.status, 429);
      assert.equal(err.headers?.get('retry-after'), '3', 'the shorter of the two retry-afters');
      assert.ok(performance.now() - started < 1000, 'before the keepalive would have sent a 200');
    });

    test(`Anthropic SDK, ${model}: a 429 in Anthropic's shape with retry-after`, async () => {
      const client = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0 });
      const err = await client.messages
        .create({ model, stream: true, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })
        .then(async (stream) => {
          for await (const _ of stream) {
            // a 200 stream: the failure this test is about
          }
          return undefined;
        })
        .catch((e: unknown) => e);
      assert.ok(err instanceof Anthropic.RateLimitError, `a RateLimitError, got ${String(err)}`);
      assert.equal(err.headers?.get('retry-after'), '3');
      assert.equal((err.error as { type?: string; error?: { type?: string } }).error?.type, 'rate_limit_error');
    });
  }

  test('the Responses, Cohere, Gemini and Bedrock fronts: 429 JSON with retry-after, not a stream', async () => {
    const bodies: Record<string, object> = {
      '/v1/responses': { model: 'busy-openai', stream: true, input: 'hi' },
      '/v2/chat': { model: 'busy-anthropic', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      '/v1beta/models/busy-openai:streamGenerateContent?alt=sse': { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
      '/model/busy-anthropic/converse-stream': { messages: [{ role: 'user', content: [{ text: 'hi' }] }] },
    };
    for (const [path, body] of Object.entries(bodies)) {
      const res = await fetch(`${sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 429, path);
      assert.equal(res.headers.get('retry-after'), '3', path);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/, path);
      await res.arrayBuffer();
    }
  });

  test('each target was called once per request: no retry was slept on', async () => {
    await until('a line per request', () => sluice.records().length >= 6);
    const requests = sluice.records().length;
    for (const target of ['m-oa', 'm-ob', 'm-aa', 'm-ab']) assert.ok(upstreamCalls(target) >= 1);
    const total = ['m-oa', 'm-ob', 'm-aa', 'm-ab'].reduce((n, m) => n + upstreamCalls(m), 0);
    // The first request of each model calls both targets; later ones find both cooling and may still
    // try the first target once (a first attempt ignores cool-downs), but never wait to retry.
    assert.ok(total <= 2 * requests, `${total} upstream calls for ${requests} requests`);
  });
});
