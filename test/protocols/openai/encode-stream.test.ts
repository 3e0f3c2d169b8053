// The OpenAI front's stream encoder against SPEC §4.1 and openai-chat.md §9, and against the real
// openai-node stream parser (ChatCompletionStream, fed through a custom fetch: no network).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { StreamEvent } from '../../../src/core/events.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import type { FrontContext } from '../../../src/core/protocol.ts';
import { openaiFront } from '../../../src/protocols/openai/index.ts';
import { normalize, replay, sseData } from './helpers.ts';

function context(overrides: Partial<FrontContext> = {}): FrontContext {
  return { requestId: 'req-1', model: 'claude-sonnet-4-5', created: 1767225600, includeUsage: true, includeReasoning: false, ...overrides };
}

/** Runs events through the encoder; returns every write (one per SSE event) and the parsed payloads. */
function encode(events: StreamEvent[], ctx: FrontContext = context()): { writes: string[]; data: string[]; json: any[] } {
  const writes: string[] = [];
  const push = openaiFront.createStreamEncoder(ctx, { write: (s) => writes.push(s) });
  for (const ev of events) push(ev);
  for (const w of writes) assert.equal(sseData(w).length, 1, `one SSE event per write: ${w}`);
  const data = sseData(writes.join(''));
  return { writes, data, json: data.map((d) => (d === '[DONE]' ? d : JSON.parse(d))) };
}

const textAnswer: StreamEvent[] = [
  { type: 'message-start' },
  { type: 'block-start', index: 0, block: { kind: 'text' } },
  { type: 'text-delta', index: 0, text: 'It is' },
  { type: 'text-delta', index: 0, text: ' 4 °C "here".' },
  { type: 'block-end', index: 0 },
  { type: 'usage', usage: { inputTokens: 10, outputTokens: 2 } },
  { type: 'finish', reason: 'stop' },
  { type: 'usage', usage: { inputTokens: 52, outputTokens: 6, cacheReadTokens: 32, reasoningTokens: 0 } },
  { type: 'done' },
];

