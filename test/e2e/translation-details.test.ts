// Issue 3, the finer points of every direction: Gemini thought signatures through the OpenAI front
// (extra_content) and non-streaming Anthropic front; Anthropic thinking through the OpenAI front;
// stop reasons by the tables of translation.md §6; errors in the OpenAI dialect from Anthropic and
// Gemini upstreams; prefill; stop sequences, parameters and headers reaching each upstream.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { MOCK_TOOL_ARGS, mockReasoning, mockText } from '../../src/mock/server.ts';
import { FORECAST_SCHEMA, NATIVE, recordFor, startTranslationEnv, uniqueTag, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  env = await startTranslationEnv();
  openai = new OpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: env.sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

const OPENAI_TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_forecast', parameters: FORECAST_SCHEMA as unknown as OpenAI.FunctionParameters } },
];
const ANTHROPIC_TOOLS: Anthropic.Tool[] = [{ name: 'get_forecast', input_schema: FORECAST_SCHEMA as unknown as Anthropic.Tool.InputSchema }];

type WithExtra = { extra_content?: { google?: { thought_signature?: string } } };

describe('Gemini thought signatures', () => {
  test('OpenAI front, streaming: extra_content.google.thought_signature out, and back as thoughtSignature', async () => {
    const tag = uniqueTag('ge-sig-oa');
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `${tag} [[mock reasoning=1 tool=1 chunks=1]]` }];
    const stream = openai.chat.completions.stream({ model: 'm-ge', messages, tools: OPENAI_TOOLS });
    let signature: string | undefined;
    for await (const c of stream) for (const tc of c.choices[0]?.delta.tool_calls ?? []) signature ??= (tc as WithExtra).extra_content?.google?.thought_signature;
    const final = await within(8000, stream.finalChatCompletion());
    assert.ok(signature, 'the first tool-call fragment carries the signature');
    const call = final.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function');

    const tag2 = uniqueTag('ge-sig-oa-2');
    // A client that keeps the field (Google's own OpenAI-compatible convention) sends it back.
    messages.push({ role: 'assistant', content: null, tool_calls: [{ ...call, extra_content: { google: { thought_signature: signature } } } as OpenAI.ChatCompletionMessageToolCall] });
    messages.push({ role: 'tool', tool_call_id: call.id, content: tag2 });
    const second = await within(8000, openai.chat.completions.create({ model: 'm-ge', messages, tools: OPENAI_TOOLS }));
    assert.equal(second.choices[0]!.finish_reason, 'stop');
    const body = (await recordFor(env.mock, tag2)).body;
    const fc = body.contents.find((c: any) => c.role === 'model').parts.find((p: any) => p.functionCall);
    assert.equal(fc.thoughtSignature, signature);
    assert.deepEqual(fc.functionCall.args, MOCK_TOOL_ARGS);
  });

  test('OpenAI front, non-streaming: the signature is on the tool call', async () => {
    const res = await within(8000, openai.chat.completions.create({ model: 'm-ge', messages: [{ role: 'user', content: 'x [[mock reasoning=1 tool=1 chunks=1]]' }], tools: OPENAI_TOOLS }));
    const call = res.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageToolCall & WithExtra;
    assert.ok(call.extra_content?.google?.thought_signature);
  });

  test('a client that drops the signature: the Gemini upstream still gets a thoughtSignature for the current turn', async () => {
    const tag = uniqueTag('ge-nosig');
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: `${tag} weather?` },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_x', type: 'function', function: { name: 'get_forecast', arguments: '{"city":"Oslo"}' } }] },
      { role: 'tool', tool_call_id: 'call_x', content: 'sunny' },
    ];
    await within(8000, openai.chat.completions.create({ model: 'm-ge', messages, tools: OPENAI_TOOLS }));
    const body = (await recordFor(env.mock, tag)).body;
    const fc = body.contents.find((c: any) => c.role === 'model').parts.find((p: any) => p.functionCall);
    assert.equal(fc.thoughtSignature, 'skip_thought_signature_validator', 'Google’s documented dummy (translation.md §9)');
  });

  test('Anthropic front, non-streaming: a gemini: thinking block right before the tool_use, round-tripped', async () => {
    const tag = uniqueTag('ge-sig-an');
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `${tag} [[mock reasoning=1 tool=1 chunks=1]]` }];
    const first = await within(8000, anthropic.messages.create({ model: 'm-ge', max_tokens: 500, tools: ANTHROPIC_TOOLS, messages }));
    const callAt = first.content.findIndex((b) => b.type === 'tool_use');
    const carrier = first.content[callAt - 1] as Anthropic.ThinkingBlock;
    assert.equal(carrier?.type, 'thinking');
    assert.match(carrier.signature, /^gemini:/);
    const tag2 = uniqueTag('ge-sig-an-2');
    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: (first.content[callAt] as Anthropic.ToolUseBlock).id, content: tag2 }] });
    await within(8000, anthropic.messages.create({ model: 'm-ge', max_tokens: 500, tools: ANTHROPIC_TOOLS, messages }));
    const body = (await recordFor(env.mock, tag2)).body;
    const fc = body.contents.find((c: any) => c.role === 'model').parts.find((p: any) => p.functionCall);
    assert.equal(fc.thoughtSignature, carrier.signature.slice('gemini:'.length));
  });

  test('gemini: thinking blocks never reach an Anthropic upstream (they are not Anthropic signatures)', async () => {
    const tag = uniqueTag('ge-sig-to-an');
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: `${tag} weather?` },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: '', signature: 'gemini:c2ln' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_forecast', input: { city: 'Oslo' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
    ];
    await within(8000, anthropic.messages.create({ model: 'm-an', max_tokens: 500, tools: ANTHROPIC_TOOLS, messages }));
    const body = (await recordFor(env.mock, tag)).body;
    assert.ok(!JSON.stringify(body.messages).includes('gemini:'), JSON.stringify(body.messages[1]));
  });
});

