// The Cohere dialect of `sluice mock`, checked against the official cohere-ai SDK before anything
// else relies on it: its streams must decode as the SDK decodes Cohere's own (one data line per
// event, no [DONE]), its JSON must parse as a V2ChatResponse, and its errors must reach the SDK's
// typed errors with their message.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CohereClientV2, CohereError } from 'cohere-ai';
import { MOCK_TOOL_ARGS, mockReasoning, mockText, startMock, type MockServer } from '../../../src/mock/server.ts';

let mock: MockServer;
let client: CohereClientV2;

before(async () => {
  mock = await startMock({ port: 0 });
  client = new CohereClientV2({ token: 'k', baseUrl: mock.url, maxRetries: 0 } as never);
});
after(() => mock.close());

const weather = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('cohere dialect of sluice mock, read by cohere-ai', () => {
  test('chat: text, finish reason and usage', async () => {
    const resp = await client.chat({ model: 'command-a', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(resp.finishReason, 'COMPLETE');
    assert.equal(resp.message.content?.map((c) => (c.type === 'text' ? c.text : '')).join(''), mockText(12).join(''));
    assert.deepEqual(resp.usage?.tokens, { inputTokens: 11, outputTokens: 12 });
  });

  test('chatStream: every event decodes, text deltas concatenate, message-end last', async () => {
    const stream = await client.chatStream({ model: 'command-a', messages: [{ role: 'user', content: 'hi [[mock reasoning=2]]' }] });
    const types: string[] = [];
    let text = '';
    let thinking = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'content-delta') {
        text += ev.delta?.message?.content?.text ?? '';
        thinking += ev.delta?.message?.content?.thinking ?? '';
      }
      if (ev.type === 'message-end') assert.equal(ev.delta?.finishReason, 'COMPLETE');
    }
    assert.equal(text, mockText(12).join(''));
    assert.equal(thinking, mockReasoning(2).join(''));
    assert.equal(types[0], 'message-start');
    assert.equal(types.at(-1), 'message-end');
    assert.deepEqual([...new Set(types)], ['message-start', 'content-start', 'content-delta', 'content-end', 'message-end']);
  });

  test('chatStream with a tool call: plan, start/delta/end, TOOL_CALL', async () => {
    const stream = await client.chatStream({ model: 'command-a', messages: [{ role: 'user', content: 'weather? [[mock tool=1]]' }], tools: [weather] });
    let plan = '';
    let args = '';
    let name = '';
    let finish = '';
    for await (const ev of stream) {
      if (ev.type === 'tool-plan-delta') plan += ev.delta?.message?.toolPlan ?? '';
      if (ev.type === 'tool-call-start') name = ev.delta?.message?.toolCalls?.function?.name ?? '';
      if (ev.type === 'tool-call-delta') args += ev.delta?.message?.toolCalls?.function?.arguments ?? '';
      if (ev.type === 'message-end') finish = ev.delta?.finishReason ?? '';
    }
    assert.equal(plan, mockText(12).join(''));
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), MOCK_TOOL_ARGS);
    assert.equal(finish, 'TOOL_CALL');
  });

  test('chat with a tool call: tool_plan and tool_calls with JSON-string arguments', async () => {
    const resp = await client.chat({ model: 'command-a', messages: [{ role: 'user', content: 'weather? [[mock tool=1]]' }], tools: [weather] });
    assert.equal(resp.finishReason, 'TOOL_CALL');
    assert.equal(resp.message.toolPlan, mockText(12).join(''));
    assert.equal(resp.message.toolCalls?.[0]?.function?.name, 'get_weather');
    assert.deepEqual(JSON.parse(resp.message.toolCalls?.[0]?.function?.arguments ?? ''), MOCK_TOOL_ARGS);
  });

  test('error_mid: the stream ends with message-end ERROR and its message, no parse error', async () => {
    const stream = await client.chatStream({ model: 'command-a', messages: [{ role: 'user', content: 'hi [[mock fault=error_mid after=3]]' }] });
    const events = [];
    for await (const ev of stream) events.push(ev);
    const last = events.at(-1);
    assert.equal(last?.type, 'message-end');
    assert.equal(last?.type === 'message-end' ? last.delta?.finishReason : '', 'ERROR');
    assert.equal(last?.type === 'message-end' ? last.delta?.error : '', 'internal server error');
  });

  test('status faults reach the typed SDK errors with the message', async () => {
    for (const [status, name] of [[400, 'BadRequestError'], [429, 'TooManyRequestsError'], [500, 'InternalServerError']] as const) {
      await assert.rejects(
        client.chat({ model: 'command-a', messages: [{ role: 'user', content: `x [[mock fault=status status=${status}]]` }] }),
        (e: unknown) => {
          assert.ok(e instanceof CohereError);
          assert.equal(e.constructor.name, name);
          assert.equal(e.statusCode, status);
          assert.match((e.body as { message: string }).message, /injected HTTP/);
          return true;
        },
      );
    }
  });
});