describe('OpenAI front stream encoder', () => {
  test('text answer with include_usage: role chunk, deltas, finish chunk, usage chunk, [DONE]', () => {
    const { data, json } = encode(textAnswer);
    assert.equal(data.length, 6);
    const id = json[0].id;
    assert.match(id, /^chatcmpl-[A-Za-z0-9]{24}$/);
    for (const chunk of json.slice(0, 5)) {
      assert.equal(chunk.id, id);
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.created, 1767225600);
      assert.equal(chunk.model, 'claude-sonnet-4-5');
    }
    assert.deepEqual(json[0].choices, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    assert.equal(json[0].usage, null);
    assert.deepEqual(json[1].choices[0].delta, { content: 'It is' });
    assert.deepEqual(json[2].choices[0].delta, { content: ' 4 °C "here".' });
    assert.deepEqual(json[3].choices, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
    assert.equal(json[3].usage, null);
    // The last usage reported wins (cumulative, Q-26).
    assert.deepEqual(json[4].choices, []);
    assert.deepEqual(json[4].usage, {
      prompt_tokens: 52,
      completion_tokens: 6,
      total_tokens: 58,
      prompt_tokens_details: { cached_tokens: 32 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    assert.equal(data[5], '[DONE]');
  });

  test('without include_usage: no usage key on any chunk and no usage chunk, still [DONE]', () => {
    const { data, json } = encode(textAnswer, context({ includeUsage: false }));
    assert.equal(data.length, 5);
    for (const chunk of json.slice(0, 4)) {
      assert.ok(!('usage' in chunk));
      assert.equal(chunk.choices.length, 1);
    }
    assert.equal(data[4], '[DONE]');
  });

  test('worked example of translation.md §11 (text then tool call from an Anthropic upstream)', () => {
    const events = normalize([
      { type: 'message-start', usage: { inputTokens: 1436, outputTokens: 2 } },
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: 'Checking the' },
      { type: 'text-delta', index: 0, text: ' forecast.' },
      { type: 'block-end', index: 0 },
      { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'toolu_01Fq2', name: 'get_forecast' } },
      { type: 'tool-args-delta', index: 1, json: '' },
      { type: 'tool-args-delta', index: 1, json: '{"city": "Oslo"' },
      { type: 'tool-args-delta', index: 1, json: ', "days": 3}' },
      { type: 'block-end', index: 1 },
      { type: 'usage', usage: { inputTokens: 1436, outputTokens: 58, cacheReadTokens: 1024, reasoningTokens: 0 } },
      { type: 'finish', reason: 'tool-calls' },
      { type: 'done' },
    ]);
    const { data, json } = encode(events);
    const id = json[0].id;
    const C = `"id":"${id}","object":"chat.completion.chunk","created":1767225600,"model":"claude-sonnet-4-5"`;
    assert.deepEqual(data, [
      `{${C},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}`,
      `{${C},"choices":[{"index":0,"delta":{"content":"Checking the"},"logprobs":null,"finish_reason":null}],"usage":null}`,
      `{${C},"choices":[{"index":0,"delta":{"content":" forecast."},"logprobs":null,"finish_reason":null}],"usage":null}`,
      `{${C},"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"toolu_01Fq2","type":"function","function":{"name":"get_forecast","arguments":""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
      `{${C},"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\": \\"Oslo\\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
      `{${C},"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":", \\"days\\": 3}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
      `{${C},"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}`,
      `{${C},"choices":[],"usage":{"prompt_tokens":1436,"completion_tokens":58,"total_tokens":1494,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":0}}}`,
      '[DONE]',
    ]);
  });

  test('a tool call first: the role chunk carries it with content null; tool index counts tool calls only; signatures ride in extra_content', () => {
    const { json } = encode(
      [
        { type: 'message-start' },
        { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
        { type: 'reasoning-delta', index: 0, text: 'hidden' },
        { type: 'block-end', index: 0 },
        { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'call_1', name: 'a', signature: 'sig==' } },
        { type: 'tool-args-delta', index: 1, json: '{}' },
        { type: 'block-end', index: 1 },
        { type: 'block-start', index: 2, block: { kind: 'tool-call', id: 'call_2', name: 'b' } },
        { type: 'tool-args-delta', index: 2, json: '{"x":' },
        { type: 'tool-args-delta', index: 2, json: '1}' },
        { type: 'block-end', index: 2 },
        { type: 'finish', reason: 'tool-calls' },
        { type: 'done' },
      ],
      context({ includeUsage: false }),
    );
    assert.deepEqual(
      json.slice(0, -1).map((c: any) => c.choices[0].delta),
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'a', arguments: '' }, extra_content: { google: { thought_signature: 'sig==' } } }],
        },
        { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
        { tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'b', arguments: '' } }] },
        { tool_calls: [{ index: 1, function: { arguments: '{"x":' } }] },
        { tool_calls: [{ index: 1, function: { arguments: '1}' } }] },
        {},
      ],
    );
    assert.equal(json[5].choices[0].finish_reason, 'tool_calls');
  });

  test('reasoning is sent as reasoning_content only when the client opted in', () => {
    const events: StreamEvent[] = [
      { type: 'message-start' },
      { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
      { type: 'reasoning-delta', index: 0, text: 'Compare tenths.' },
      { type: 'signature-delta', index: 0, signature: 'EqQB' },
      { type: 'block-end', index: 0 },
      { type: 'block-start', index: 1, block: { kind: 'text' } },
      { type: 'text-delta', index: 1, text: '9.9' },
      { type: 'block-end', index: 1 },
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ];
    const shown = encode(events, context({ includeReasoning: true, includeUsage: false })).json;
    assert.deepEqual(
      shown.slice(0, -1).map((c: any) => c.choices[0].delta),
      [{ role: 'assistant', content: '' }, { reasoning_content: 'Compare tenths.' }, { content: '9.9' }, {}],
    );
    const hidden = encode(events, context({ includeReasoning: false, includeUsage: false })).json;
    assert.deepEqual(
      hidden.slice(0, -1).map((c: any) => c.choices[0].delta),
      [{ role: 'assistant', content: '' }, { content: '9.9' }, {}],
    );
  });

  test('finish reasons map per finish-reason.ts', () => {
    const cases: Array<[StreamEvent & { type: 'finish' }, string]> = [
      [{ type: 'finish', reason: 'stop' }, 'stop'],
      [{ type: 'finish', reason: 'stop-sequence' }, 'stop'],
      [{ type: 'finish', reason: 'pause' }, 'stop'],
      [{ type: 'finish', reason: 'length' }, 'length'],
      [{ type: 'finish', reason: 'context-exceeded' }, 'length'],
      [{ type: 'finish', reason: 'tool-calls' }, 'tool_calls'],
      [{ type: 'finish', reason: 'content-filter' }, 'content_filter'],
      [{ type: 'finish', reason: 'refusal' }, 'content_filter'],
    ];
    for (const [finish, wire] of cases) {
      const { json } = encode([{ type: 'message-start' }, finish, { type: 'done' }], context({ includeUsage: false }));
      // An empty answer still gets the role chunk first.
      assert.deepEqual(json[0].choices[0].delta, { role: 'assistant', content: '' });
      assert.equal(json[1].choices[0].finish_reason, wire, finish.reason);
    }
  });

  test('an error after content: one error event, no [DONE], nothing afterwards', () => {
    const err = new GatewayError('upstream_overloaded', 'Overloaded (provider anthropic)');
    const { data, json } = encode([
      { type: 'message-start' },
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: 'Partial' },
      { type: 'error', error: err },
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ]);
    assert.equal(data.length, 3);
    assert.deepEqual(json[2], { error: { message: 'Overloaded (provider anthropic)', type: 'server_error', code: 'overloaded' } });
    assert.ok(!data.includes('[DONE]'));
  });

  test('usage is omitted when include_usage is set but no usage was ever reported', () => {
    const { data } = encode([{ type: 'message-start' }, { type: 'finish', reason: 'stop' }, { type: 'done' }]);
    assert.equal(data.length, 3);
    assert.equal(data[2], '[DONE]');
  });

  test('text is escaped by JSON rules: newlines, quotes, U+2028 and lone surrogates never break the framing', () => {
    const nasty = 'a\nb\r\nc "q" \\ \u2028 \ud800 </script>';
    const { json } = encode(
      [
        { type: 'message-start' },
        { type: 'block-start', index: 0, block: { kind: 'text' } },
        { type: 'text-delta', index: 0, text: nasty },
        { type: 'finish', reason: 'stop' },
        { type: 'done' },
      ],
      context({ includeUsage: false }),
    );
    assert.equal(json[1].choices[0].delta.content, nasty);
  });
});

