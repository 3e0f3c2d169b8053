import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import type { StreamEvent } from '../../../src/core/events.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import { encode, encodedEvents, replay, sdkViolation } from './helpers.ts';

const usage = { inputTokens: 1436, outputTokens: 58, cacheReadTokens: 1024, cacheWriteTokens: 12 };

const textStream: StreamEvent[] = [
  { type: 'message-start', id: 'chatcmpl-upstream', model: 'gpt-x' },
  { type: 'block-start', index: 0, block: { kind: 'text' } },
  { type: 'text-delta', index: 0, text: 'Hello "quoted"\n' },
  { type: 'text-delta', index: 0, text: 'world' },
  { type: 'block-end', index: 0 },
  { type: 'finish', reason: 'stop' },
  { type: 'usage', usage },
  { type: 'done' },
];

const toolStream: StreamEvent[] = [
  { type: 'message-start' },
  { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
  { type: 'reasoning-delta', index: 0, text: 'thinking…' },
  { type: 'signature-delta', index: 0, signature: 'sig-anthropic' },
  { type: 'block-end', index: 0 },
  { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'call.1:x', name: 'get_forecast', signature: 'gem-sig' } },
  { type: 'tool-args-delta', index: 1, json: '{"city":' },
  { type: 'tool-args-delta', index: 1, json: '"Oslo"}' },
  { type: 'block-end', index: 1 },
  { type: 'block-start', index: 2, block: { kind: 'tool-call', id: 'toolu_2', name: 'get_time' } },
  { type: 'tool-args-delta', index: 2, json: '{}' },
  { type: 'finish', reason: 'tool-calls' },
  { type: 'done' },
];

