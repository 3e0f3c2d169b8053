// Issue 3 acceptance, Vercel AI SDK: `streamText` through `@ai-sdk/openai-compatible` (OpenAI front)
// and `@ai-sdk/anthropic` (Anthropic front), against every upstream type of `sluice mock` and the
// demo model: text, a tool call surfaced in `toolCalls` (no execute function), finishReason, usage.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stepCountIs, streamText, tool, type JSONValue, type LanguageModel } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createAnthropic } from '@ai-sdk/anthropic';
import { z } from 'zod';
import { MOCK_TOOL_ARGS, mockReasoning, mockText } from '../../src/mock/server.ts';
import { ALL_MOCK, NATIVE, assertUsage, startTranslationEnv, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let fronts: Record<'openai-compatible' | 'anthropic', (model: string) => LanguageModel>;

before(async () => {
  env = await startTranslationEnv();
  const compatible = createOpenAICompatible({ name: 'sluice', baseURL: `${env.sluice.url}/v1`, apiKey: 'x', includeUsage: true });
  const anthropic = createAnthropic({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x' });
  fronts = { 'openai-compatible': (m) => compatible.chatModel(m), anthropic: (m) => anthropic(m) };
});
after(() => env?.close());

const TEXT12 = mockText(12).join('');
const TARGETS = [...ALL_MOCK, 'demo'];

const tools = {
  get_forecast: tool({
    description: 'Weather forecast',
    inputSchema: z.object({
      city: z.string(),
      days: z.number(),
      note: z.string(),
      units: z.string(),
      options: z.object({ hourly: z.boolean().optional(), levels: z.array(z.number().nullable()).optional() }),
    }),
  }),
};
const DEMO_ARGS = { city: 'demo', days: 1, note: 'demo', units: 'demo', options: {} };

/** Runs streamText to the end; stream errors (which streamText reports, not throws) fail the test. */
async function run(params: Parameters<typeof streamText>[0]) {
  const errors: unknown[] = [];
  const result = streamText({ ...params, maxRetries: 0, onError: ({ error }) => void errors.push(error) });
  const [text, toolCalls, finishReason, usage, reasoningText] = await within(
    8000,
    Promise.all([result.text, result.toolCalls, result.finishReason, result.usage, result.reasoningText]),
  );
  assert.deepEqual(errors, [], 'no stream errors');
  return { text, toolCalls, finishReason, usage, reasoningText };
}

for (const front of ['openai-compatible', 'anthropic'] as const) {
  describe(`${front} provider`, () => {
    for (const model of TARGETS) {
      test(`${model}: text, finishReason stop, usage`, async () => {
        const r = await run({ model: fronts[front](model), prompt: 'Hi [[mock chunks=12]]' });
        if (model === 'demo') assert.match(r.text, /^Hello! This is the sluice demo model/);
        else assert.equal(r.text, TEXT12);
        assert.equal(r.finishReason, 'stop');
        assertUsage(r.usage.inputTokens, r.usage.outputTokens, model);
        if (model !== 'demo') assert.deepEqual([r.usage.inputTokens, r.usage.outputTokens], [11, 12]);
      });

      test(`${model}: a tool call surfaces in toolCalls, finishReason tool-calls`, async () => {
        const r = await run({ model: fronts[front](model), prompt: 'Weather? [[mock tool=1 chunks=2]]', tools });
        assert.equal(r.finishReason, 'tool-calls');
        assert.equal(r.toolCalls.length, 1);
        const call = r.toolCalls[0]!;
        assert.equal(call.toolName, 'get_forecast');
        assert.ok(call.toolCallId.length > 0);
        assert.deepEqual(call.input, model === 'demo' ? DEMO_ARGS : MOCK_TOOL_ARGS);
        assertUsage(r.usage.inputTokens, r.usage.outputTokens, model);
      });
    }

    for (const model of TARGETS) {
      test(`${model}: two steps — the SDK runs the tool and sends its result back; a text answer follows`, async () => {
        const seen: unknown[] = [];
        const executing = {
          get_forecast: tool({
            description: 'Weather forecast',
            inputSchema: tools.get_forecast.inputSchema,
            execute: async (input) => {
              seen.push(input);
              return { temp: 21, sky: 'clear' };
            },
          }),
        };
        const result = streamText({
          model: fronts[front](model),
          system: 'You are terse.',
          prompt: 'Weather? [[mock tool=1 chunks=2]]',
          tools: executing,
          stopWhen: stepCountIs(2),
          maxRetries: 0,
          onError: ({ error }) => {
            throw error;
          },
        });
        const [text, steps, finishReason] = await within(8000, Promise.all([result.text, result.steps, result.finishReason]));
        assert.equal(steps.length, 2);
        assert.deepEqual(seen, [model === 'demo' ? DEMO_ARGS : MOCK_TOOL_ARGS]);
        assert.equal(steps[0]!.finishReason, 'tool-calls');
        assert.equal(finishReason, 'stop');
        if (model === 'demo') assert.match(text, /clear/);
        else assert.equal(text, TEXT12);
      });
    }

    for (const model of NATIVE) {
      test(`${model}: reasoning arrives as reasoningText`, async () => {
        const providerOptions: Record<string, Record<string, JSONValue>> =
          front === 'anthropic' ? { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } } : { sluice: { include_reasoning: true } };
        const r = await run({ model: fronts[front](model), prompt: 'Think [[mock reasoning=3 chunks=2]]', providerOptions });
        assert.equal(r.reasoningText, mockReasoning(3).join(''));
        assert.equal(r.text, mockText(2).join(''));
        assert.equal(r.finishReason, 'stop');
      });
    }
  });
}
