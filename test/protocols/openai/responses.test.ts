// Non-streaming: the OpenAI front's chat.completion rendering, and decoding an OpenAI-compatible
// upstream's chat.completion (think tags, reasoning fields, tool calls, error bodies).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import type { FrontContext } from '../../../src/core/protocol.ts';
import { openaiFront, openaiUpstream } from '../../../src/protocols/openai/index.ts';
import { ThinkTagSplitter } from '../../../src/protocols/openai/think-tags.ts';
import { decodeContext } from './helpers.ts';

const ctx: FrontContext = { requestId: 'r', model: 'fast', created: 1767225600, includeUsage: false, includeReasoning: false };

describe('OpenAI front: encodeResponse', () => {
  test('text, reasoning (opt-in), tool calls with signatures, finish and usage', () => {
    const resp = {
      id: 'msg_upstream',
      model: 'claude-x',
      blocks: [
        { kind: 'reasoning' as const, text: 'hmm' },
        { kind: 'text' as const, text: 'Checking ' },
        { kind: 'text' as const, text: 'now.' },
        { kind: 'tool-call' as const, id: 'toolu_1', name: 'f', arguments: '{"a":1}', signature: 'sig' },
      ],
      finishReason: 'tool-calls' as const,
      usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 4 },
    };
    const body = JSON.parse(openaiFront.encodeResponse(resp, { ...ctx, includeReasoning: true }));
    assert.match(body.id, /^chatcmpl-[A-Za-z0-9]{24}$/);
    assert.deepEqual({ ...body, id: 'X' }, {
      id: 'X',
      object: 'chat.completion',
      created: 1767225600,
      model: 'fast',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Checking now.',
            refusal: null,
            reasoning_content: 'hmm',
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' }, extra_content: { google: { thought_signature: 'sig' } } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
    });
    const hidden = JSON.parse(openaiFront.encodeResponse(resp, ctx));
    assert.ok(!('reasoning_content' in hidden.choices[0].message));
  });

  test('only tool calls: content null; "stop" with tool calls becomes tool_calls (Q-22); empty answer has content ""', () => {
    const calls = JSON.parse(
      openaiFront.encodeResponse({ blocks: [{ kind: 'tool-call', id: 'c', name: 'f', arguments: '{}' }], finishReason: 'stop' }, ctx),
    );
    assert.equal(calls.choices[0].message.content, null);
    assert.equal(calls.choices[0].finish_reason, 'tool_calls');
    assert.ok(!('usage' in calls));
    const empty = JSON.parse(openaiFront.encodeResponse({ blocks: [], finishReason: 'length' }, ctx));
    assert.equal(empty.choices[0].message.content, '');
    assert.equal(empty.choices[0].finish_reason, 'length');
  });

  test('every response gets a fresh id', () => {
    const a = JSON.parse(openaiFront.encodeResponse({ blocks: [], finishReason: 'stop' }, ctx)).id;
    const b = JSON.parse(openaiFront.encodeResponse({ blocks: [], finishReason: 'stop' }, ctx)).id;
    assert.notEqual(a, b);
  });
});