describe('anthropic front stream encoder', () => {
  test('text: exact event sequence, own msg_ id, the client model, event name == data.type', () => {
    const out = encodedEvents(textStream, 'my-model');
    assert.equal(sdkViolation(out), undefined);
    assert.deepEqual(
      out.map((e) => e.event),
      ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    const msg = out[0].data.message;
    assert.match(msg.id, /^msg_[0-9A-Za-z]{24}$/);
    assert.deepEqual({ ...msg, id: 'X' }, {
      id: 'X',
      type: 'message',
      role: 'assistant',
      model: 'my-model',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 },
    });
    assert.deepEqual(out[1].data, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    assert.deepEqual(out[2].data, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello "quoted"\n' } });
    assert.deepEqual(out[4].data, { type: 'content_block_stop', index: 0 });
    // Usage after finish still lands in message_delta; input_tokens is the uncached remainder.
    assert.deepEqual(out[5].data, {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 400, cache_creation_input_tokens: 12, cache_read_input_tokens: 1024, output_tokens: 58 },
    });
    assert.deepEqual(out[6].data, { type: 'message_stop' });
  });

  test('raw text: every event is `event: X\\ndata: {...}\\n\\n`, never [DONE]', () => {
    const text = encode(textStream);
    assert.ok(!text.includes('[DONE]'));
    for (const chunk of text.split('\n\n').filter((c) => c !== '')) {
      assert.match(chunk, /^event: [a-z_]+\ndata: \{.*\}$/);
    }
  });

  test('message_start carries input usage when the upstream reported it at the start', () => {
    const out = encodedEvents([{ type: 'message-start', usage: { inputTokens: 100, outputTokens: 1, cacheReadTokens: 40 } }, { type: 'done' }]);
    assert.deepEqual(out[0].data.message.usage, { input_tokens: 60, cache_creation_input_tokens: 0, cache_read_input_tokens: 40, output_tokens: 1 });
    // No usage later: message_delta repeats the start numbers rather than zeroing them.
    assert.equal(out[1].data.usage.input_tokens, 60);
  });

  test('reasoning, signed tool calls and sanitised ids; synthetic thinking block shifts indices', () => {
    const out = encodedEvents(toolStream);
    assert.equal(sdkViolation(out), undefined);
    const blocks: Array<[number, Record<string, any>]> = out
      .filter((e) => e.event === 'content_block_start')
      .map((e) => [e.data.index, e.data.content_block]);
    assert.deepEqual(blocks, [
      [0, { type: 'thinking', thinking: '', signature: '' }],
      [1, { type: 'thinking', thinking: '', signature: '' }],
      [2, { type: 'tool_use', id: 'call_1_x_' + blocks[2][1].id.slice(-8), name: 'get_forecast', input: {} }],
      [3, { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} }],
    ]);
    assert.match(blocks[2][1].id, /^[a-zA-Z0-9_-]+$/);
    const deltas = out.filter((e) => e.event === 'content_block_delta').map((e) => [e.data.index, e.data.delta]);
    assert.deepEqual(deltas, [
      [0, { type: 'thinking_delta', thinking: 'thinking…' }],
      [0, { type: 'signature_delta', signature: 'sig-anthropic' }],
      [1, { type: 'signature_delta', signature: 'gemini:gem-sig' }],
      [2, { type: 'input_json_delta', partial_json: '{"city":' }],
      [2, { type: 'input_json_delta', partial_json: '"Oslo"}' }],
      [3, { type: 'input_json_delta', partial_json: '{}' }],
    ]);
    const delta = out.find((e) => e.event === 'message_delta');
    assert.equal(delta?.data.delta.stop_reason, 'tool_use');
  });

  test('redacted reasoning block start carries its data', () => {
    const out = encodedEvents([
      { type: 'message-start' },
      { type: 'block-start', index: 0, block: { kind: 'redacted-reasoning', data: 'opaque==' } },
      { type: 'block-end', index: 0 },
      { type: 'done' },
    ]);
    assert.deepEqual(out[1].data.content_block, { type: 'redacted_thinking', data: 'opaque==' });
  });

  test('finish reasons map to stop_reason (translation.md §6) with stop_sequence', () => {
    const cases: Array<[StreamEvent & { type: 'finish' }, string, string | null]> = [
      [{ type: 'finish', reason: 'stop' }, 'end_turn', null],
      [{ type: 'finish', reason: 'stop-sequence', stopSequence: '###' }, 'stop_sequence', '###'],
      [{ type: 'finish', reason: 'length' }, 'max_tokens', null],
      [{ type: 'finish', reason: 'context-exceeded' }, 'model_context_window_exceeded', null],
      [{ type: 'finish', reason: 'tool-calls' }, 'tool_use', null],
      [{ type: 'finish', reason: 'content-filter' }, 'refusal', null],
      [{ type: 'finish', reason: 'refusal' }, 'refusal', null],
      [{ type: 'finish', reason: 'pause' }, 'pause_turn', null],
    ];
    for (const [finish, stopReason, stopSequence] of cases) {
      const out = encodedEvents([{ type: 'message-start' }, finish, { type: 'done' }]);
      assert.deepEqual(out[1].data.delta, { stop_reason: stopReason, stop_sequence: stopSequence }, finish.reason);
    }
  });

  test('error mid-block: the open block is stopped, then event: error, then nothing', () => {
    const out = encodedEvents([
      { type: 'message-start' },
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: 'partial' },
      { type: 'error', error: new GatewayError('upstream_overloaded', 'Overloaded') },
      { type: 'text-delta', index: 0, text: 'late' },
      { type: 'done' },
    ]);
    assert.equal(sdkViolation(out), undefined);
    assert.deepEqual(out.map((e) => e.event), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'error']);
    assert.deepEqual(out[4].data, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  test('error types by kind: truncated -> api_error, timeout -> timeout_error, rate limit -> rate_limit_error', () => {
    const typeFor = (err: GatewayError): string => encodedEvents([{ type: 'message-start' }, { type: 'error', error: err }]).at(-1)!.data.error.type;
    assert.equal(typeFor(new GatewayError('stream_truncated', 'cut')), 'api_error');
    assert.equal(typeFor(new GatewayError('idle_timeout', 'slow')), 'timeout_error');
    assert.equal(typeFor(new GatewayError('upstream_rate_limited', 'slow down')), 'rate_limit_error');
  });

  test('the official SDK MessageStream accumulates the output (text, thinking, tool input)', async () => {
    const sse = encode(toolStream.slice(0, -2).concat([{ type: 'block-end', index: 2 }, { type: 'usage', usage }, { type: 'finish', reason: 'tool-calls' }, { type: 'done' }]));
    const client = new Anthropic({
      apiKey: 'test',
      baseURL: 'http://127.0.0.1:9',
      maxRetries: 0,
      fetch: async () => new Response(sse, { headers: { 'content-type': 'text/event-stream' } }),
    });
    const stream = client.messages.stream({ model: 'claude-sonnet', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    const msg = await stream.finalMessage();
    assert.equal(msg.stop_reason, 'tool_use');
    assert.equal(msg.usage.output_tokens, 58);
    assert.equal(msg.usage.input_tokens, 400);
    assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'thinking', 'tool_use', 'tool_use']);
    assert.deepEqual((msg.content[2] as { input: unknown }).input, { city: 'Oslo' });
    assert.equal((msg.content[1] as { signature: string }).signature, 'gemini:gem-sig');
  });

  test('the official SDK surfaces a mid-stream error event as an APIError', async () => {
    const sse = encode([
      { type: 'message-start' },
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: 'x' },
      { type: 'error', error: new GatewayError('upstream_overloaded', 'Overloaded') },
    ]);
    const client = new Anthropic({
      apiKey: 'test',
      baseURL: 'http://127.0.0.1:9',
      maxRetries: 0,
      fetch: async () => new Response(sse, { headers: { 'content-type': 'text/event-stream' } }),
    });
    const stream = client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    await assert.rejects(stream.finalMessage(), (err: Error) => /Overloaded/.test(err.message));
  });

  test('Anthropic upstream fixture through decoder + encoder is read back by the SDK', async () => {
    const sse = encode(replay('thinking-signature-text.sse'));
    const client = new Anthropic({
      apiKey: 'test',
      baseURL: 'http://127.0.0.1:9',
      maxRetries: 0,
      fetch: async () => new Response(sse, { headers: { 'content-type': 'text/event-stream' } }),
    });
    const msg = await client.messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    assert.deepEqual(msg.content, [
      { type: 'thinking', thinking: '12 squared is 144.', signature: 'ErUBCkYIBxgCIkB0ZXN0c2lnbmF0dXJl' },
      { type: 'text', text: '144' },
    ]);
    assert.equal(msg.usage.input_tokens, 21);
    assert.equal(msg.usage.output_tokens, 30);
  });
});
