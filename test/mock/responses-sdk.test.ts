// `sluice mock` imitates OpenAI's /v1/responses: its answers must be what the official SDK accepts
// when pointed straight at it — lifecycle, items, function calls, reasoning, usage, and the mid-stream
// error the SDK raises.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { MOCK_TOOL_ARGS, type MockServer, mockReasoning, mockText, startMock } from '../../src/mock/server.ts';

let mock: MockServer;
let openai: OpenAI;

before(async () => {
  mock = await startMock();
  openai = new OpenAI({ baseURL: mock.url + '/v1', apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => mock.close());

const TOOLS: OpenAI.Responses.FunctionTool[] = [{ type: 'function', name: 'get_forecast', parameters: { type: 'object' }, strict: false }];

describe('OpenAI SDK against the mock’s Responses dialect', () => {
  test('responses.stream(): text, sequence numbers, usage; the final response matches the stream', async () => {
    const stream = openai.responses.stream({ model: 'gpt-mock', input: 'Hi' });
    const seq: number[] = [];
    let text = '';
    for await (const ev of stream) {
      seq.push(ev.sequence_number);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    const final = await stream.finalResponse();
    assert.equal(text, mockText(12).join(''));
    assert.equal(final.output_text, text);
    assert.deepEqual(seq, seq.map((_, i) => i));
    assert.deepEqual([final.usage?.input_tokens, final.usage?.output_tokens, final.usage?.total_tokens], [11, 12, 23]);
  });

  test('reasoning and parallel function calls; non-streaming create gives the same items', async () => {
    const stream = openai.responses.stream({ model: 'gpt-mock', input: 'Hi [[mock reasoning=2 tools=2 chunks=1]]', tools: TOOLS });
    for await (const _ of stream);
    const final = await stream.finalResponse();
    assert.deepEqual(final.output.map((i) => i.type), ['reasoning', 'message', 'function_call', 'function_call']);
    const reasoning = final.output[0] as OpenAI.Responses.ResponseReasoningItem;
    assert.equal(reasoning.summary[0]!.text, mockReasoning(2).join(''));
    assert.ok(reasoning.encrypted_content);
    for (const call of final.output.slice(2) as OpenAI.Responses.ResponseFunctionToolCall[]) {
      assert.deepEqual(JSON.parse(call.arguments), MOCK_TOOL_ARGS);
      assert.notEqual(call.id, call.call_id);
    }
    assert.equal(final.usage?.output_tokens_details.reasoning_tokens, 2);
    const created = await openai.responses.create({ model: 'gpt-mock', input: 'Hi [[mock reasoning=2 tools=2 chunks=1]]', tools: TOOLS });
    assert.deepEqual(created.output.map((i) => i.type), ['reasoning', 'message', 'function_call', 'function_call']);
  });

  test('finish=length is response.incomplete; fault=error_mid is an APIError', async () => {
    const res = await openai.responses.create({ model: 'gpt-mock', input: 'x [[mock finish=length chunks=2]]' });
    assert.equal(res.status, 'incomplete');
    assert.equal(res.incomplete_details?.reason, 'max_output_tokens');
    await assert.rejects(
      (async () => {
        const stream = openai.responses.stream({ model: 'gpt-mock', input: 'x [[mock fault=error_mid after=5]]' });
        for await (const _ of stream);
      })(),
      (err: unknown) => err instanceof OpenAI.APIError && /server had an error/.test(err.message),
    );
  });

  test('a body without input is a 400 in OpenAI’s shape', async () => {
    await assert.rejects(openai.responses.create({ model: 'gpt-mock' } as OpenAI.Responses.ResponseCreateParamsNonStreaming), (err: unknown) => err instanceof OpenAI.BadRequestError && /input/.test(err.message));
  });
});
