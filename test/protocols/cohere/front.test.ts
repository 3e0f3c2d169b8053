// The Cohere front: request decoding (and its 400s), the stream and response encoders as the
// cohere-ai SDK reads them, and the error shapes before and after the commit point.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { FrontContext } from '../../../src/core/protocol.ts';
import { responseToEvents } from '../../../src/core/response.ts';
import { cohereFront } from '../../../src/protocols/cohere/index.ts';
import { decodeCohereRequest } from '../../../src/protocols/cohere/decode-request.ts';
import { sdkEvents } from './helpers.ts';

const ctx: FrontContext = { requestId: 'r', model: 'client-model', created: 1, includeUsage: false, includeReasoning: false };

function encode(events: StreamEvent[]): string {
  const out: string[] = [];
  const push = cohereFront.createStreamEncoder(ctx, { write: (s) => out.push(s) });
  for (const e of events) push(e);
  return out.join('');
}

function decodeError(body: unknown): GatewayError {
  try {
    decodeCohereRequest(body);
  } catch (e) {
    assert.ok(e instanceof GatewayError);
    return e;
  }
  assert.fail('expected a 400');
}

describe('cohere front: request', () => {
  test('messages of every role, tools, tool results and options', () => {
    const req = decodeCohereRequest(
      {
        model: 'command-a',
        stream: true,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO', detail: 'low' } }] },
          {
            role: 'assistant',
            content: [{ type: 'thinking', thinking: 'need a tool' }],
            tool_plan: 'I will check.',
            tool_calls: [{ id: 'get_weather_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
          },
          { role: 'tool', tool_call_id: 'get_weather_1', content: [{ type: 'document', document: { data: { temp: 3 } } }] },
        ],
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } } }],
        strict_tools: true,
        tool_choice: 'REQUIRED',
        max_tokens: 100,
        temperature: 0.2,
        p: 0.9,
        k: 40,
        stop_sequences: ['END'],
        response_format: { type: 'json_object', json_schema: { type: 'object' } },
        thinking: { type: 'enabled', token_budget: 2000 },
        documents: ['Oslo is cold.'],
      },
    );
    assert.equal(req.stream, true);
    assert.equal(req.front, 'cohere');
    assert.deepEqual(req.messages[0], { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] });
    assert.equal(req.messages[1]!.content[0]!.type, 'document', 'documents lead the last user message');
    assert.deepEqual(req.messages[1]!.content[2], { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' }, detail: 'low' });
    assert.deepEqual(req.messages[2]!.content, [
      { type: 'reasoning', text: 'need a tool' },
      { type: 'text', text: 'I will check.' },
      { type: 'tool-call', id: 'get_weather_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
    assert.deepEqual(req.messages[3], {
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: 'get_weather_1', name: 'get_weather', content: [{ type: 'text', text: '{"temp":3}' }] }],
    });
    assert.deepEqual(req.tools, [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true }]);
    assert.deepEqual(req.toolChoice, { type: 'required' });
    assert.equal(req.maxTokens, 100);
    assert.equal(req.topP, 0.9);
    assert.equal(req.topK, 40);
    assert.deepEqual(req.stop, ['END']);
    assert.deepEqual(req.responseFormat, { type: 'json_schema', name: 'response', schema: { type: 'object' } });
    assert.deepEqual(req.reasoning, { include: true, budgetTokens: 2000 });
  });

  test('bad input is a 400 naming the field, in Cohere\'s words', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ messages: [{ role: 'user', content: 'hi' }] }, /^invalid request: model: field is required/],
      [{ model: 'm', messages: [] }, /^invalid request: messages:/],
      [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, /messages\.0\.role/],
      [{ model: 'm', messages: [{ role: 'tool', content: 'x' }] }, /messages\.0\.tool_call_id/],
      [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'audio' }] }] }, /messages\.0\.content\.0\.type: unsupported content type "audio"/],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], tool_choice: 'REQUIRED' }, /tool_choice: REQUIRED needs tools/],
      [{ model: 'm', messages: [{ role: 'user', content: 'x' }], stop_sequences: ['1', '2', '3', '4', '5', '6'] }, /stop_sequences/],
      [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'file:///etc/passwd' } }] }] }, /image_url\.url/],
    ];
    for (const [body, message] of cases) {
      const err = decodeError(body);
      assert.equal(err.code, 'invalid_request');
      assert.match(err.message, message);
    }
  });

  test('null arguments in history become {}', () => {
    const req = decodeCohereRequest(
      { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 't', type: 'function', function: { name: 'now', arguments: 'null' } }] }] },
    );
    assert.equal((req.messages[0]!.content[0] as { arguments: string }).arguments, '{}');
  });
});

