// Issue 16 item 1: the Cohere v2 chat front and the `cohere` upstream type, end to end. The official
// cohere-ai SDK drives sluice over the openai, anthropic, gemini and demo upstream types (chat,
// chatStream, a tool round trip); the openai and Anthropic SDKs drive it over a cohere upstream (the
// mock's Cohere dialect); bad input is a 400 `{"message"}` and nothing reaches the upstream.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { CohereClientV2, CohereError, type Cohere } from 'cohere-ai';
import { MOCK_TOOL_ARGS, mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { uniqueTag, within } from './translation-env.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let co: CohereClientV2;
const TEXT = mockText(12).join('');
const WEATHER: Cohere.ToolV2 = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  oa: { type: openai, base_url: ${mock.url}/v1 }
  an: { type: anthropic, base_url: ${mock.url} }
  ge: { type: gemini, base_url: ${mock.url} }
  co: { type: cohere, base_url: ${mock.url}/v2, api_key: co-upstream-secret }
models:
  m-oa: { targets: [{ provider: oa, model: gpt-x }] }
  m-an: { targets: [{ provider: an, model: claude-x }] }
  m-ge: { targets: [{ provider: ge, model: gemini-x }] }
  m-co: { targets: [{ provider: co, model: command-a-03-2025 }] }
  demo: { targets: [{ provider: demo, model: demo }] }
retries: { attempts: 0 }
`,
  });
  co = new CohereClientV2({ token: 'client-key', baseUrl: sluice.url, maxRetries: 0 } as never);
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

describe('cohere-ai over every upstream type', () => {
  for (const model of ['m-oa', 'm-an', 'm-ge', 'm-co']) {
    test(`${model}: chat`, async () => {
      const r = await within(8000, co.chat({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi [[mock reasoning=2]]' }] }));
      assert.equal(r.finishReason, 'COMPLETE');
      assert.equal((r.message.content ?? []).filter((c) => c.type === 'text').map((c) => (c as Cohere.AssistantMessageResponseContentItem.Text).text).join(''), TEXT);
      assert.ok((r.usage?.tokens?.outputTokens ?? 0) > 0, 'usage is reported');
    });

    test(`${model}: chatStream`, async () => {
      const stream = await co.chatStream({ model, messages: [{ role: 'user', content: 'hi' }] });
      let text = '';
      let end: Cohere.V2ChatStreamResponse | undefined;
      for await (const ev of stream) {
        if (ev.type === 'content-delta') text += ev.delta?.message?.content?.text ?? '';
        if (ev.type === 'message-end') end = ev;
      }
      assert.equal(text, TEXT);
      assert.equal(end?.type === 'message-end' ? end.delta?.finishReason : '', 'COMPLETE');
      assert.ok(end?.type === 'message-end' && (end.delta?.usage?.tokens?.inputTokens ?? 0) > 0);
    });

    test(`${model}: tool round trip`, async () => {
      const messages: Cohere.ChatMessageV2[] = [{ role: 'user', content: 'Weather in Oslo? [[mock tool=1]]' }];
      const first = await within(8000, co.chat({ model, messages, tools: [WEATHER] }));
      assert.equal(first.finishReason, 'TOOL_CALL');
      const call = first.message.toolCalls?.[0];
      assert.equal(call?.function?.name, 'get_weather');
      assert.deepEqual(JSON.parse(call?.function?.arguments ?? ''), MOCK_TOOL_ARGS);
      messages.push(
        { role: 'assistant', toolCalls: first.message.toolCalls, toolPlan: first.message.toolPlan },
        { role: 'tool', toolCallId: call!.id!, content: [{ type: 'document', document: { data: { temp_c: 3 } } }] },
      );
      const second = await within(8000, co.chat({ model, messages, tools: [WEATHER] }));
      assert.equal(second.finishReason, 'COMPLETE');
      const rec = mock.requests.at(-1)!;
      assert.match(JSON.stringify(rec.body), /temp_c/, 'the tool result reached the upstream');
    });
  }

  test('demo: chatStream and chat', async () => {
    let text = '';
    for await (const ev of await co.chatStream({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] })) {
      if (ev.type === 'content-delta') text += ev.delta?.message?.content?.text ?? '';
    }
    assert.ok(text.length > 0);
    const r = await co.chat({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.finishReason, 'COMPLETE');
  });
});

describe('other SDKs over a cohere upstream', () => {
  test('openai: stream with a tool call, then the result', async () => {
    const openai = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
    const msgs: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather? [[mock tool=1]]' }];
    const first = await openai.chat.completions.stream({ model: 'm-co', messages: msgs, tools, stream_options: { include_usage: true } }).finalChatCompletion();
    const call = first.choices[0]!.message.tool_calls![0]!;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(first.choices[0]!.message.content, TEXT, 'the tool plan arrives as text');
    assert.deepEqual(call.type === 'function' ? JSON.parse(call.function.arguments) : undefined, MOCK_TOOL_ARGS);
    msgs.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '3°C' });
    const second = await openai.chat.completions.create({ model: 'm-co', messages: msgs, tools });
    assert.equal(second.choices[0]!.message.content, TEXT);
    const sent = mock.requests.at(-1)!;
    assert.equal(sent.path, '/v2/chat', 'base_url …/v2 was cut back to the root');
    assert.equal(sent.headers.authorization, 'Bearer co-upstream-secret');
    const body = sent.body as { messages: Array<Record<string, unknown>> };
    assert.deepEqual(body.messages.at(-1), { role: 'tool', tool_call_id: call.id, content: '3°C' });
    assert.equal(body.messages.at(-2)!.tool_plan, TEXT, 'the assistant turn\'s text went back as its tool plan');
  });

  test('anthropic: stream and create', async () => {
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0 });
    const stream = anthropic.messages.stream({ model: 'm-co', max_tokens: 100, messages: [{ role: 'user', content: 'hi [[mock reasoning=2]]' }] });
    const final = await stream.finalMessage();
    assert.deepEqual(final.content.map((b) => b.type), ['thinking', 'text']);
    assert.equal(final.content[1]!.type === 'text' ? final.content[1].text : '', TEXT);
    assert.ok(final.usage.output_tokens > 0);
    const msg = await anthropic.messages.create({ model: 'm-co', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(msg.stop_reason, 'end_turn');
  });
});

describe('bad input: a 400 {"message"}, nothing sent upstream', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['no messages', { model: 'm-oa' }, /messages/],
    ['unknown role', { model: 'm-oa', messages: [{ role: 'robot', content: 'x' }] }, /messages\.0\.role/],
    ['tool message without tool_call_id', { model: 'm-oa', messages: [{ role: 'tool', content: 'x' }] }, /tool_call_id/],
    ['tool_choice REQUIRED without tools', { model: 'm-oa', messages: [{ role: 'user', content: 'x' }], tool_choice: 'REQUIRED' }, /tool_choice/],
    ['p out of range', { model: 'm-oa', messages: [{ role: 'user', content: 'x' }], p: 7 }, /\bp\b/],
  ];
  for (const [name, body, message] of cases) {
    test(name, async () => {
      const tag = uniqueTag('cohere-bad');
      const before = mock.requests.length;
      const res = await fetch(`${sluice.url}/v2/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
        body: JSON.stringify({ ...(body as object), stream: true, tag }),
      });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const json = (await res.json()) as { message: string };
      assert.deepEqual(Object.keys(json), ['message']);
      assert.match(json.message, message);
      assert.equal(mock.requests.length, before, 'nothing was sent upstream');
    });
  }

  test('the SDK raises BadRequestError with the message; unknown model is 404', async () => {
    await assert.rejects(co.chat({ model: 'm-oa', messages: [{ role: 'user', content: 'x' }], toolChoice: 'REQUIRED' }), (e: unknown) => {
      assert.ok(e instanceof CohereError);
      assert.equal(e.statusCode, 400);
      return true;
    });
    await assert.rejects(co.chat({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => e instanceof CohereError && e.statusCode === 404);
  });
});
