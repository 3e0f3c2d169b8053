// Issue 3 acceptance, OpenAI front: the official `openai` SDK pointed at sluice, against every
// upstream type of `sluice mock` and the demo model. `chat.completions.stream()` +
// `finalChatCompletion()` is the strict consumer: it merges tool-call fragments by index and throws on
// a missing finish_reason, role or tool id/name.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { MOCK_TOOL_ARGS, mockReasoning, mockText } from '../../src/mock/server.ts';
import { ALL_MOCK, FORECAST_SCHEMA, NATIVE, TIME_SCHEMA, assertUsage, startTranslationEnv, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let client: OpenAI;

before(async () => {
  env = await startTranslationEnv();
  client = new OpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

const TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_forecast', description: 'Weather forecast', parameters: FORECAST_SCHEMA as unknown as OpenAI.FunctionParameters } },
  { type: 'function', function: { name: 'get_time', description: 'Current time', parameters: TIME_SCHEMA as unknown as OpenAI.FunctionParameters } },
];
const DEMO_ARGS = { city: 'demo', days: 1, note: 'demo', units: 'demo', options: {} };
const TEXT12 = mockText(12).join('');
const TARGETS = [...ALL_MOCK, 'demo'];

function expectText(model: string, text: string | null | undefined): void {
  if (model === 'demo') assert.match(text ?? '', /^Hello! This is the sluice demo model/);
  else assert.equal(text, TEXT12);
}

function user(text: string): OpenAI.ChatCompletionMessageParam[] {
  return [{ role: 'user', content: text }];
}

describe('text, streaming and not', () => {
  for (const model of TARGETS) {
    test(`${model}: chat.completions.stream() + finalChatCompletion()`, async () => {
      const stream = client.chat.completions.stream({ model, messages: user('Hi [[mock chunks=12]]'), stream_options: { include_usage: true } });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const c of stream) chunks.push(c);
      const final = await within(8000, stream.finalChatCompletion());
      expectText(model, final.choices[0]!.message.content);
      assert.equal(final.choices[0]!.finish_reason, 'stop');
      assert.equal(final.model, model);
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1, 'one id');
      assert.match(chunks[0]!.id, /^chatcmpl-/);
      const usage = chunks.at(-1)!.usage;
      assert.deepEqual(chunks.at(-1)!.choices, [], 'the usage chunk has empty choices');
      assertUsage(usage?.prompt_tokens, usage?.completion_tokens, model);
      assert.equal(usage!.total_tokens, usage!.prompt_tokens + usage!.completion_tokens);
      if (model !== 'demo') assert.deepEqual([usage!.prompt_tokens, usage!.completion_tokens], [11, 12]);
    });

    test(`${model}: no usage chunk unless asked`, async () => {
      const stream = client.chat.completions.stream({ model, messages: user('Hi [[mock chunks=3]]') });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const c of stream) chunks.push(c);
      await stream.finalChatCompletion();
      assert.ok(chunks.every((c) => c.choices.length === 1 && c.usage == null), 'no usage anywhere');
    });

    test(`${model}: create() non-streaming`, async () => {
      const res = await within(8000, client.chat.completions.create({ model, messages: user('Hi [[mock chunks=12]]') }));
      assert.equal(res.object, 'chat.completion');
      assert.equal(res.model, model);
      assert.equal(res.choices[0]!.message.role, 'assistant');
      expectText(model, res.choices[0]!.message.content);
      assert.equal(res.choices[0]!.finish_reason, 'stop');
      assertUsage(res.usage?.prompt_tokens, res.usage?.completion_tokens, model);
    });
  }
});

describe('tool calls', () => {
  for (const model of TARGETS) {
    const parallel = model === 'demo' ? 1 : 2; // the demo model calls one tool
    test(`${model}: ${parallel} streamed tool call(s) accumulate exactly, then the results get a text answer`, async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = user('Weather and time? [[mock tools=2 chunks=2]]');
      const stream = client.chat.completions.stream({ model, messages, tools: TOOLS, stream_options: { include_usage: true } });
      const indices = new Set<number>();
      for await (const c of stream) for (const tc of c.choices[0]?.delta.tool_calls ?? []) indices.add(tc.index);
      const final = await within(8000, stream.finalChatCompletion());
      const choice = final.choices[0]!;
      assert.equal(choice.finish_reason, 'tool_calls');
      const calls = choice.message.tool_calls ?? [];
      assert.equal(calls.length, parallel);
      assert.deepEqual([...indices].sort(), parallel === 2 ? [0, 1] : [0], 'tool_calls[].index counts tool calls only');
      assert.deepEqual(
        calls.map((c) => (c.type === 'function' ? c.function.name : '')),
        ['get_forecast', 'get_time'].slice(0, parallel),
      );
      for (const c of calls) {
        assert.ok(c.type === 'function');
        assert.deepEqual(JSON.parse(c.function.arguments), model === 'demo' ? DEMO_ARGS : MOCK_TOOL_ARGS);
      }
      assert.equal(new Set(calls.map((c) => c.id)).size, parallel, 'distinct ids');

      messages.push(choice.message as OpenAI.ChatCompletionMessageParam);
      for (const c of calls) messages.push({ role: 'tool', tool_call_id: c.id, content: `result of ${c.id}: 21 °C` });
      const second = await within(8000, client.chat.completions.create({ model, messages, tools: TOOLS }));
      assert.equal(second.choices[0]!.finish_reason, 'stop');
      if (model === 'demo') assert.match(second.choices[0]!.message.content ?? '', /21 °C/);
      else assert.equal(second.choices[0]!.message.content, TEXT12);
    });
  }

  for (const model of ALL_MOCK) {
    test(`${model}: create() non-streaming with two tool calls`, async () => {
      const res = await within(8000, client.chat.completions.create({ model, messages: user('Both [[mock tools=2 chunks=1]]'), tools: TOOLS }));
      const choice = res.choices[0]!;
      assert.equal(choice.finish_reason, 'tool_calls');
      const calls = choice.message.tool_calls ?? [];
      assert.equal(calls.length, 2);
      for (const c of calls) {
        assert.ok(c.type === 'function' && c.id.length > 0);
        assert.deepEqual(JSON.parse(c.function.arguments), MOCK_TOOL_ARGS);
      }
    });
  }
});