describe('cohere front: stream encoder, read as the SDK reads it', () => {
  test('thinking, text, tool calls: separate index spaces, message-end with usage', () => {
    const events: StreamEvent[] = [];
    responseToEvents(
      {
        blocks: [
          { kind: 'reasoning', text: 'hmm', signature: 'sig' },
          { kind: 'text', text: 'Checking [DONE] now.' },
          { kind: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { kind: 'tool-call', id: 'call_2', name: 'get_time', arguments: '{}' },
        ],
        finishReason: 'tool-calls',
        usage: { inputTokens: 30, outputTokens: 12, cacheReadTokens: 10 },
      },
      (e) => events.push(e),
      4,
    );
    const out = encode(events);
    assert.ok(!/^data: .*\[DONE\]/m.test(out), 'no data line contains [DONE]: the SDK would stop there');
    const evs = sdkEvents(out);
    assert.deepEqual(evs.map((e) => `${e.type}${e.index ?? ''}`), [
      'message-start',
      'content-start0', 'content-delta0', 'content-end0',
      'content-start1', ...Array(5).fill('content-delta1'), 'content-end1',
      'tool-call-start0', ...Array(4).fill('tool-call-delta0'), 'tool-call-end0',
      'tool-call-start1', 'tool-call-delta1', 'tool-call-end1',
      'message-end',
    ]);
    const text = evs.filter((e) => e.type === 'content-delta' && e.index === 1).map((e) => (e as any).delta.message.content.text).join('');
    assert.equal(text, 'Checking [DONE] now.');
    assert.equal((evs[1] as any).delta.message.content.type, 'thinking');
    const args = evs.filter((e) => e.type === 'tool-call-delta' && e.index === 0).map((e) => (e as any).delta.message.tool_calls.function.arguments).join('');
    assert.deepEqual(JSON.parse(args), { city: 'Oslo' });
    assert.equal((evs.find((e) => e.type === 'tool-call-start') as any).delta.message.tool_calls.id, 'call_1');
    assert.deepEqual((evs.at(-1) as any).delta, {
      finish_reason: 'TOOL_CALL',
      usage: { billed_units: { input_tokens: 30, output_tokens: 12 }, tokens: { input_tokens: 30, output_tokens: 12 }, cached_tokens: 10 },
    });
    assert.match(out, /^event: message-start\ndata: /, 'named events like Cohere\'s own');
  });

  test('text with [DONE] inside is escaped so the SDK does not stop reading there', () => {
    const out = encode([
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: 'print("[DONE]")' },
      { type: 'block-end', index: 0 },
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ]);
    const evs = sdkEvents(out);
    assert.equal(evs.at(-1)?.type, 'message-end', 'the SDK reads to the end');
    assert.equal((evs[2] as any).delta.message.content.text, 'print("[DONE]")');
  });

  test('an error after the commit point: content-end, then message-end ERROR with the message; TIMEOUT for time limits', () => {
    for (const [code, reason] of [['upstream_error', 'ERROR'], ['idle_timeout', 'TIMEOUT']] as const) {
      const evs = sdkEvents(
        encode([
          { type: 'message-start' },
          { type: 'block-start', index: 0, block: { kind: 'text' } },
          { type: 'text-delta', index: 0, text: 'Hel' },
          { type: 'error', error: new GatewayError(code, 'upstream broke (provider co)') },
          { type: 'text-delta', index: 0, text: 'ignored' },
        ]),
      );
      assert.deepEqual(evs.map((e) => e.type), ['message-start', 'content-start', 'content-delta', 'content-end', 'message-end']);
      assert.deepEqual((evs.at(-1) as any).delta, { finish_reason: reason, error: 'upstream broke (provider co)' });
    }
  });

  test('an open tool call is not ended by an error', () => {
    const evs = sdkEvents(
      encode([
        { type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'c', name: 'f' } },
        { type: 'tool-args-delta', index: 0, json: '{"a":' },
        { type: 'error', error: new GatewayError('stream_truncated', 'cut') },
      ]),
    );
    assert.deepEqual(evs.map((e) => e.type), ['message-start', 'tool-call-start', 'tool-call-delta', 'message-end']);
  });
});

describe('cohere front: response and errors', () => {
  test('non-streaming response: content, tool_calls with JSON-string arguments, usage', () => {
    const body = JSON.parse(
      cohereFront.encodeResponse(
        {
          blocks: [
            { kind: 'text', text: 'Let me check.' },
            { kind: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          ],
          finishReason: 'tool-calls',
          usage: { inputTokens: 5, outputTokens: 7 },
        },
        ctx,
      ),
    );
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    assert.equal(body.finish_reason, 'TOOL_CALL');
    assert.deepEqual(body.message, {
      role: 'assistant',
      content: [{ type: 'text', text: 'Let me check.' }],
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
    });
    assert.deepEqual(body.usage.tokens, { input_tokens: 5, output_tokens: 7 });
  });

  test('errors before the commit point: {"message"} with the status and retry-after', () => {
    const r = cohereFront.encodeError(new GatewayError('upstream_rate_limited', 'slow down (provider co)', { status: 429, retryAfterMs: 2500 }));
    assert.equal(r.status, 429);
    assert.deepEqual(JSON.parse(r.body), { message: 'slow down (provider co)' });
    assert.equal(r.headers['retry-after'], '3');
    assert.equal(cohereFront.encodeError(new GatewayError('model_not_found', 'unknown model x')).status, 404);
  });
});
