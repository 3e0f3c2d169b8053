// Issue 3 acceptance, failures across dialects: errors from every upstream type reach an Anthropic
// client with the right status and error.type (before the commit point) or as an `event: error` the
// SDK raises (after it); an upstream's JSON body under text/event-stream (Azure AI Foundry, Q-2) is a
// correct stream for both fronts; a client abort reaches the upstream within 1 s.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { MOCK_TOOL_ARGS, mockText } from '../../src/mock/server.ts';
import { startSluice, readSse, type SluiceProcess } from '../helpers/sluice.ts';
import { ALL_MOCK, FORECAST_SCHEMA, NATIVE, recordFor, startTranslationEnv, uniqueTag, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let anthropic: Anthropic;
let openai: OpenAI;

before(async () => {
  env = await startTranslationEnv();
  anthropic = new Anthropic({ baseURL: env.sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  openai = new OpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

const TEXT12 = mockText(12).join('');
const TOOLS: Anthropic.Tool[] = [{ name: 'get_forecast', input_schema: FORECAST_SCHEMA as unknown as Anthropic.Tool.InputSchema }];

/** The Anthropic error body the SDK kept on an APIError. */
function errorType(err: InstanceType<typeof Anthropic.APIError>): string | undefined {
  return (err.error as { error?: { type?: string } } | undefined)?.error?.type;
}

describe('errors before the commit point reach an Anthropic client in its dialect', () => {
  const cases: Array<[number, number, string]> = [
    [429, 429, 'rate_limit_error'],
    [500, 502, 'api_error'],
    [503, 529, 'overloaded_error'],
    [529, 529, 'overloaded_error'],
    [400, 400, 'invalid_request_error'],
    [401, 401, 'authentication_error'],
    [404, 404, 'not_found_error'],
  ];
  for (const model of NATIVE) {
    for (const [upstream, status, type] of cases) {
      for (const streaming of [true, false]) {
        test(`${model}: upstream ${upstream} -> ${status} ${type} (${streaming ? 'stream' : 'create'})`, async () => {
          const params = { model, max_tokens: 50, messages: [{ role: 'user' as const, content: `x [[mock fault=status status=${upstream} retry_after=7]]` }] };
          const call = streaming ? anthropic.messages.stream(params).finalMessage() : anthropic.messages.create(params);
          await within(
            8000,
            assert.rejects(call, (err: unknown) => {
              assert.ok(err instanceof Anthropic.APIError, `APIError, got ${String(err)}`);
              assert.equal(err.status, status);
              assert.equal(errorType(err), type);
              assert.match(err.message, new RegExp(model.slice(2)), 'names the provider');
              if (status === 429) assert.equal(err.headers?.get('retry-after'), '7');
              return true;
            }),
          );
        });
      }
    }
  }
});

describe('errors after the commit point are an event: error the Anthropic SDK raises', () => {
  // after=6: past the first text delta in every dialect (Anthropic's message_start, block start and
  // ping come first), so the error really is after the commit point.
  const cases: Array<[string, string]> = [
    ['fault=error_mid after=6', 'overloaded_error'],
    ['fault=drop_mid after=6', 'api_error'],
    ['fault=truncate after=6', 'api_error'],
  ];
  for (const model of NATIVE) {
    for (const [directive, type] of cases) {
      // An OpenAI upstream's mid-stream error is a generic server_error: api_error, not overloaded.
      const expected = model === 'm-oa' && directive.startsWith('fault=error_mid') ? 'api_error' : type;
      test(`${model}: ${directive} -> ${expected}`, async () => {
        const stream = anthropic.messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: `x [[mock chunks=12 ${directive}]]` }] });
        let text = '';
        stream.on('text', (t) => {
          text += t;
        });
        await within(
          8000,
          assert.rejects(stream.finalMessage(), (err: unknown) => {
            assert.ok(err instanceof Anthropic.APIError, `APIError (not a parse error), got ${String(err)}`);
            assert.equal(errorType(err), expected);
            return true;
          }),
        );
        assert.ok(text.length > 0 && TEXT12.startsWith(text), `the text before the error arrived: ${JSON.stringify(text)}`);
      });
    }
  }

  test('raw wire: the error event is last, the open text block was stopped, no message_stop', async () => {
    const res = await fetch(`${env.sluice.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'x' },
      body: JSON.stringify({ model: 'm-ge', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x [[mock fault=error_mid after=3]]' }] }),
    });
    const events = await readSse(res);
    assert.equal(events.at(-1)!.event, 'error');
    assert.deepEqual(JSON.parse(events.at(-1)!.data).error.type, 'overloaded_error');
    assert.ok(!events.some((e) => e.event === 'message_stop'));
    const starts = events.filter((e) => e.event === 'content_block_start').length;
    const stops = events.filter((e) => e.event === 'content_block_stop').length;
    assert.equal(starts, stops);
  });
});

describe('JSON under text/event-stream (Q-2, Azure AI Foundry)', () => {
  for (const model of NATIVE) {
    test(`${model}: Anthropic front gets a proper stream`, async () => {
      const stream = anthropic.messages.stream({ model, max_tokens: 300, tools: TOOLS, messages: [{ role: 'user', content: 'x [[mock fault=json_sse tool=1 chunks=12]]' }] });
      let text = '';
      stream.on('text', (t) => {
        text += t;
      });
      const final = await within(8000, stream.finalMessage());
      assert.equal(text, TEXT12);
      assert.equal(final.stop_reason, 'tool_use');
      const call = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      assert.deepEqual(call?.input, MOCK_TOOL_ARGS);
      assert.ok(final.usage.output_tokens > 0);
    });

    test(`${model}: OpenAI front gets a proper stream`, async () => {
      const stream = openai.chat.completions.stream({
        model,
        messages: [{ role: 'user', content: 'x [[mock fault=json_sse tool=1 chunks=12]]' }],
        tools: [{ type: 'function', function: { name: 'get_forecast', parameters: FORECAST_SCHEMA as unknown as OpenAI.FunctionParameters } }],
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const c of stream) {
        text += c.choices[0]?.delta.content ?? '';
        if (c.usage) usage = c.usage;
      }
      const final = await within(8000, stream.finalChatCompletion());
      assert.equal(text, TEXT12);
      assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
      const call = final.choices[0]!.message.tool_calls![0]!;
      assert.ok(call.type === 'function');
      assert.deepEqual(JSON.parse(call.function.arguments), MOCK_TOOL_ARGS);
      assert.ok(usage && usage.completion_tokens > 0);
    });
  }
});

describe('JSON under text/event-stream followed by data: [DONE] (Q-2, 9router)', () => {
  for (const model of NATIVE) {
    test(`${model}: both fronts get the answer`, async () => {
      const content = 'x [[mock fault=json_sse,done_after_stop chunks=12]]';
      const msg = await within(8000, anthropic.messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content }] }).finalMessage());
      assert.equal((msg.content[0] as Anthropic.TextBlock).text, TEXT12);
      const final = await within(8000, openai.chat.completions.stream({ model, messages: [{ role: 'user', content }] }).finalChatCompletion());
      assert.equal(final.choices[0]!.message.content, TEXT12);
    });
  }
});

describe('a client abort reaches the upstream within 1 s', () => {
  for (const model of ALL_MOCK) {
    const simulated = model.endsWith('-sim');
    test(`${model}: /v1/messages stream aborted ${simulated ? 'while the upstream computes' : 'mid-stream'}`, async () => {
      const tag = uniqueTag(`abort-${model}`);
      const stream = anthropic.messages.stream({ model, max_tokens: 50, messages: [{ role: 'user', content: `${tag} [[mock chunks=400 delay=20]]` }] });
      // The SDK raises an unhandled rejection for an abort nobody listens to.
      stream.on('abort', () => {});
      if (simulated) {
        // A simulated stream has nothing to show before the upstream's whole answer: abort while waiting.
        await recordFor(env.mock, tag);
        await new Promise((r) => setTimeout(r, 100));
      } else {
        await within(5000, new Promise<void>((r) => stream.once('text', () => r())), 'first text');
      }
      const abortedAt = Date.now();
      stream.abort();
      const rec = await within(2000, env.mock.waitFor((r) => JSON.stringify(r.body ?? '').includes(tag) && r.closedAt !== undefined, 2000));
      assert.ok(rec.closedAt! - abortedAt < 1000, `upstream closed ${rec.closedAt! - abortedAt} ms after the abort`);
      assert.equal(rec.outcome, 'client_closed');
    });
  }

  test('m-an: /v1/chat/completions stream aborted mid-stream', async () => {
    const tag = uniqueTag('abort-openai-front');
    const controller = new AbortController();
    const stream = await openai.chat.completions.create(
      { model: 'm-an', stream: true, messages: [{ role: 'user', content: `${tag} [[mock chunks=400 delay=20]]` }] },
      { signal: controller.signal },
    );
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    const abortedAt = Date.now();
    controller.abort();
    const rec = await within(2000, env.mock.waitFor((r) => JSON.stringify(r.body ?? '').includes(tag) && r.closedAt !== undefined, 2000));
    assert.ok(rec.closedAt! - abortedAt < 1000);
  });
});

describe('a JSON body under text/event-stream is streamed as soon as it is complete', () => {
  // An upstream that sends the whole JSON answer, then keeps the connection open (a proxy that does
  // not close, a slow trailer): the client must not wait for the connection to end.
  let upstream: Server;
  let sluice: SluiceProcess;
  const open = new Set<ServerResponse>();
  before(async () => {
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          JSON.stringify({
            id: 'msg_held',
            type: 'message',
            role: 'assistant',
            model: 'claude-x',
            content: [{ type: 'text', text: 'held open' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 3, output_tokens: 2 },
          }),
        );
        open.add(res);
        setTimeout(() => res.end(), 4000).unref();
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    sluice = await startSluice({
      config: `
providers:
  held: { type: anthropic, base_url: http://127.0.0.1:${port} }
models:
  held: { targets: [{ provider: held, model: claude-x }] }
retries: { attempts: 0 }
`,
    });
  });
  after(async () => {
    await sluice?.stop();
    for (const r of open) r.destroy();
    upstream?.closeAllConnections();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  test('Anthropic front: the whole message within 1.5 s although the upstream holds the connection for 4 s', async () => {
    const client = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
    const started = Date.now();
    const final = await within(3000, client.messages.stream({ model: 'held', max_tokens: 20, messages: [{ role: 'user', content: 'x' }] }).finalMessage());
    assert.equal((final.content[0] as Anthropic.TextBlock).text, 'held open');
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });

  test('OpenAI front: the whole answer within 1.5 s although the upstream holds the connection for 4 s', async () => {
    const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
    const started = Date.now();
    const final = await within(3000, client.chat.completions.stream({ model: 'held', messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion());
    assert.equal(final.choices[0]!.message.content, 'held open');
    assert.equal(final.choices[0]!.finish_reason, 'stop');
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
  });
});