describe('reasoning', () => {
  for (const model of [...NATIVE, 'm-an-sim', 'm-ge-always']) {
    test(`${model}: reasoning arrives as reasoning_content when the client asks (include_reasoning)`, async () => {
      const body = { model, messages: user('Think [[mock reasoning=3 chunks=2]]'), include_reasoning: true } as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
      const stream = client.chat.completions.stream(body);
      let reasoning = '';
      let content = '';
      for await (const c of stream) {
        const delta = c.choices[0]?.delta as { reasoning_content?: string; content?: string } | undefined;
        reasoning += delta?.reasoning_content ?? '';
        content += delta?.content ?? '';
      }
      const final = await within(8000, stream.finalChatCompletion());
      assert.equal(reasoning, mockReasoning(3).join(''));
      assert.equal(content, mockText(2).join(''));
      assert.equal(final.choices[0]!.finish_reason, 'stop');

      const res = await within(8000, client.chat.completions.create({ ...body, stream: false } as OpenAI.ChatCompletionCreateParamsNonStreaming));
      const message = res.choices[0]!.message as { reasoning_content?: string; content: string | null };
      assert.equal(message.reasoning_content, mockReasoning(3).join(''));
      assert.equal(message.content, mockText(2).join(''));
    });

    test(`${model}: reasoning is not sent to a client that did not ask`, async () => {
      const stream = client.chat.completions.stream({ model, messages: user('Think [[mock reasoning=3 chunks=2]]') });
      let reasoning = '';
      for await (const c of stream) reasoning += (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
      const final = await within(8000, stream.finalChatCompletion());
      assert.equal(reasoning, '');
      assert.equal(final.choices[0]!.message.content, mockText(2).join(''));
    });
  }
});

describe('usage', () => {
  for (const model of NATIVE) {
    test(`${model}: completion_tokens include reasoning and tool calls; reasoning_tokens where the upstream counts them`, async () => {
      // 5 text + 3 reasoning deltas + 10 per tool call (src/mock/content.ts), in OpenAI semantics.
      const stream = client.chat.completions.stream({
        model,
        messages: user('Hi [[mock chunks=5 reasoning=3 tool=1]]'),
        tools: TOOLS,
        stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const c of stream) if (c.usage) usage = c.usage;
      await stream.finalChatCompletion();
      const res = await within(8000, client.chat.completions.create({ model, messages: user('Hi [[mock chunks=5 reasoning=3 tool=1]]'), tools: TOOLS }));
      for (const u of [usage, res.usage]) {
        assert.equal(u?.prompt_tokens, 11);
        assert.equal(u?.completion_tokens, 18);
        assert.equal(u?.total_tokens, 29);
        // Anthropic reports no thinking count of its own (only output_tokens_details when present).
        if (model !== 'm-an') assert.equal(u?.completion_tokens_details?.reasoning_tokens, 3);
      }
    });
  }
});

describe('stop reasons', () => {
  const cases: Array<[string, string]> = [
    ['length', 'length'],
    ['content_filter', 'content_filter'],
  ];
  for (const model of NATIVE) {
    for (const [finish, expected] of cases) {
      test(`${model}: upstream finish ${finish} -> ${expected}`, async () => {
        const stream = client.chat.completions.stream({ model, messages: user(`x [[mock chunks=2 finish=${finish}]]`) });
        const final = await within(8000, stream.finalChatCompletion());
        assert.equal(final.choices[0]!.finish_reason, expected);
      });
    }
    test(`${model}: tools called with a stop finish -> tool_calls (Q-22)`, async () => {
      const stream = client.chat.completions.stream({ model, messages: user('x [[mock tool=1 chunks=1 fault=stop_with_tools]]'), tools: TOOLS });
      const final = await within(8000, stream.finalChatCompletion());
      assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
    });
  }
});
