// Issue 11 acceptance, Vercel AI SDK: the default `@ai-sdk/openai` provider (`openai(model)` speaks the
// Responses API) with `streamText`, against every upstream type of `sluice mock` and the demo model:
// text, reasoning, a tool call surfaced in toolCalls, a two-step tool loop (the SDK refers to its
// earlier assistant items with `item_reference`, resolved from sluice's store), finishReason, usage.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stepCountIs, streamText, tool } from 'ai';
import { createOpenAI, type OpenAIProvider } from '@ai-sdk/openai';
import { z } from 'zod';
import { MOCK_TOOL_ARGS, mockReasoning, mockText } from '../../src/mock/server.ts';
import { ALL, NATIVE, assertUsage, recordFor, startResponsesEnv, uniqueTag, within, type ResponsesEnv } from './responses-env.ts';

let env: ResponsesEnv;
let openai: OpenAIProvider;

before(async () => {
  env = await startResponsesEnv();
  openai = createOpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x' });
});
after(() => env?.close());

const TEXT12 = mockText(12).join('');
const DEMO_ARGS = { city: 'demo', days: 1, note: 'demo', units: 'demo', options: {} };
const forecastInput = z.object({
  city: z.string(),
  days: z.number(),
  note: z.string(),
  units: z.string(),
  options: z.object({ hourly: z.boolean().optional(), levels: z.array(z.number().nullable()).optional() }),
});

/** Runs streamText to the end; stream errors (which streamText reports, not throws) fail the test. */
async function run(params: Parameters<typeof streamText>[0]) {
  const errors: unknown[] = [];
  const result = streamText({ ...params, maxRetries: 0, onError: ({ error }) => void errors.push(error) });
  const [text, toolCalls, finishReason, usage, reasoningText, steps] = await within(
    8000,
    Promise.all([result.text, result.toolCalls, result.finishReason, result.usage, result.reasoningText, result.steps]),
  );
  assert.deepEqual(errors, [], 'no stream errors');
  return { text, toolCalls, finishReason, usage, reasoningText, steps };
}

describe('openai(model): the Responses API', () => {
  for (const model of ALL) {
    test(`${model}: text, finishReason stop, usage`, async () => {
      const r = await run({ model: openai(model), prompt: 'Hi [[mock chunks=12]]' });
      if (model === 'demo') assert.match(r.text, /^Hello! This is the sluice demo model/);
      else assert.equal(r.text, TEXT12);
      assert.equal(r.finishReason, 'stop');
      assertUsage(r.usage.inputTokens, r.usage.outputTokens, model);
      if (model !== 'demo') assert.deepEqual([r.usage.inputTokens, r.usage.outputTokens], [11, 12]);
    });

    test(`${model}: a tool call without execute ends the step with toolCalls`, async () => {
      const r = await run({ model: openai(model), prompt: 'Weather? [[mock tool=1 chunks=2]]', tools: { get_forecast: tool({ description: 'Weather', inputSchema: forecastInput }) } });
      assert.equal(r.finishReason, 'tool-calls');
      assert.equal(r.toolCalls.length, 1);
      assert.equal(r.toolCalls[0]!.toolName, 'get_forecast');
      assert.deepEqual(r.toolCalls[0]!.input, model === 'demo' ? DEMO_ARGS : MOCK_TOOL_ARGS);
    });
  }

  for (const model of NATIVE) {
    test(`${model}: a two-step tool loop (execute, then the answer), reasoning shown`, async () => {
      const tag = uniqueTag(`loop-${model}`);
      let executed = 0;
      const r = await run({
        model: openai(model),
        prompt: `${tag} Weather? [[mock tool=1 chunks=2 reasoning=2]]`,
        tools: {
          get_forecast: tool({
            description: 'Weather',
            inputSchema: forecastInput,
            execute: async (input) => {
              executed++;
              assert.deepEqual(input, MOCK_TOOL_ARGS);
              return { high_c: 21 };
            },
          }),
        },
        stopWhen: stepCountIs(3),
      });
      assert.equal(executed, 1);
      assert.equal(r.steps.length, 2);
      assert.equal(r.finishReason, 'stop');
      assert.equal(r.text, mockText(12).join(''), 'the second step answers with text');
      assert.equal(r.steps[0]!.reasoningText, mockReasoning(2).join(''));
      await recordFor(env.mock, tag);
      const second = env.mock.requests.filter((q) => JSON.stringify(q.body ?? '').includes(tag)).at(-1)!.body as Record<string, unknown>;
      assert.ok(JSON.stringify(second).includes('21'), 'the tool result reached the upstream');
    });
  }
});

test('without responses.store, the item_reference the SDK sends in step 2 is a clear error naming the fix', async () => {
  const bare = await startResponsesEnv('');
  try {
    const provider = createOpenAI({ baseURL: `${bare.sluice.url}/v1`, apiKey: 'x' });
    const errors: unknown[] = [];
    const result = streamText({
      model: provider('m-an'),
      prompt: 'Weather? [[mock tool=1 chunks=2 reasoning=2]]',
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
      tools: { get_forecast: tool({ inputSchema: forecastInput, execute: async () => ({ high_c: 21 }) }) },
      stopWhen: stepCountIs(3),
    });
    await within(8000, Promise.resolve(result.consumeStream()));
    assert.equal(errors.length, 1);
    assert.match(String((errors[0] as Error).message), /item_reference 'rs_\w+' cannot be resolved: sluice keeps no responses \(set responses\.store: true\)/);
    // With `store: false` the SDK sends the items themselves, and the loop works without a store.
    const stateless = await run({
      model: provider('m-an'),
      prompt: 'Weather? [[mock tool=1 chunks=2 reasoning=2]]',
      providerOptions: { openai: { store: false } },
      tools: { get_forecast: tool({ inputSchema: forecastInput, execute: async () => ({ high_c: 21 }) }) },
      stopWhen: stepCountIs(3),
    });
    assert.equal(stateless.steps.length, 2);
    assert.equal(stateless.text, TEXT12);
  } finally {
    await bare.close();
  }
});
