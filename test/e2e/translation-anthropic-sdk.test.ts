// Issue 3 acceptance, Anthropic front: the official `@anthropic-ai/sdk` pointed at sluice, against
// every upstream type of `sluice mock` (OpenAI, Anthropic, Gemini; native, simulate and always
// streaming) and the built-in demo model. Text and tool calls arrive exactly, the tool result round
// trip works, stop reasons and usage are right, thinking signatures round-trip to the upstream.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { MOCK_TOOL_ARGS, mockReasoning, mockText } from '../../src/mock/server.ts';
import { ALL_MOCK, FORECAST_SCHEMA, NATIVE, TIME_SCHEMA, assertUsage, recordFor, startTranslationEnv, uniqueTag, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let client: Anthropic;

before(async () => {
  env = await startTranslationEnv();
  client = new Anthropic({ baseURL: env.sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

const TOOLS: Anthropic.Tool[] = [
  { name: 'get_forecast', description: 'Weather forecast', input_schema: FORECAST_SCHEMA as unknown as Anthropic.Tool.InputSchema },
  { name: 'get_time', description: 'Current time', input_schema: TIME_SCHEMA as unknown as Anthropic.Tool.InputSchema },
];

/** What the demo model answers a tool offer with: schema-satisfying placeholders (protocols/demo/run.ts). */
const DEMO_ARGS = { city: 'demo', days: 1, note: 'demo', units: 'demo', options: {} };

const TEXT12 = mockText(12).join('');
const TARGETS = [...ALL_MOCK, 'demo'];

function textOf(msg: Anthropic.Message): string {
  return msg.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

function expectText(model: string, text: string): void {
  if (model === 'demo') assert.match(text, /^Hello! This is the sluice demo model/);
  else assert.equal(text, TEXT12);
}

function checkMessage(msg: Anthropic.Message, model: string): void {
  assert.match(msg.id, /^msg_/);
  assert.equal(msg.role, 'assistant');
  assert.equal(msg.model, model);
  assertUsage(msg.usage.input_tokens, msg.usage.output_tokens, model);
}

describe('text, streaming and not', () => {
  for (const model of TARGETS) {
    test(`${model}: messages.stream() + finalMessage()`, async () => {
      const stream = client.messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Hi [[mock chunks=12]]' }] });
      let streamed = '';
      stream.on('text', (t) => {
        streamed += t;
      });
      const final = await within(8000, stream.finalMessage());
      checkMessage(final, model);
      expectText(model, textOf(final));
      assert.equal(streamed, textOf(final));
      assert.equal(final.stop_reason, 'end_turn');
      assert.deepEqual(final.content.map((b) => b.type), ['text']);
      if (model !== 'demo') assert.equal(final.usage.output_tokens, 12, 'the mock counts one token per delta');
    });

    test(`${model}: messages.create()`, async () => {
      const msg = await within(8000, client.messages.create({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Hi [[mock chunks=12]]' }] }));
      checkMessage(msg, model);
      expectText(model, textOf(msg));
      assert.equal(msg.stop_reason, 'end_turn');
      assert.equal(msg.stop_sequence, null);
    });
  }
});

describe('tool use round trip', () => {
  for (const model of TARGETS) {
    test(`${model}: a streamed tool_use, then its tool_result gets a text answer`, async () => {
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Oslo? [[mock tool=1 chunks=2]]' }];
      const first = await within(8000, client.messages.stream({ model, max_tokens: 300, tools: TOOLS, messages }).finalMessage());
      checkMessage(first, model);
      assert.equal(first.stop_reason, 'tool_use');
      const calls = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.name, 'get_forecast');
      assert.match(calls[0]!.id, /^[a-zA-Z0-9_-]+$/);
      assert.deepEqual(calls[0]!.input, model === 'demo' ? DEMO_ARGS : MOCK_TOOL_ARGS);

      // The whole assistant turn goes back verbatim, as the SDK docs tell clients to do.
      messages.push({ role: 'assistant', content: first.content });
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: calls[0]!.id, content: 'Sunny, 21 °C' }] });
      const second = await within(8000, client.messages.create({ model, max_tokens: 300, tools: TOOLS, messages }));
      assert.equal(second.stop_reason, 'end_turn');
      assert.deepEqual(second.content.map((b) => b.type), ['text']);
      if (model === 'demo') assert.match(textOf(second), /Sunny, 21 °C/);
      else assert.equal(textOf(second), TEXT12);
    });
  }

  for (const model of ALL_MOCK) {
    test(`${model}: non-streaming tool_use with two parallel calls`, async () => {
      const msg = await within(
        8000,
        client.messages.create({ model, max_tokens: 300, tools: TOOLS, messages: [{ role: 'user', content: 'Both please [[mock tools=2 chunks=1]]' }] }),
      );
      assert.equal(msg.stop_reason, 'tool_use');
      const calls = msg.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      assert.deepEqual(calls.map((c) => c.name), ['get_forecast', 'get_time']);
      for (const c of calls) assert.deepEqual(c.input, MOCK_TOOL_ARGS);
      assert.equal(new Set(calls.map((c) => c.id)).size, 2, 'distinct tool ids');
    });
  }
});

describe('thinking', () => {
  test('m-an: thinking blocks stream with their signature, which reaches the upstream again', async () => {
    const tag = uniqueTag('think-an');
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `${tag} [[mock reasoning=3 tool=1 chunks=2]]` }];
    const stream = client.messages.stream({ model: 'm-an', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: TOOLS, messages });
    let thinking = '';
    stream.on('thinking', (t) => {
      thinking += t;
    });
    const first = await within(8000, stream.finalMessage());
    assert.deepEqual(first.content.map((b) => b.type), ['thinking', 'text', 'tool_use']);
    const block = first.content[0] as Anthropic.ThinkingBlock;
    assert.equal(block.thinking, mockReasoning(3).join(''));
    assert.equal(thinking, block.thinking);
    assert.ok(block.signature.length > 0, 'signature present');
    const firstRecord = await recordFor(env.mock, tag);
    assert.deepEqual(firstRecord.body.thinking, { type: 'enabled', budget_tokens: 1024 }, 'thinking config passed to an Anthropic upstream');

    const tag2 = uniqueTag('think-an-2');
    const call = first.content[2] as Anthropic.ToolUseBlock;
    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: `result ${tag2}` }] });
    const second = await within(8000, client.messages.create({ model: 'm-an', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: TOOLS, messages }));
    assert.equal(second.stop_reason, 'end_turn');
    const rec = await recordFor(env.mock, tag2);
    const assistant = rec.body.messages[1];
    assert.equal(assistant.role, 'assistant');
    assert.deepEqual(assistant.content[0], { type: 'thinking', thinking: block.thinking, signature: block.signature });
    assert.equal(assistant.content[2].type, 'tool_use');
    assert.equal(assistant.content[2].id, call.id);
  });

  test('m-ge: the Gemini thought signature comes out as a gemini: thinking block and goes back as thoughtSignature', async () => {
    const tag = uniqueTag('think-ge');
    // The mock signs only answers that reasoned (as Gemini thinking models do), on the first call.
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `${tag} [[mock reasoning=2 tool=1 chunks=2]]` }];
    const first = await within(8000, client.messages.stream({ model: 'm-ge', max_tokens: 2000, tools: TOOLS, messages }).finalMessage());
    assert.equal(first.stop_reason, 'tool_use');
    const thinking = first.content.find((b): b is Anthropic.ThinkingBlock => b.type === 'thinking' && b.signature.startsWith('gemini:'));
    assert.ok(thinking, `a thinking block carries the signature: ${JSON.stringify(first.content)}`);
    assert.match(thinking.signature, /^gemini:.+/);
    const callIndex = first.content.findIndex((b) => b.type === 'tool_use');
    assert.equal(first.content.indexOf(thinking), callIndex - 1, 'the thinking block sits right before its tool_use');
    // What the mock sent: the signature on the functionCall part.
    const upstreamSig = thinking.signature.slice('gemini:'.length);

    const tag2 = uniqueTag('think-ge-2');
    const call = first.content[callIndex] as Anthropic.ToolUseBlock;
    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: `result ${tag2}` }] });
    const second = await within(8000, client.messages.create({ model: 'm-ge', max_tokens: 2000, tools: TOOLS, messages }));
    assert.equal(second.stop_reason, 'end_turn');
    const rec = await recordFor(env.mock, tag2);
    const model = rec.body.contents.find((c: any) => c.role === 'model');
    const fc = model.parts.find((p: any) => p.functionCall);
    assert.equal(fc.functionCall.name, 'get_forecast');
    assert.deepEqual(fc.functionCall.args, MOCK_TOOL_ARGS);
    assert.equal(fc.thoughtSignature, upstreamSig);
    const response = rec.body.contents.at(-1).parts.find((p: any) => p.functionResponse);
    assert.equal(response.functionResponse.name, 'get_forecast');
  });

  for (const model of ['m-ge', 'm-oa'] as const) {
    test(`${model}: upstream reasoning arrives as a thinking block`, async () => {
      const final = await within(
        8000,
        client.messages
          .stream({ model, max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'Hi [[mock reasoning=3 chunks=2]]' }] })
          .finalMessage(),
      );
      assert.equal(final.content[0]!.type, 'thinking');
      assert.equal((final.content[0] as Anthropic.ThinkingBlock).thinking, mockReasoning(3).join(''));
      assert.equal(textOf(final), mockText(2).join(''));
      assert.equal(final.stop_reason, 'end_turn');
    });
  }
});