describe('OpenAI upstream: decodeResponse', () => {
  const completion = (message: Record<string, unknown>, finish = 'stop', extra: Record<string, unknown> = {}) => ({
    id: 'chatcmpl-up',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
    usage: { prompt_tokens: 52, completion_tokens: 9, total_tokens: 61, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 3 } },
    ...extra,
  });

  test('text answer with usage', () => {
    const resp = openaiUpstream.decodeResponse(completion({ content: 'It is 4 °C in Oslo.', refusal: null }), decodeContext());
    assert.deepEqual(resp, {
      id: 'chatcmpl-up',
      model: 'gpt-4.1',
      blocks: [{ kind: 'text', text: 'It is 4 °C in Oslo.' }],
      finishReason: 'stop',
      usage: { inputTokens: 52, outputTokens: 9, cacheReadTokens: 0, reasoningTokens: 3 },
    });
  });

  test('tool calls (id minted when missing, arguments objects serialised, signatures) and Q-22', () => {
    const resp = openaiUpstream.decodeResponse(
      completion({
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' }, extra_content: { google: { thought_signature: 's1' } } },
          { type: 'function', function: { name: 'g', arguments: { b: 2 } } },
        ],
      }),
      decodeContext(),
    );
    assert.equal(resp.finishReason, 'tool-calls');
    assert.deepEqual(resp.blocks[0], { kind: 'tool-call', id: 'call_1', name: 'f', arguments: '{"a":1}', signature: 's1' });
    const second = resp.blocks[1];
    assert.equal(second?.kind, 'tool-call');
    if (second?.kind === 'tool-call') {
      assert.match(second.id, /^call_/);
      assert.equal(second.arguments, '{"b":2}');
    }
  });

  test('reasoning_content / reasoning fields and <think> tags with the quirk', () => {
    const rc = openaiUpstream.decodeResponse(completion({ content: '9.9', reasoning_content: 'tenths' }), decodeContext());
    assert.deepEqual(rc.blocks, [{ kind: 'reasoning', text: 'tenths' }, { kind: 'text', text: '9.9' }]);
    const r = openaiUpstream.decodeResponse(completion({ content: '9.9', reasoning: 'tenths' }), decodeContext());
    assert.deepEqual(r.blocks, [{ kind: 'reasoning', text: 'tenths' }, { kind: 'text', text: '9.9' }]);
    const think = openaiUpstream.decodeResponse(completion({ content: '<think>\nhi?\n</think>\n\nHello' }), decodeContext({ inlineThinkTags: true }));
    assert.deepEqual(think.blocks, [{ kind: 'reasoning', text: '\nhi?\n' }, { kind: 'text', text: 'Hello' }]);
    const plain = openaiUpstream.decodeResponse(completion({ content: '<think>x</think>y' }), decodeContext());
    assert.deepEqual(plain.blocks, [{ kind: 'text', text: '<think>x</think>y' }]);
  });

  test('finish reasons and refusals', () => {
    assert.equal(openaiUpstream.decodeResponse(completion({ content: 'x' }, 'length'), decodeContext()).finishReason, 'length');
    const refused = openaiUpstream.decodeResponse(completion({ content: null, refusal: 'No.' }, 'content_filter'), decodeContext());
    assert.equal(refused.finishReason, 'content-filter');
    assert.deepEqual(refused.blocks, [{ kind: 'text', text: 'No.' }]);
  });

  test('error-shaped bodies and malformed bodies throw GatewayErrors', () => {
    assert.throws(
      () => openaiUpstream.decodeResponse({ error: { code: 429, message: 'Slow down' } }, decodeContext()),
      (e: unknown) => e instanceof GatewayError && e.code === 'upstream_rate_limited' && e.message === 'Slow down' && e.status === 429,
    );
    assert.throws(
      () => openaiUpstream.decodeResponse({ error: { message: 'boom', type: 'server_error' } }, decodeContext()),
      (e: unknown) => e instanceof GatewayError && e.code === 'upstream_error' && e.target === 'local',
    );
    assert.throws(
      () => openaiUpstream.decodeResponse(completion({ content: 'x' }, 'error'), decodeContext()),
      (e: unknown) => e instanceof GatewayError && e.code === 'upstream_error',
    );
    assert.throws(() => openaiUpstream.decodeResponse({ choices: [] }, decodeContext()), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_malformed');
    assert.throws(() => openaiUpstream.decodeResponse('text', decodeContext()), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_malformed');
  });
});

describe('<think> tag splitter', () => {
  const input = 'pre <think>\nreason <b> here\n</think>\n\nanswer <i>x</i> a<thin';
  const expected = { reasoning: '\nreason <b> here\n', text: 'pre answer <i>x</i> a<thin' };

  function run(pieces: string[]): { reasoning: string; text: string; calls: number } {
    let reasoning = '';
    let text = '';
    let calls = 0;
    const s = new ThinkTagSplitter({
      text: (t) => {
        assert.notEqual(t, '');
        text += t;
        calls++;
      },
      reasoning: (t) => {
        assert.notEqual(t, '');
        reasoning += t;
        calls++;
      },
    });
    for (const p of pieces) s.push(p);
    s.flush();
    return { reasoning, text, calls };
  }

  test('same result at every pair of split points', () => {
    for (let i = 0; i <= input.length; i++) {
      for (let j = i; j <= input.length; j++) {
        const { reasoning, text } = run([input.slice(0, i), input.slice(i, j), input.slice(j)]);
        assert.deepEqual({ reasoning, text }, expected, `split at ${i},${j}`);
      }
    }
  });

  test('one character at a time still streams (nothing is held beyond a possible tag)', () => {
    const { reasoning, text, calls } = run([...input]);
    assert.deepEqual({ reasoning, text }, expected);
    assert.ok(calls > input.length / 2);
  });
});
