// Issue 11 acceptance, Responses front: the official `openai` SDK (responses.stream, responses.create,
// non-streaming, a tool round trip over two turns, reasoning items sent back, previous_response_id)
// against sluice in front of `sluice mock`, for every upstream type and streaming mode, and what each
// upstream receives (the mock's records).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { MOCK_TOOL_ARGS, mockReasoning, mockText } from '../../src/mock/server.ts';
import { checkResponsesStream } from '../../src/protocols/openai-responses/conformance.ts';
import { readSse } from '../helpers/sluice.ts';
import { ALL, FORECAST_SCHEMA, NATIVE, RESPONSES_TARGETS, TIME_SCHEMA, recordFor, startResponsesEnv, uniqueTag, within, type ResponsesEnv } from './responses-env.ts';

let env: ResponsesEnv;
let client: OpenAI;

before(async () => {
  env = await startResponsesEnv();
  client = new OpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

const TEXT12 = mockText(12).join('');
const TOOLS: OpenAI.Responses.FunctionTool[] = [
  { type: 'function', name: 'get_forecast', description: 'Weather forecast', parameters: FORECAST_SCHEMA as unknown as Record<string, unknown>, strict: false },
  { type: 'function', name: 'get_time', description: 'Current time', parameters: TIME_SCHEMA as unknown as Record<string, unknown>, strict: false },
];
const DEMO_ARGS = { city: 'demo', days: 1, note: 'demo', units: 'demo', options: {} };

function expectText(model: string, text: string): void {
  if (model === 'demo') assert.match(text, /^Hello! This is the sluice demo model/);
  else assert.equal(text, TEXT12);
}

function dialectOf(model: string): string | undefined {
  return (RESPONSES_TARGETS as Record<string, string>)[model];
}

describe('text, streaming and not', () => {
  for (const model of ALL) {
    test(`${model}: responses.stream() + finalResponse(), responses.create()`, async () => {
      const stream = client.responses.stream({ model, input: 'Hi [[mock chunks=12]]' });
      const types: string[] = [];
      const sequence: number[] = [];
      let deltas = '';
      for await (const ev of stream) {
        types.push(ev.type);
        sequence.push(ev.sequence_number);
        if (ev.type === 'response.output_text.delta') deltas += ev.delta;
      }
      const final = await within(8000, stream.finalResponse());
      expectText(model, final.output_text);
      assert.equal(deltas, final.output_text);
      assert.equal(final.status, 'completed');
      assert.equal(final.model, model);
      assert.match(final.id, /^resp_/);
      assert.deepEqual(types.slice(0, 2), ['response.created', 'response.in_progress']);
      assert.equal(types.at(-1), 'response.completed');
      assert.deepEqual(sequence, sequence.map((_, i) => i), 'sequence_number from 0, one per event');
      assert.ok(final.usage && final.usage.output_tokens > 0 && final.usage.input_tokens > 0);
      assert.equal(final.usage.total_tokens, final.usage.input_tokens + final.usage.output_tokens);
      if (model !== 'demo') assert.deepEqual([final.usage.input_tokens, final.usage.output_tokens], [11, 12]);

      const res = await within(8000, client.responses.create({ model, input: 'Hi [[mock chunks=12]]' }));
      assert.equal(res.object, 'response');
      assert.equal(res.status, 'completed');
      expectText(model, res.output_text);
      assert.equal(res.output[0]!.type, 'message');
      assert.match(res.output[0]!.id, /^msg_/);
      assert.ok(res.usage && res.usage.output_tokens > 0);
    });

    test(`${model}: the raw stream obeys SPEC §3.1`, async () => {
      const res = await fetch(`${env.sluice.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
        body: JSON.stringify({ model, stream: true, input: 'Hi [[mock chunks=4 reasoning=2 tool=1]]', tools: TOOLS }),
      });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const { problems, answer } = checkResponsesStream(await res.text());
      assert.deepEqual(problems, []);
      assert.equal(answer.status, 'completed');
      if (model !== 'demo') assert.equal(answer.text, mockText(4).join(''));
    });
  }
});

describe('tool calls over two turns', () => {
  for (const model of ALL) {
    const parallel = model === 'demo' ? 1 : 2;
    test(`${model}: ${parallel} function call(s) (fc_ id ≠ call_id), then function_call_output gets a text answer`, async () => {
      const tag = uniqueTag(`tools-${model}`);
      const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: `${tag} Weather and time? [[mock tools=2 chunks=2]]` }];
      const stream = client.responses.stream({ model, input, tools: TOOLS });
      const argDeltas = new Map<string, string>();
      for await (const ev of stream) {
        if (ev.type === 'response.function_call_arguments.delta') argDeltas.set(ev.item_id, (argDeltas.get(ev.item_id) ?? '') + ev.delta);
      }
      const first = await within(8000, stream.finalResponse());
      const calls = (first.output as OpenAI.Responses.ResponseOutputItem[]).filter((i): i is OpenAI.Responses.ResponseFunctionToolCall => i.type === 'function_call');
      assert.equal(calls.length, parallel);
      assert.deepEqual(calls.map((c) => c.name), ['get_forecast', 'get_time'].slice(0, parallel));
      for (const c of calls) {
        assert.match(c.id!, /^fc_/);
        assert.notEqual(c.id, c.call_id);
        assert.deepEqual(JSON.parse(c.arguments), model === 'demo' ? DEMO_ARGS : MOCK_TOOL_ARGS);
        assert.equal(argDeltas.get(c.id!), c.arguments, 'streamed argument deltas add up to the arguments');
      }
      assert.equal(new Set(calls.map((c) => c.call_id)).size, parallel);

      const next: OpenAI.Responses.ResponseInput = [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[])];
      for (const c of calls) next.push({ type: 'function_call_output', call_id: c.call_id, output: `result of ${c.name}: 21 °C` });
      const second = await within(8000, client.responses.create({ model, input: next, tools: TOOLS }));
      if (model === 'demo') assert.match(second.output_text, /21 °C/);
      else {
        assert.equal(second.output_text, TEXT12);
        assertToolResultsUpstream(dialectOf(model)!, (await recordsFor(tag)).at(-1)!.body, calls);
      }
    });
  }
});

/** The second turn's tool results in each upstream's own form (docs/translation.md §4). */
function assertToolResultsUpstream(dialect: string, body: any, calls: OpenAI.Responses.ResponseFunctionToolCall[]): void {
  switch (dialect) {
    case 'openai': {
      const tools = body.messages.filter((m: any) => m.role === 'tool');
      assert.deepEqual(tools.map((m: any) => m.tool_call_id), calls.map((c) => c.call_id));
      assert.match(tools[0].content, /result of get_forecast/);
      const assistant = body.messages.find((m: any) => m.role === 'assistant');
      assert.deepEqual(assistant.tool_calls.map((t: any) => t.id), calls.map((c) => c.call_id));
      return;
    }
    case 'anthropic': {
      const results = body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).filter((b: any) => b.type === 'tool_result');
      assert.deepEqual(results.map((r: any) => r.tool_use_id), calls.map((c) => c.call_id));
      return;
    }
    case 'gemini': {
      const responses = body.contents.flatMap((c: any) => c.parts).filter((p: any) => p.functionResponse);
      assert.deepEqual(responses.map((p: any) => p.functionResponse.name), calls.map((c) => c.name));
      return;
    }
    case 'openai-responses': {
      const outputs = body.input.filter((i: any) => i.type === 'function_call_output');
      assert.deepEqual(outputs.map((o: any) => o.call_id), calls.map((c) => c.call_id));
      const sent = body.input.filter((i: any) => i.type === 'function_call');
      assert.deepEqual(sent.map((c: any) => c.id), calls.map((c) => c.id), 'the upstream sees its own item ids');
      return;
    }
  }
}

async function recordsFor(tag: string) {
  await recordFor(env.mock, tag);
  return env.mock.requests.filter((r) => JSON.stringify(r.body ?? '').includes(tag));
}

describe('reasoning items', () => {
  test('m-an: Anthropic thinking arrives as a reasoning item; sent back, the signed thinking is replayed exactly', async () => {
    const tag = uniqueTag('thinking');
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: `${tag} [[mock reasoning=3 tool=1 chunks=1]]` }];
    const first = await within(8000, client.responses.create({ model: 'm-an', input, tools: TOOLS, reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'] }));
    const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
    assert.equal(reasoning.type, 'reasoning');
    assert.equal(reasoning.summary[0]!.text, mockReasoning(3).join(''));
    assert.match(reasoning.encrypted_content ?? '', /^sluice\.v1\./);
    const call = first.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    const upstreamFirst = (await recordsFor(tag))[0]!.body as any;
    assert.equal(upstreamFirst.thinking.type, 'enabled', 'reasoning.effort became thinking');

    const next = [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output' as const, call_id: call.call_id, output: 'sunny' }];
    await within(8000, client.responses.create({ model: 'm-an', input: next, tools: TOOLS, reasoning: { effort: 'high' } }));
    const sent = (await recordsFor(tag)).at(-1)!.body as any;
    const assistant = sent.messages.find((m: any) => m.role === 'assistant');
    assert.deepEqual(assistant.content[0], { type: 'thinking', thinking: mockReasoning(3).join(''), signature: 'bW9jay1zaWduYXR1cmUtZm9yLXRoaW5raW5n' });
    assert.equal(sent.thinking.type, 'enabled', 'the tool loop keeps thinking on: its signed block came back');
  });

  test('m-ge: a Gemini thought signature bound to a call travels in a reasoning item and comes back on the call', async () => {
    const tag = uniqueTag('gemini-sig');
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: `${tag} [[mock reasoning=2 tool=1 chunks=1]]` }];
    const first = await within(8000, client.responses.create({ model: 'm-ge', input, tools: TOOLS }));
    const call = first.output.find((i) => i.type === 'function_call') as OpenAI.Responses.ResponseFunctionToolCall;
    const next = [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output' as const, call_id: call.call_id, output: 'sunny' }];
    await within(8000, client.responses.create({ model: 'm-ge', input: next, tools: TOOLS }));
    const sent = (await recordsFor(tag)).at(-1)!.body as any;
    const part = sent.contents.flatMap((c: any) => c.parts).find((p: any) => p.functionCall);
    assert.equal(part.thoughtSignature, 'bW9jay10aG91Z2h0LXNpZ25hdHVyZQ==');
  });

  test('m-rs: OpenAI reasoning keeps its id and encrypted_content byte for byte, both ways', async () => {
    const tag = uniqueTag('rs-reasoning');
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: `${tag} [[mock reasoning=2 chunks=2]]` }];
    const stream = client.responses.stream({ model: 'm-rs', input, include: ['reasoning.encrypted_content'], store: false, prompt_cache_key: 'k-1' });
    for await (const _ of stream);
    const first = await within(8000, stream.finalResponse());
    const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
    const rec = (await recordsFor(tag))[0]!;
    assert.match(reasoning.id, new RegExp(`^rs_mock${rec.id}$`));
    assert.equal(reasoning.encrypted_content, `gAAAAABmock${rec.id}${Buffer.from(mockReasoning(2).join('')).toString('base64')}`);
    assert.equal(first.output[1]!.id, `msg_mock${rec.id}`, 'message ids pass through too');
    const body = rec.body as any;
    assert.deepEqual([body.include, body.store, body.prompt_cache_key], [['reasoning.encrypted_content'], false, 'k-1']);

    await within(8000, client.responses.create({ model: 'm-rs', input: [...input, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'more' }] }));
    const sent = (await recordsFor(tag)).at(-1)!.body as any;
    assert.deepEqual(sent.input[1], JSON.parse(JSON.stringify(first.output[0])), 'the reasoning item reaches OpenAI unchanged');
  });
});

describe('previous_response_id with responses.store', () => {
  test('the second turn replays the first; GET and DELETE /v1/responses/{id}', async () => {
    const tag = uniqueTag('prev');
    const first = await within(8000, client.responses.create({ model: 'm-an', input: `${tag} first [[mock chunks=3]]`, instructions: 'Be brief.' }));
    const second = await within(8000, client.responses.create({ model: 'm-oa', input: 'second [[mock chunks=2]]', previous_response_id: first.id }));
    assert.equal(second.output_text, mockText(2).join(''));
    assert.equal(second.previous_response_id, first.id);
    const sent = (await recordsFor(tag)).at(-1)!.body as any;
    assert.equal(sent.model, 'gpt-x', 'the next turn may go to another upstream type');
    assert.deepEqual(
      sent.messages.map((m: any) => [m.role, typeof m.content === 'string' ? m.content : m.content]),
      [
        ['user', `${tag} first [[mock chunks=3]]`],
        ['assistant', mockText(3).join('')],
        ['user', 'second [[mock chunks=2]]'],
      ],
      'instructions are not carried over; the stored turn is',
    );

    const got = await client.responses.retrieve(first.id);
    assert.equal(got.id, first.id);
    assert.equal(got.output_text, mockText(3).join(''));
    const deleted = await fetch(`${env.sluice.url}/v1/responses/${first.id}`, { method: 'DELETE', headers: { authorization: 'Bearer x' } });
    assert.deepEqual(await deleted.json(), { id: first.id, object: 'response', deleted: true });
    await assert.rejects(client.responses.retrieve(first.id), (err: unknown) => err instanceof OpenAI.NotFoundError && /not found/.test(err.message));
    await assert.rejects(client.responses.create({ model: 'm-an', input: 'x', previous_response_id: first.id }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.match(err.message, /not found: it is unknown to this sluice or expired/);
      return true;
    });
  });

  test('streamed responses are stored too; store: false is not', async () => {
    const stream = client.responses.stream({ model: 'm-ge', input: 'a [[mock chunks=2]]' });
    for await (const _ of stream);
    const final = await stream.finalResponse();
    const got = await client.responses.retrieve(final.id);
    assert.equal(got.output_text, mockText(2).join(''));
    const unstored = await client.responses.create({ model: 'm-ge', input: 'b [[mock chunks=2]]', store: false });
    await assert.rejects(client.responses.retrieve(unstored.id), OpenAI.NotFoundError);
  });
});

describe('request features reach each upstream', () => {
  for (const model of NATIVE) {
    test(`${model}: instructions, text.format, max_output_tokens, tool_choice, image and file inputs`, async () => {
      const tag = uniqueTag(`features-${model}`);
      await within(
        8000,
        client.responses.create({
          model,
          instructions: 'Answer in JSON.',
          max_output_tokens: 321,
          tools: TOOLS,
          tool_choice: { type: 'function', name: 'get_time' },
          text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: false } },
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: `${tag} look [[mock chunks=2]]` },
                { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'auto' },
                { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0xLjQ=', filename: 'r.pdf' },
              ],
            },
          ],
        }),
      );
      const body = (await recordsFor(tag))[0]!.body as any;
      switch (dialectOf(model)) {
        case 'openai':
          assert.equal(body.messages[0].content, 'Answer in JSON.');
          assert.equal(body.max_tokens, 321);
          assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'get_time' } });
          assert.equal(body.response_format.json_schema.name, 'answer');
          assert.deepEqual(body.messages[1].content.map((p: any) => p.type), ['text', 'image_url', 'file']);
          break;
        case 'anthropic':
          assert.equal(body.system, 'Answer in JSON.');
          assert.equal(body.max_tokens, 321);
          assert.deepEqual(body.tool_choice, { type: 'tool', name: 'get_time' });
          assert.deepEqual(body.output_config.format.type, 'json_schema');
          assert.deepEqual(body.messages[0].content.map((p: any) => p.type), ['text', 'image', 'document']);
          break;
        case 'gemini':
          assert.equal(body.systemInstruction.parts[0].text, 'Answer in JSON.');
          assert.equal(body.generationConfig.maxOutputTokens, 321);
          assert.equal(body.generationConfig.responseMimeType, 'application/json');
          assert.deepEqual(body.toolConfig.functionCallingConfig, { mode: 'ANY', allowedFunctionNames: ['get_time'] });
          assert.deepEqual(body.contents[0].parts.map((p: any) => Object.keys(p)[0]), ['text', 'inlineData', 'inlineData']);
          break;
        case 'openai-responses':
          assert.equal(body.instructions, 'Answer in JSON.');
          assert.equal(body.max_output_tokens, 321);
          assert.equal(body.input[0].content[2].filename, 'r.pdf');
          break;
      }
    });
  }

  test('a custom tool is a one-string function upstream and a custom_tool_call for the client', async () => {
    const tag = uniqueTag('custom');
    const res = await within(
      8000,
      client.responses.create({
        model: 'm-an',
        input: `${tag} patch it [[mock tool=apply_patch chunks=1]]`,
        tools: [{ type: 'custom', name: 'apply_patch', description: 'Apply a patch' }],
      }),
    );
    const call = res.output.find((i) => i.type === 'custom_tool_call') as OpenAI.Responses.ResponseCustomToolCall;
    assert.ok(call, `a custom_tool_call item in ${JSON.stringify(res.output.map((i) => i.type))}`);
    assert.equal(call.name, 'apply_patch');
    assert.match(call.id!, /^ctc_/);
    const body = (await recordsFor(tag))[0]!.body as any;
    assert.deepEqual(body.tools[0].input_schema.required, ['input']);
  });
});

describe('built-in tools', () => {
  test('go to an openai-responses upstream; elsewhere a 400 naming the provider, nothing sent', async () => {
    const tag = uniqueTag('builtin');
    await within(8000, client.responses.create({ model: 'm-rs', input: `${tag} [[mock chunks=1]]`, tools: [{ type: 'web_search' }] }));
    assert.deepEqual(((await recordsFor(tag))[0]!.body as any).tools, [{ type: 'web_search' }]);
    const other = uniqueTag('builtin-an');
    await assert.rejects(client.responses.create({ model: 'm-an', input: `${other} [[mock chunks=1]]`, tools: [{ type: 'web_search' }] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError);
      assert.match(err.message, /built-in tool "web_search" is only supported by openai-responses upstreams \(provider an speaks anthropic\)/);
      return true;
    });
    assert.ok(!env.mock.requests.some((r) => JSON.stringify(r.body ?? '').includes(other)), 'nothing sent upstream');
  });
});

describe('bad input: 400 in the Responses error shape, nothing sent upstream', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a malformed item', { input: [{ type: 'function_call', call_id: 'c1', arguments: '{}' }] }, /'input\[0\]\.name'/],
    ['a content part without text', { input: [{ role: 'user', content: [{ type: 'input_text' }] }] }, /'input\[0\]\.content\[0\]\.text'/],
    ['a function_call_output with no matching call', { input: [{ role: 'user', content: 'x' }, { type: 'function_call_output', call_id: 'call_nope', output: 'r' }] }, /No tool call found for function_call_output with call_id 'call_nope'/],
    ['an unknown previous_response_id', { input: 'x', previous_response_id: 'resp_unknown' }, /Previous response with id 'resp_unknown' not found/],
    ['invalid JSON', {}, /JSON/],
  ];
  for (const [name, extra, pattern] of cases) {
    test(name, async () => {
      const tag = uniqueTag('bad');
      const body = name === 'invalid JSON' ? `{"model":"m-an","input":"${tag}",` : JSON.stringify({ model: 'm-an', ...extra, metadata: { tag } });
      const res = await fetch(`${env.sluice.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body });
      assert.equal(res.status, 400);
      const json = (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } };
      assert.equal(json.error.type, 'invalid_request_error');
      assert.match(json.error.message, pattern);
      assert.ok(!env.mock.requests.some((r) => JSON.stringify(r.body ?? '').includes(tag)), 'nothing sent upstream');
    });
  }

  test('unknown item types are accepted', async () => {
    const res = await within(
      8000,
      client.responses.create({
        model: 'm-an',
        input: [{ role: 'user', content: 'x [[mock chunks=2]]' }, { type: 'brand_new_item_2027', data: 1 } as unknown as OpenAI.Responses.ResponseInputItem],
      }),
    );
    assert.equal(res.output_text, mockText(2).join(''));
  });

  test('previous_response_id without a store: 400 saying so; GET is a 404', async () => {
    const bare = await startResponsesEnv('');
    try {
      const c = new OpenAI({ baseURL: `${bare.sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
      const first = await c.responses.create({ model: 'm-an', input: 'x [[mock chunks=1]]' });
      await assert.rejects(c.responses.create({ model: 'm-an', input: 'y', previous_response_id: first.id }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError);
        assert.match(err.message, /keeps no responses \(set responses\.store: true/);
        assert.equal((err.error as { param?: string }).param, 'previous_response_id');
        return true;
      });
      assert.equal(bare.mock.requests.length, 1, 'nothing sent upstream');
      await assert.rejects(c.responses.retrieve(first.id), (err: unknown) => err instanceof OpenAI.NotFoundError && /keeps no responses/.test(err.message));
    } finally {
      await bare.close();
    }
  });
});

describe('stop reasons and usage', () => {
  for (const model of NATIVE) {
    test(`${model}: length → incomplete (max_output_tokens); usage names with cached and reasoning tokens`, async () => {
      const res = await within(8000, client.responses.create({ model, input: 'x [[mock chunks=2 finish=length]]' }));
      assert.equal(res.status, 'incomplete');
      assert.equal(res.incomplete_details?.reason, 'max_output_tokens');
      const stream = client.responses.stream({ model, input: 'x [[mock chunks=2 finish=content_filter]]' });
      const events: string[] = [];
      for await (const ev of stream) events.push(ev.type);
      assert.equal(events.at(-1), 'response.incomplete');
      const withReasoning = await client.responses.create({ model, input: 'x [[mock chunks=5 reasoning=3]]' });
      assert.equal(withReasoning.usage!.output_tokens, 8);
      assert.equal(typeof withReasoning.usage!.input_tokens_details.cached_tokens, 'number');
      if (model !== 'm-an') assert.equal(withReasoning.usage!.output_tokens_details.reasoning_tokens, 3);
    });
  }
});

test('an error event mid-stream is an APIError, then the stream ends; raw: error then response.failed', async () => {
  const stream = client.responses.stream({ model: 'm-an', input: 'x [[mock chunks=12 fault=error_mid after=6]]' });
  let text = '';
  await within(
    8000,
    assert.rejects(
      (async () => {
        for await (const ev of stream) if (ev.type === 'response.output_text.delta') text += ev.delta;
      })(),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, `an APIError (not a parse error), got ${String(err)}`);
        assert.match(err.message, /Overloaded/);
        return true;
      },
    ),
  );
  assert.ok(text.length > 0 && TEXT12.startsWith(text));
  const res = await fetch(`${env.sluice.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm-an', stream: true, input: 'x [[mock chunks=12 fault=error_mid after=6]]' }),
  });
  const events = await readSse(res);
  assert.deepEqual(events.slice(-2).map((e) => e.event), ['error', 'response.failed']);
  assert.equal(JSON.parse(events.at(-1)!.data).response.error.code, 'overloaded');
});

test('GET /v1/models answers Codex (models, ETag, 304) and OpenAI clients (data) in one body', async () => {
  const res = await fetch(`${env.sluice.url}/v1/models?client_version=0.171.0`, { headers: { authorization: 'Bearer x' } });
  assert.equal(res.status, 200);
  const etag = res.headers.get('etag');
  assert.match(etag ?? '', /^"[\w-]+"$/);
  const body = (await res.json()) as { data: Array<{ id: string }>; models: Array<{ slug: string; supported_reasoning_levels: unknown[]; base_instructions?: unknown }> };
  assert.ok(body.data.some((m) => m.id === 'm-an'));
  assert.deepEqual(body.models.map((m) => m.slug), body.data.map((m) => m.id));
  assert.ok(body.models.every((m) => m.supported_reasoning_levels.length > 0 && m.base_instructions === undefined));
  const again = await fetch(`${env.sluice.url}/v1/models?client_version=0.171.0`, { headers: { authorization: 'Bearer x', 'if-none-match': etag! } });
  assert.equal(again.status, 304);
  const listed = [];
  for await (const m of client.models.list()) listed.push(m.id);
  assert.ok(listed.includes('m-rs'));
});