describe('request ids, where the SDK reads them (request-id)', () => {
  test('a message, a stream and an error carry the id, and the id a client sent is kept', async () => {
    const { data, request_id } = await client.messages.create({ model: 'm-an', max_tokens: 50, messages: [{ role: 'user', content: 'Hi [[mock chunks=2]]' }] }).withResponse();
    assert.match(request_id ?? '', /^req_/);
    assert.equal((data as { _request_id?: string | null })._request_id, request_id);
    const streamed = await client.messages
      .create({ model: 'm-oa', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hi [[mock chunks=2]]' }] }, { headers: { 'x-request-id': 'client-chosen-1' } })
      .withResponse();
    assert.equal(streamed.request_id, 'client-chosen-1');
    for await (const _ of streamed.data) void _;
    // An error body carries it as request_id (anthropic-messages.md §7), equal to the header.
    const err = await client.messages.create({ model: 'no-such-model', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }).then(
      () => assert.fail('an unknown model must fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof Anthropic.APIError);
    assert.match(err.requestID ?? '', /^req_/);
    assert.equal((err.error as { request_id?: string }).request_id, err.requestID);
    assert.equal((err.error as { type?: string }).type, 'error');
  });
});

describe('usage', () => {
  for (const model of NATIVE) {
    test(`${model}: usage is the upstream's, in Anthropic semantics`, async () => {
      // The mock: input = 10 + messages, output = text deltas + reasoning deltas.
      const final = await within(
        8000,
        client.messages.stream({ model, max_tokens: 200, messages: [{ role: 'user', content: 'Hi [[mock chunks=5]]' }] }).finalMessage(),
      );
      assert.equal(final.usage.input_tokens, 11);
      assert.equal(final.usage.output_tokens, 5);
    });

    test(`${model}: output_tokens include thinking and tool calls`, async () => {
      // 5 text + 3 reasoning deltas + 10 per tool call; Gemini reports thoughts apart (translation.md §7).
      const params = { model, max_tokens: 2000, tools: TOOLS, messages: [{ role: 'user' as const, content: 'Hi [[mock chunks=5 reasoning=3 tool=1]]' }] };
      const streamed = await within(8000, client.messages.stream(params).finalMessage());
      const created = await within(8000, client.messages.create(params));
      for (const msg of [streamed, created]) {
        assert.equal(msg.usage.input_tokens, 11);
        assert.equal(msg.usage.output_tokens, 18);
      }
    });
  }

  test('m-an: beta.messages (?beta=true, as Claude Code calls it) with anthropic-beta', async () => {
    const final = await within(
      8000,
      client.beta.messages.stream({ model: 'm-an', max_tokens: 100, betas: ['interleaved-thinking-2025-05-14'], messages: [{ role: 'user', content: 'Hi [[mock chunks=3]]' }] }).finalMessage(),
    );
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal((final.content[0] as { text: string }).text, mockText(3).join(''));
  });
});
