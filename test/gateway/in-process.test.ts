// The whole gateway in-process (issue 11: the pipeline writes to an output interface, the transport
// takes an injected dispatcher, time is injected): no socket, no real timer. The upstream is an
// undici MockAgent or a dispatcher that never answers; the clock is a ManualClock.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MockAgent, Dispatcher } from 'undici';
import { parseConfig } from '../../src/config/index.ts';
import { createRouter } from '../../src/router/index.ts';
import { Pipeline, type RequestRecord } from '../../src/gateway/pipeline.ts';
import { ManualClock } from '../../src/gateway/clock.ts';
import type { FrontServices } from '../../src/core/protocol.ts';
import { memoryOutput } from '../helpers/memory-output.ts';

const CONFIG = `
providers:
  up: { type: openai, base_url: "http://upstream.test/v1", api_key: sk-up, timeouts: { first_byte: 5s, total: 60s } }
  backup: { type: anthropic, base_url: "http://backup.test", api_key: sk-backup }
models:
  m:
    strategy: fallback
    targets: [ { provider: up, model: gpt-x }, { provider: backup, model: claude-x } ]
retries: { attempts: 1, backoff: 250ms }
`;

const services: FrontServices = { modelNames: () => ['m'], log: () => {} };

function chunk(obj: unknown): string {
  return `data: ${JSON.stringify(obj)}\n\n`;
}

async function run(pipeline: Pipeline, body: unknown) {
  const chat = await pipeline.decode('openai', Buffer.from(JSON.stringify(body)), { headers: {}, params: {}, query: new URLSearchParams() }, services);
  const out = memoryOutput();
  const done = pipeline.serve(chat, pipeline.plan(chat), out, { requestId: 'r1', startedAt: 0, headers: {}, services });
  return { out, done };
}

describe('the gateway in-process', () => {
  test('a streamed answer through a MockAgent upstream, with the provider key added by its auth', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    let seenAuth: unknown;
    const sse =
      chunk({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' } }] }) +
      chunk({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'lo' }, finish_reason: 'stop' }] }) +
      chunk({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }) +
      'data: [DONE]\n\n';
    agent
      .get('http://upstream.test')
      .intercept({ path: '/v1/chat/completions', method: 'POST' })
      .reply(200, (opts) => {
        seenAuth = (opts.headers as Record<string, string>).authorization;
        return sse;
      }, { headers: { 'content-type': 'text/event-stream' } });
    const config = parseConfig(CONFIG, { env: {} });
    const pipeline = new Pipeline(config, createRouter(config), {}, { clock: new ManualClock(), dispatcher: agent });
    const { out, done } = await run(pipeline, { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const record = await done;
    assert.equal(record.status, 200);
    assert.equal(record.target, 'up/gpt-x');
    assert.equal(seenAuth, 'Bearer sk-up');
    assert.equal(out.headers['content-type'], 'text/event-stream; charset=utf-8');
    const text = out.body
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)).choices?.[0]?.delta?.content ?? '')
      .join('');
    assert.equal(text, 'Hello');
    assert.ok(out.body.endsWith('data: [DONE]\n\n'));
    await agent.close();
  });

  test('time is injected: a silent upstream times out on the manual clock, the retry waits on it, then the fallback answers', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('http://backup.test')
      .intercept({ path: '/v1/messages', method: 'POST' })
      .reply(
        200,
        JSON.stringify({
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-x',
          content: [{ type: 'text', text: 'from the backup' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 4, output_tokens: 3 },
        }),
        { headers: { 'content-type': 'application/json' } },
      );
    // The primary never answers: requests to it are held and only released by abort.
    const silent = new (class extends Dispatcher {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        if (options.origin?.toString().includes('upstream.test')) {
          handler.onRequestStart?.({ abort: () => {}, pause() {}, resume() {}, paused: false, aborted: false, reason: null, rawHeaders: null, rawTrailers: null } as unknown as Dispatcher.DispatchController, {});
          return true;
        }
        return agent.dispatch(options, handler);
      }
    })();
    const clock = new ManualClock();
    const config = parseConfig(CONFIG, { env: {} });
    const records: RequestRecord[] = [];
    const pipeline = new Pipeline(config, createRouter(config, { random: () => 0 }), { onRecord: (r) => records.push(r) }, { clock, dispatcher: silent });
    const { out, done } = await run(pipeline, { model: 'm', stream: false, messages: [{ role: 'user', content: 'hi' }] });
    // Nothing happens until the clock moves: the first_byte limit (5 s) is on the manual clock.
    for (let i = 0; i < 5 && !out.ended; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(5_000);
    }
    const record = await done;
    assert.equal(out.status, 200, out.body);
    assert.equal(JSON.parse(out.body).choices[0].message.content, 'from the backup');
    assert.equal(record.attempts, 2);
    assert.equal(record.failovers, 1);
    assert.equal(record.target, 'backup/claude-x');
    assert.equal(records.length, 1);
    await agent.close();
  });
});

describe('usage of an abandoned stream', () => {
  test("keeps the upstream's reported input count and estimates only the output", async () => {
    const events = [
      { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], usage: { input_tokens: 1234, output_tokens: 1 } } } },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
      { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a few words that were generated before the client left' } } },
    ];
    const sse = events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join('');
    // An upstream that sends the start of an answer and then keeps the stream open.
    let aborted = false;
    const held = new (class extends Dispatcher {
      override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        const controller = {
          abort: () => (aborted = true),
          pause() {},
          resume() {},
          paused: false,
          aborted: false,
          reason: null,
          rawHeaders: null,
          rawTrailers: null,
        } as unknown as Dispatcher.DispatchController;
        handler.onRequestStart?.(controller, {});
        handler.onResponseStart?.(controller, 200, { 'content-type': 'text/event-stream' }, 'OK');
        handler.onResponseData?.(controller, Buffer.from(sse));
        return true;
      }
    })();
    const config = parseConfig(
      'providers:\n  a: { type: anthropic, base_url: "http://a.test", api_key: k }\nmodels:\n  m: { targets: [ { provider: a, model: claude-x } ] }\n',
      { env: {} },
    );
    const pipeline = new Pipeline(config, createRouter(config), {}, { clock: new ManualClock(), dispatcher: held });
    const { out, done } = await run(pipeline, { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for (let i = 0; i < 10 && !out.body.includes('generated'); i++) await new Promise((r) => setImmediate(r));
    assert.match(out.body, /generated before/);
    out.hangUp();
    const record = await done;
    assert.equal(record.endReason, 'client_abort');
    assert.ok(aborted, 'the upstream request was aborted');
    assert.equal(record.usage?.inputTokens, 1234, 'the input count the upstream reported');
    assert.ok((record.usage?.outputTokens ?? 0) > 1, 'output raised to what was sent');
    assert.equal(record.usage?.estimated, true);
  });
});