describe('OpenAI front stream encoder read by openai-node (ChatCompletionStream)', () => {
  /** An OpenAI client whose fetch answers with `body` as SSE: the SDK's own parser and accumulator run. */
  function clientFor(body: string): OpenAI {
    return new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://127.0.0.1:9/v1',
      maxRetries: 0,
      fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    });
  }

  async function finalCompletion(body: string) {
    const stream = clientFor(body).chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } });
    return stream.finalChatCompletion();
  }

  test('upstream fixtures re-encoded for the OpenAI front satisfy the SDK accumulator', async () => {
    const cases: Array<[string, Record<string, boolean>, (c: any) => void]> = [
      ['openai-text-usage.sse', {}, (c) => {
        assert.equal(c.choices[0].message.content, 'It is 4 °C.');
        assert.equal(c.usage.total_tokens, 58);
      }],
      ['openai-parallel-tool-calls.sse', {}, (c) => {
        const calls = c.choices[0].message.tool_calls;
        assert.deepEqual(calls.map((t: any) => [t.id, t.function.name, JSON.parse(t.function.arguments).city]), [
          ['call_oslo', 'get_forecast', 'Oslo'],
          ['call_bergen', 'get_forecast', 'Bergen'],
        ]);
        assert.equal(c.choices[0].finish_reason, 'tool_calls');
      }],
      ['ollama-whole-tool-call.sse', {}, (c) => {
        assert.equal(c.choices[0].message.content, null);
        assert.equal(c.choices[0].finish_reason, 'tool_calls');
        assert.deepEqual(JSON.parse(c.choices[0].message.tool_calls[0].function.arguments), { city: 'Oslo', days: 3 });
      }],
      ['minimax-think-tags.sse', { inlineThinkTags: true }, (c) => {
        assert.equal(c.choices[0].message.content, 'Hello <b>there</b> 1<2');
        assert.equal(c.usage.completion_tokens, 21);
      }],
    ];
    for (const [name, quirks, check] of cases) {
      const { writes } = encode(normalize(replay(name, quirks)));
      check(await finalCompletion(writes.join('')));
    }
  });

  test('a mid-stream error reaches the SDK as an APIError', async () => {
    const { writes } = encode(normalize(replay('openai-midstream-error.sse')));
    await assert.rejects(finalCompletion(writes.join('')), (e: unknown) => {
      assert.ok(e instanceof OpenAI.APIError);
      assert.match(String((e as Error).message), /Sorry about that/);
      return true;
    });
  });
});
