// Issue 11 acceptance, OpenAI Agents SDK (`@openai/agents`, which uses the Responses API through
// openai-node 7): one tool-using agent runs to its final output against every upstream type of
// `sluice mock` and the demo model. Tracing is off: it would export to OpenAI.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, OpenAIProvider, Runner, setTracingDisabled, tool } from '@openai/agents';
import { MOCK_TOOL_ARGS, mockText } from '../../src/mock/server.ts';
import { ALL, FORECAST_SCHEMA, recordFor, startResponsesEnv, uniqueTag, within, type ResponsesEnv } from './responses-env.ts';

let env: ResponsesEnv;
let runner: Runner;

before(async () => {
  setTracingDisabled(true);
  env = await startResponsesEnv();
  const provider = new OpenAIProvider({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', useResponses: true });
  runner = new Runner({ modelProvider: provider, tracingDisabled: true });
});
after(() => env?.close());

const DEMO_ARGS = { city: 'demo', days: 1, note: 'demo', units: 'demo', options: {} };

describe('one tool-using agent', () => {
  for (const model of ALL) {
    test(`${model}: the agent calls get_forecast, gets its result, and answers`, async () => {
      const calls: unknown[] = [];
      const getForecast = tool({
        name: 'get_forecast',
        description: 'Weather forecast for a city',
        parameters: FORECAST_SCHEMA as unknown as { type: 'object'; properties: Record<string, unknown>; required: string[]; additionalProperties: true },
        strict: false,
        execute: async (input) => {
          calls.push(input);
          return 'High of 21 °C, sunny.';
        },
      });
      const agent = new Agent({ name: 'weather', instructions: 'Answer weather questions with the tool.', model, tools: [getForecast] });
      const tag = uniqueTag(`agent-${model}`);
      const result = await within(15_000, runner.run(agent, `${tag} Weather in Oslo? [[mock tool=1 chunks=12]]`, { maxTurns: 3 }));
      assert.equal(calls.length, 1, 'the tool ran once');
      assert.deepEqual(calls[0], model === 'demo' ? DEMO_ARGS : MOCK_TOOL_ARGS);
      if (model === 'demo') assert.match(String(result.finalOutput), /21 °C/);
      else assert.equal(result.finalOutput, mockText(12).join(''));
      const kinds = result.newItems.map((i) => i.type);
      assert.ok(kinds.includes('tool_call_item') && kinds.includes('tool_call_output_item') && kinds.at(-1) === 'message_output_item', kinds.join(','));
      if (model !== 'demo') {
        await recordFor(env.mock, tag);
        const second = env.mock.requests.filter((r) => JSON.stringify(r.body ?? '').includes(tag)).at(-1)!.body;
        assert.ok(JSON.stringify(second).includes('High of 21'), 'the tool result reached the upstream');
      }
    });
  }
});