describe('Anthropic thinking through the OpenAI front', () => {
  test('reasoning_effort turns thinking on; a tool loop without the signed block goes back without thinking', async () => {
    const tag = uniqueTag('an-effort');
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: `${tag} [[mock reasoning=2 tool=1 chunks=1]]` }];
    const stream = openai.chat.completions.stream({ model: 'm-an', messages, tools: OPENAI_TOOLS, reasoning_effort: 'low', max_tokens: 4000 });
    let reasoning = '';
    for await (const c of stream) reasoning += (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    const final = await within(8000, stream.finalChatCompletion());
    assert.equal(reasoning, mockReasoning(2).join(''));
    const first = (await recordFor(env.mock, tag)).body;
    assert.equal(first.thinking?.type, 'enabled');
    assert.ok(first.thinking.budget_tokens >= 1024 && first.thinking.budget_tokens < first.max_tokens);

    const tag2 = uniqueTag('an-effort-2');
    const call = final.choices[0]!.message.tool_calls![0]!;
    messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    messages.push({ role: 'tool', tool_call_id: call.id, content: tag2 });
    const second = await within(8000, openai.chat.completions.create({ model: 'm-an', messages, tools: OPENAI_TOOLS, reasoning_effort: 'low', max_tokens: 4000 }));
    assert.equal(second.choices[0]!.finish_reason, 'stop');
    const body = (await recordFor(env.mock, tag2)).body;
    // Anthropic rejects a thinking request whose last tool turn lacks its signed thinking block.
    assert.equal(body.thinking, undefined);
  });
});

describe('stop reasons on the Anthropic front (translation.md §6)', () => {
  const cases: Array<[string, string]> = [
    ['finish=length', 'max_tokens'],
    ['finish=content_filter', 'refusal'],
    ['tool=1 fault=stop_with_tools', 'tool_use'],
  ];
  for (const model of NATIVE) {
    for (const [directive, expected] of cases) {
      for (const streaming of [true, false]) {
        test(`${model}: ${directive} -> ${expected} (${streaming ? 'stream' : 'create'})`, async () => {
          const params = { model, max_tokens: 100, tools: ANTHROPIC_TOOLS, messages: [{ role: 'user' as const, content: `x [[mock chunks=2 ${directive}]]` }] };
          const call: Promise<Anthropic.Message> = streaming ? anthropic.messages.stream(params).finalMessage() : anthropic.messages.create(params);
          const msg = await within(8000, call);
          assert.equal(msg.stop_reason, expected);
        });
      }
    }
  }
});

describe('errors from Anthropic and Gemini upstreams reach an OpenAI client in its dialect', () => {
  const cases: Array<[number, number]> = [
    [429, 429],
    [500, 502],
    [529, 503],
    [400, 400],
  ];
  for (const model of ['m-an', 'm-ge']) {
    for (const [upstream, status] of cases) {
      test(`${model}: upstream ${upstream} -> ${status}`, async () => {
        await within(
          8000,
          assert.rejects(
            openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: `x [[mock fault=status status=${upstream} retry_after=3]]` }] }),
            (err: unknown) => {
              assert.ok(err instanceof OpenAI.APIError, String(err));
              assert.equal(err.status, status);
              if (status === 429) assert.equal(err.headers?.get('retry-after'), '3');
              return true;
            },
          ),
        );
      });
    }
    test(`${model}: a mid-stream error is an error chunk the SDK raises`, async () => {
      let text = '';
      await within(
        8000,
        assert.rejects(
          (async () => {
            const stream = await openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'x [[mock chunks=12 fault=error_mid after=6]]' }] });
            for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
          })(),
          (err: unknown) => err instanceof OpenAI.APIError,
        ),
      );
      assert.ok(text.length > 0 && mockText(12).join('').startsWith(text));
    });
  }
});

