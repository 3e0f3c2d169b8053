import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { GatewayError } from '../../../src/core/errors.ts';
import type { ChatResponse } from '../../../src/core/response.ts';
import { anthropicFront, anthropicUpstream } from '../../../src/protocols/anthropic/index.ts';
import { decodeContext, frontContext } from './helpers.ts';

describe('anthropic front encodeResponse', () => {
  const resp: ChatResponse = {
    id: 'chatcmpl-upstream',
    model: 'gpt-x',
    blocks: [
      { kind: 'reasoning', text: 'hmm', signature: 'EqQB' },
      { kind: 'redacted-reasoning', data: 'opaque' },
      { kind: 'text', text: '' },
      { kind: 'text', text: 'Let me look.' },
      { kind: 'tool-call', id: 'fc|1', name: 'get', arguments: '{"a":1}', signature: 'g1' },
      { kind: 'tool-call', id: 'toolu_2', name: 'bad', arguments: '{"a":' },
      { kind: 'tool-call', id: 'toolu_3', name: 'none', arguments: '' },
    ],
    finishReason: 'tool-calls',
    usage: { inputTokens: 2358, outputTokens: 41, cacheReadTokens: 2048 },
  };

  test('the §5 message object: own id, client model, blocks, stop_reason, usage split', () => {
    const body = JSON.parse(anthropicFront.encodeResponse(resp, frontContext('claude-x')));
    assert.match(body.id, /^msg_[0-9A-Za-z]{24}$/);
    const safeId = body.content[4].id;
    assert.match(safeId, /^fc_1_[0-9a-f]{8}$/);
    assert.deepEqual({ ...body, id: 'X' }, {
      id: 'X',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'EqQB' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'text', text: 'Let me look.' },
        { type: 'thinking', thinking: '', signature: 'gemini:g1' },
        { type: 'tool_use', id: safeId, name: 'get', input: { a: 1 } },
        // invalid arguments become {} instead of failing the response
        { type: 'tool_use', id: 'toolu_2', name: 'bad', input: {} },
        { type: 'tool_use', id: 'toolu_3', name: 'none', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 310, cache_creation_input_tokens: 0, cache_read_input_tokens: 2048, output_tokens: 41 },
    });
  });

  test('stop sequence and missing usage', () => {
    const body = JSON.parse(
      anthropicFront.encodeResponse({ blocks: [{ kind: 'text', text: 'a' }], finishReason: 'stop-sequence', stopSequence: '##' }, frontContext()),
    );
    assert.equal(body.stop_reason, 'stop_sequence');
    assert.equal(body.stop_sequence, '##');
    assert.deepEqual(body.usage, { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 });
  });

  test('the official SDK parses it as a Message', async () => {
    const json = anthropicFront.encodeResponse(resp, frontContext('claude-x'));
    const client = new Anthropic({
      apiKey: 'k',
      baseURL: 'http://127.0.0.1:9',
      maxRetries: 0,
      fetch: async () => new Response(json, { headers: { 'content-type': 'application/json' } }),
    });
    const msg = await client.messages.create({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(msg.stop_reason, 'tool_use');
    assert.equal(msg.content.length, 7);
  });
});

describe('anthropic upstream decodeResponse', () => {
  test('message -> ChatResponse with usage conversion', () => {
    const resp = anthropicUpstream.decodeResponse(
      {
        id: 'msg_01HxExampleQ7t9',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [
          { type: 'thinking', thinking: 'hm', signature: 'EqQB' },
          { type: 'redacted_thinking', data: 'opaque' },
          { type: 'text', text: 'Let me look that up.', citations: null },
          { type: 'server_tool_use', id: 'srv', name: 'web_search', input: { q: 1 } },
          { type: 'tool_use', id: 'toolu_01Yz3', name: 'get_forecast', input: { city: 'Oslo' } },
        ],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: {
          input_tokens: 310,
          cache_creation_input_tokens: 0,
          cache_read_input_tokens: 2048,
          output_tokens: 41,
          service_tier: 'standard',
          output_tokens_details: { thinking_tokens: 20 },
        },
        container: null,
      },
      decodeContext(),
    );
    assert.deepEqual(resp, {
      id: 'msg_01HxExampleQ7t9',
      model: 'claude-sonnet-4-5-20250929',
      blocks: [
        { kind: 'reasoning', text: 'hm', signature: 'EqQB' },
        { kind: 'redacted-reasoning', data: 'opaque' },
        { kind: 'text', text: 'Let me look that up.' },
        { kind: 'tool-call', id: 'toolu_01Yz3', name: 'get_forecast', arguments: '{"city":"Oslo"}' },
      ],
      finishReason: 'tool-calls',
      usage: { inputTokens: 2358, outputTokens: 41, cacheReadTokens: 2048, cacheWriteTokens: 0, reasoningTokens: 20 },
    });
  });

  test('stop reasons and stop_sequence', () => {
    const r = (stop_reason: string, stop_sequence: string | null = null) =>
      anthropicUpstream.decodeResponse({ content: [{ type: 'text', text: 'x' }], stop_reason, stop_sequence }, decodeContext());
    assert.equal(r('end_turn').finishReason, 'stop');
    assert.equal(r('max_tokens').finishReason, 'length');
    assert.equal(r('model_context_window_exceeded').finishReason, 'context-exceeded');
    assert.equal(r('refusal').finishReason, 'refusal');
    assert.equal(r('pause_turn').finishReason, 'pause');
    assert.equal(r('something_new').finishReason, 'stop');
    const seq = r('stop_sequence', '###');
    assert.equal(seq.finishReason, 'stop-sequence');
    assert.equal(seq.stopSequence, '###');
  });

  test('error-shaped body throws the mapped GatewayError', () => {
    assert.throws(
      () => anthropicUpstream.decodeResponse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, decodeContext()),
      (e: GatewayError) => e.code === 'upstream_overloaded' && e.message === 'Overloaded',
    );
    assert.throws(
      () => anthropicUpstream.decodeResponse({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long' } }, decodeContext()),
      (e: GatewayError) => e.code === 'upstream_client_error' && e.status === 400,
    );
    assert.throws(() => anthropicUpstream.decodeResponse({ choices: [] }, decodeContext()), (e: GatewayError) => e.code === 'upstream_malformed');
  });
});
