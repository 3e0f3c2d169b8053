// Slow and stalled upstreams of every type through the Anthropic front (SPEC §4.4): keepalive
// comments hold the connection before `message_start` without upsetting the official SDK, and a time
// limit that hits after the headers went out is an `event: error` the SDK raises, never JSON.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { within } from './translation-env.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let anthropic: Anthropic;
let openai: OpenAI;

const TIMEOUTS = '{ connect: 2s, first_byte: 700ms, idle: 500ms, total: 20s }';

before(async () => {
  mock = await startMock({ port: 0 });
  const m = mock.url;
  sluice = await startSluice({
    config: `
server: { keepalive: 100ms }
providers:
  oa: { type: openai, base_url: ${m}/v1, timeouts: ${TIMEOUTS} }
  an: { type: anthropic, base_url: ${m}, timeouts: ${TIMEOUTS} }
  ge: { type: gemini, base_url: ${m}, timeouts: ${TIMEOUTS} }
  think: { type: openai, base_url: ${m}/v1, timeouts: { connect: 2s, first_byte: 4s, idle: 300ms, total: 20s } }
models:
  m-think: { targets: [{ provider: think, model: gpt-x }] }
  m-oa: { targets: [{ provider: oa, model: gpt-x }] }
  m-an: { targets: [{ provider: an, model: claude-x }] }
  m-ge: { targets: [{ provider: ge, model: gemini-x }] }
retries: { attempts: 0 }
`,
  });
  anthropic = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  openai = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

const MODELS = ['m-oa', 'm-an', 'm-ge'] as const;

function errorType(err: InstanceType<typeof Anthropic.APIError>): string | undefined {
  return (err.error as { error?: { type?: string } } | undefined)?.error?.type;
}

describe('keepalive before the first token', () => {
  for (const model of MODELS) {
    test(`${model}: a 400 ms first token behind keepalive comments`, async () => {
      const res = await fetch(`${sluice.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x [[mock first=400 chunks=3]]' }] }),
      });
      const body = await within(5000, res.text());
      assert.equal(res.status, 200);
      assert.ok(body.startsWith(': keepalive'), `keepalive first: ${body.slice(0, 40)}`);
      assert.match(body, /event: message_stop/);

      const final = await within(5000, anthropic.messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: 'x [[mock first=400 chunks=3]]' }] }).finalMessage());
      assert.equal((final.content[0] as Anthropic.TextBlock).text, mockText(3).join(''));
    });
  }
});

test('a long-thinking model: headers at once, the first token after much longer than idle but within first_byte (SPEC §4.4)', async () => {
  // The mock sends its 200 and headers, then waits 1.2 s before the first event: idle (300 ms) does
  // not run before the first event, first_byte (4 s) does.
  const stream = await openai.chat.completions.create({ model: 'm-think', stream: true, messages: [{ role: 'user', content: 'x [[mock first=1200 chunks=3]]' }] });
  let text = '';
  await within(8000, (async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  })());
  assert.equal(text, mockText(3).join(''));
});

describe('a time limit after the headers were committed is an event: error', () => {
  // The upstream answered 200 and then went silent (or sent only keepalives): headers are not an
  // event, so first_byte (700ms) runs until the first one, SPEC §4.4, and its message says the
  // upstream answered; after events, idle (500ms). A stall before any response head is first_byte's.
  const cases: Array<[string, RegExp]> = [
    ['fault=stall_first', /first_byte limit.*answered/],
    ['fault=stall_mid after=6', /idle/],
    ['fault=keepalive_only every=50', /first_byte limit.*comments and pings do not count/],
    ['fault=stall_headers', /first_byte/],
  ];
  for (const model of MODELS) {
    for (const [directive, limit] of cases) {
      test(`${model}: ${directive}`, async () => {
        const started = Date.now();
        await within(
          5000,
          assert.rejects(
            anthropic.messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: `x [[mock ${directive}]]` }] }).finalMessage(),
            (err: unknown) => {
              assert.ok(err instanceof Anthropic.APIError, `APIError, got ${String(err)}`);
              assert.equal(errorType(err), 'timeout_error');
              assert.match(err.message, limit);
              return true;
            },
          ),
        );
        assert.ok(Date.now() - started < 3000);
      });
    }

    test(`${model}: OpenAI front, fault=stall_mid after=6`, async () => {
      await within(
        5000,
        assert.rejects(
          (async () => {
            const stream = await openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[mock fault=stall_mid after=6]]' }] });
            for await (const _ of stream);
          })(),
          (err: unknown) => err instanceof OpenAI.APIError && /idle/.test(err.message),
        ),
      );
    });
  }

  test('m-an: a non-streaming client of a stalled upstream gets 504 timeout_error', async () => {
    await within(
      5000,
      assert.rejects(anthropic.messages.create({ model: 'm-an', max_tokens: 50, messages: [{ role: 'user', content: 'x [[mock fault=stall_headers]]' }] }), (err: unknown) => {
        assert.ok(err instanceof Anthropic.APIError);
        assert.equal(err.status, 504);
        assert.equal(errorType(err), 'timeout_error');
        return true;
      }),
    );
  });
});