describe('prefill (translation.md §1)', () => {
  const messages: Anthropic.MessageParam[] = [
    { role: 'user', content: 'Say hi [[mock chunks=2]]' },
    { role: 'assistant', content: 'Hello' },
  ];
  test('m-an: an assistant prefill passes through', async () => {
    const msg = await within(8000, anthropic.messages.create({ model: 'm-an', max_tokens: 50, messages }));
    assert.equal(msg.stop_reason, 'end_turn');
  });
  for (const model of ['m-oa', 'm-ge']) {
    test(`${model}: a prefill is refused with 400, not silently dropped`, async () => {
      await assert.rejects(anthropic.messages.create({ model, max_tokens: 50, messages }), (err: unknown) => {
        assert.ok(err instanceof Anthropic.APIError);
        assert.equal(err.status, 400);
        assert.match(err.message, /prefill/);
        return true;
      });
    });
  }
});

/** Sampling fields are in the Messages API but no longer in this SDK's types (newer models reject them). */
function sampling(params: Anthropic.MessageCreateParamsNonStreaming & { temperature?: number; top_p?: number; top_k?: number }): Anthropic.MessageCreateParamsNonStreaming {
  return params;
}

describe('parameters and headers reach each upstream in its dialect', () => {
  test('Anthropic front -> OpenAI: stop_sequences, temperature, top_p, metadata.user_id', async () => {
    const tag = uniqueTag('params-oa');
    await within(
      8000,
      anthropic.messages.create(
        sampling({
          model: 'm-oa',
          max_tokens: 77,
          temperature: 0.5,
          top_p: 0.9,
          stop_sequences: ['END'],
          metadata: { user_id: 'u-1' },
          messages: [{ role: 'user', content: tag }],
        }),
      ),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.deepEqual(body.stop, ['END']);
    assert.equal(body.temperature, 0.5);
    assert.equal(body.top_p, 0.9);
    assert.equal(body.max_tokens ?? body.max_completion_tokens, 77);
    assert.equal(body.user, 'u-1');
  });

  test('Anthropic front -> Gemini: generationConfig', async () => {
    const tag = uniqueTag('params-ge');
    await within(
      8000,
      anthropic.messages.create(sampling({ model: 'm-ge', max_tokens: 77, temperature: 0.5, top_k: 7, stop_sequences: ['END'], messages: [{ role: 'user', content: tag }] })),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.deepEqual(body.generationConfig, { ...body.generationConfig, maxOutputTokens: 77, temperature: 0.5, topK: 7, stopSequences: ['END'] });
  });

  test('OpenAI front -> Anthropic: stop, clamped temperature, parallel_tool_calls, user', async () => {
    const tag = uniqueTag('params-an');
    await within(
      8000,
      openai.chat.completions.create({
        model: 'm-an',
        temperature: 1.7,
        stop: ['END', 'STOP'],
        user: 'u-2',
        parallel_tool_calls: false,
        tools: OPENAI_TOOLS,
        messages: [{ role: 'user', content: tag }],
      }),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.deepEqual(body.stop_sequences, ['END', 'STOP']);
    assert.equal(body.temperature, 1, 'OpenAI 0–2 clamped to Anthropic 0–1');
    assert.equal(body.metadata?.user_id, 'u-2');
    assert.equal(body.tool_choice?.disable_parallel_tool_use, true);
  });

  test('Anthropic front -> Anthropic: anthropic-beta forwarded', async () => {
    const tag = uniqueTag('beta');
    await within(
      8000,
      anthropic.messages.create({ model: 'm-an', max_tokens: 20, messages: [{ role: 'user', content: tag }] }, { headers: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } }),
    );
    const rec = await recordFor(env.mock, tag);
    assert.match(String(rec.headers['anthropic-beta']), /interleaved-thinking-2025-05-14/);
  });

  test('OpenAI front -> Gemini: response_format json_schema', async () => {
    const tag = uniqueTag('json-ge');
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    await within(
      8000,
      openai.chat.completions.create({ model: 'm-ge', response_format: { type: 'json_schema', json_schema: { name: 'x', schema } }, messages: [{ role: 'user', content: tag }] }),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.equal(body.generationConfig.responseMimeType, 'application/json');
    assert.deepEqual(body.generationConfig.responseJsonSchema, schema);
  });
});
