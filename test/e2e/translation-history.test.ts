// Issue 3: a multi-turn history with tool calls and results, system prompts, images and tool
// definitions reaches each upstream in its own dialect. Asserts on the body `sluice mock` received
// (docs/translation.md §1–§4), for both fronts × OpenAI, Anthropic and Gemini upstreams.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { mockText } from '../../src/mock/server.ts';
import { FORECAST_SCHEMA, TIME_SCHEMA, recordFor, startTranslationEnv, uniqueTag, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  env = await startTranslationEnv();
  openai = new OpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: env.sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

// A 1×1 transparent PNG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const FORECAST_ARGS = { city: 'Oslo', days: 2 };
const TIME_ARGS = { zone: 'UTC' };

function anthropicSystemText(system: unknown): string {
  if (typeof system === 'string') return system;
  return (system as Array<{ text: string }>).map((b) => b.text).join('\n\n');
}

function openaiHistory(tag: string): OpenAI.ChatCompletionMessageParam[] {
  return [
    { role: 'system', content: `SYS-A ${tag}` },
    { role: 'developer', content: 'DEV-B' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture, and the weather?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
      ],
    },
    {
      role: 'assistant',
      content: 'Let me check.',
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_forecast', arguments: JSON.stringify(FORECAST_ARGS) } },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: JSON.stringify(TIME_ARGS) } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
    { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
    { role: 'user', content: 'Thanks! [[mock chunks=2]]' },
  ];
}

const OPENAI_TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_forecast', description: 'Weather forecast', parameters: FORECAST_SCHEMA as unknown as OpenAI.FunctionParameters } },
  { type: 'function', function: { name: 'get_time', description: 'Current time', parameters: TIME_SCHEMA as unknown as OpenAI.FunctionParameters } },
];

const ANTHROPIC_TOOLS: Anthropic.Tool[] = [
  { name: 'get_forecast', description: 'Weather forecast', input_schema: FORECAST_SCHEMA as unknown as Anthropic.Tool.InputSchema },
  { name: 'get_time', description: 'Current time', input_schema: TIME_SCHEMA as unknown as Anthropic.Tool.InputSchema },
];

async function viaOpenAI(model: string, tag: string, extra: Partial<OpenAI.ChatCompletionCreateParamsStreaming> = {}) {
  const stream = openai.chat.completions.stream({ model, messages: openaiHistory(tag), tools: OPENAI_TOOLS, ...extra });
  const final = await within(8000, stream.finalChatCompletion());
  assert.equal(final.choices[0]!.message.content, mockText(2).join(''));
  return (await recordFor(env.mock, tag)).body;
}

describe('OpenAI front: history, system, image, tools reach each upstream', () => {
  test('m-oa (OpenAI upstream)', async () => {
    const tag = uniqueTag('oa-hist');
    const body = await viaOpenAI('m-oa', tag, { tool_choice: 'required' });
    assert.equal(body.model, 'gpt-x');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true }, 'sluice always asks for usage (SPEC §4.4)');
    const roles = body.messages.map((m: any) => m.role);
    const system = body.messages.filter((m: any) => m.role === 'system' || m.role === 'developer');
    assert.deepEqual(
      system.map((m: any) => (typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text).join(''))),
      [`SYS-A ${tag}`, 'DEV-B'],
    );
    assert.deepEqual(roles.filter((r: string) => r !== 'system' && r !== 'developer'), ['user', 'assistant', 'tool', 'tool', 'user']);
    const userMsg = body.messages.find((m: any) => m.role === 'user');
    assert.deepEqual(userMsg.content[1], { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } });
    const assistant = body.messages.find((m: any) => m.role === 'assistant');
    assert.deepEqual(
      assistant.tool_calls.map((c: any) => [c.id, c.type, c.function.name, JSON.parse(c.function.arguments)]),
      [
        ['call_1', 'function', 'get_forecast', FORECAST_ARGS],
        ['call_2', 'function', 'get_time', TIME_ARGS],
      ],
    );
    const tools = body.messages.filter((m: any) => m.role === 'tool');
    assert.deepEqual(
      tools.map((m: any) => [m.tool_call_id, typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text).join('')]),
      [
        ['call_1', '{"temp":21}'],
        ['call_2', 'noon'],
      ],
    );
    assert.deepEqual(body.tools.map((t: any) => t.function.name), ['get_forecast', 'get_time']);
    assert.deepEqual(body.tools[0].function.parameters, FORECAST_SCHEMA);
    assert.equal(body.tool_choice, 'required');
  });

  test('m-an (Anthropic upstream)', async () => {
    const tag = uniqueTag('an-hist');
    const body = await viaOpenAI('m-an', tag, { tool_choice: { type: 'function', function: { name: 'get_time' } } });
    assert.equal(body.model, 'claude-x');
    assert.equal(body.stream, true);
    assert.ok(Number.isInteger(body.max_tokens) && body.max_tokens > 0, 'a default max_tokens is sent');
    // translation.md §1: system + developer joined in order.
    assert.equal(anthropicSystemText(body.system), `SYS-A ${tag}\n\nDEV-B`);
    assert.deepEqual(body.messages.map((m: any) => m.role), ['user', 'assistant', 'user']);
    const [first, assistant, last] = body.messages;
    assert.deepEqual(first.content[1], { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } });
    assert.deepEqual(
      assistant.content.map((b: any) => b.type),
      ['text', 'tool_use', 'tool_use'],
    );
    assert.equal(assistant.content[0].text, 'Let me check.');
    assert.deepEqual(
      assistant.content.slice(1).map((b: any) => [b.id, b.name, b.input]),
      [
        ['call_1', 'get_forecast', FORECAST_ARGS],
        ['call_2', 'get_time', TIME_ARGS],
      ],
    );
    // §4: one user message, every tool_result first, then the next user text.
    assert.deepEqual(
      last.content.map((b: any) => b.type),
      ['tool_result', 'tool_result', 'text'],
    );
    assert.deepEqual(
      last.content.slice(0, 2).map((b: any) => [b.tool_use_id, typeof b.content === 'string' ? b.content : b.content.map((p: any) => p.text).join('')]),
      [
        ['call_1', '{"temp":21}'],
        ['call_2', 'noon'],
      ],
    );
    assert.match(last.content[2].text, /^Thanks!/);
    assert.deepEqual(
      body.tools.map((t: any) => [t.name, t.description]),
      [
        ['get_forecast', 'Weather forecast'],
        ['get_time', 'Current time'],
      ],
    );
    assert.deepEqual(body.tools[0].input_schema, FORECAST_SCHEMA);
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'get_time' });
  });

  test('m-ge (Gemini upstream)', async () => {
    const tag = uniqueTag('ge-hist');
    const body = await viaOpenAI('m-ge', tag, { tool_choice: 'required' });
    const rec = await recordFor(env.mock, tag);
    assert.match(rec.path, /\/models\/gemini-x:streamGenerateContent\?alt=sse$/);
    assert.deepEqual(body.systemInstruction.parts.map((p: any) => p.text).join('\n\n'), `SYS-A ${tag}\n\nDEV-B`);
    assert.deepEqual(body.contents.map((c: any) => c.role), ['user', 'model', 'user']);
    const [first, model, last] = body.contents;
    assert.deepEqual(first.parts[1], { inlineData: { mimeType: 'image/png', data: PNG } });
    assert.equal(model.parts[0].text, 'Let me check.');
    assert.deepEqual(
      model.parts.slice(1).map((p: any) => [p.functionCall.name, p.functionCall.args]),
      [
        ['get_forecast', FORECAST_ARGS],
        ['get_time', TIME_ARGS],
      ],
    );
    // §4: the function name looked up from the call; a non-object result wrapped in {output}.
    assert.deepEqual(
      last.parts.slice(0, 2).map((p: any) => [p.functionResponse.name, p.functionResponse.response]),
      [
        ['get_forecast', { temp: 21 }],
        ['get_time', { output: 'noon' }],
      ],
    );
    assert.match(last.parts[2].text, /^Thanks!/);
    assert.deepEqual(body.tools[0].functionDeclarations.map((f: any) => f.name), ['get_forecast', 'get_time']);
    assert.deepEqual(body.tools[0].functionDeclarations[0].parametersJsonSchema, FORECAST_SCHEMA);
    assert.equal(body.toolConfig.functionCallingConfig.mode, 'ANY');
  });
});

function anthropicHistory(tag: string): Anthropic.MessageParam[] {
  return [
    {
      role: 'user',
      content: [
        { type: 'text', text: `Describe this ${tag}` },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_01A', name: 'get_forecast', input: FORECAST_ARGS },
        { type: 'tool_use', id: 'toolu_01B', name: 'get_time', input: TIME_ARGS },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_01A', content: [{ type: 'text', text: '{"temp":21}' }] },
        { type: 'tool_result', tool_use_id: 'toolu_01B', content: 'noon', is_error: true },
        { type: 'text', text: 'Thanks! [[mock chunks=2]]' },
      ],
    },
  ];
}

const SYSTEM: Anthropic.TextBlockParam[] = [
  { type: 'text', text: 'SYS-A' },
  { type: 'text', text: 'SYS-B', cache_control: { type: 'ephemeral' } },
];

async function viaAnthropic(model: string, tag: string, extra: Partial<Anthropic.MessageCreateParamsStreaming> = {}) {
  const final = await within(
    8000,
    anthropic.messages.stream({ model, max_tokens: 300, system: SYSTEM, messages: anthropicHistory(tag), tools: ANTHROPIC_TOOLS, ...extra }).finalMessage(),
  );
  assert.deepEqual(final.content, [{ type: 'text', text: mockText(2).join('') }]);
  return (await recordFor(env.mock, tag)).body;
}

describe('Anthropic front: history, system, image, tools reach each upstream', () => {
  test('m-oa (OpenAI upstream)', async () => {
    const tag = uniqueTag('oa-hist-a');
    const body = await viaAnthropic('m-oa', tag, { tool_choice: { type: 'any' } });
    assert.equal(body.model, 'gpt-x');
    const roles = body.messages.map((m: any) => m.role);
    assert.deepEqual(roles, ['system', 'user', 'assistant', 'tool', 'tool', 'user']);
    assert.equal(body.messages[0].content, 'SYS-A\n\nSYS-B', 'one system message, texts joined, cache_control dropped');
    const user = body.messages[1];
    assert.deepEqual(user.content[1], { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } });
    const assistant = body.messages[2];
    assert.equal(typeof assistant.content === 'string' ? assistant.content : assistant.content.map((p: any) => p.text).join(''), 'Let me check.');
    assert.deepEqual(
      assistant.tool_calls.map((c: any) => [c.id, c.function.name, JSON.parse(c.function.arguments)]),
      [
        ['toolu_01A', 'get_forecast', FORECAST_ARGS],
        ['toolu_01B', 'get_time', TIME_ARGS],
      ],
    );
    const tools = body.messages.filter((m: any) => m.role === 'tool');
    assert.deepEqual(
      tools.map((m: any) => [m.tool_call_id, typeof m.content === 'string' ? m.content : m.content.map((p: any) => p.text).join('')]),
      [
        ['toolu_01A', '{"temp":21}'],
        ['toolu_01B', 'noon'],
      ],
    );
    const lastContent = body.messages[5].content;
    assert.match(typeof lastContent === 'string' ? lastContent : lastContent.map((p: any) => p.text).join(''), /^Thanks!/);
    assert.equal(body.max_tokens ?? body.max_completion_tokens, 300);
    assert.deepEqual(body.tools.map((t: any) => [t.type, t.function.name]), [
      ['function', 'get_forecast'],
      ['function', 'get_time'],
    ]);
    assert.deepEqual(body.tools[0].function.parameters, FORECAST_SCHEMA);
    assert.equal(body.tool_choice, 'required');
  });

  test('m-an (Anthropic upstream): passed through, anthropic-version sent', async () => {
    const tag = uniqueTag('an-hist-a');
    const body = await viaAnthropic('m-an', tag, { tool_choice: { type: 'tool', name: 'get_time' } });
    const rec = await recordFor(env.mock, tag);
    assert.equal(rec.headers['anthropic-version'], '2023-06-01');
    assert.equal(body.model, 'claude-x');
    assert.equal(body.max_tokens, 300);
    assert.deepEqual(body.system, SYSTEM, 'system blocks, cache_control kept for an Anthropic upstream');
    assert.deepEqual(body.messages, anthropicHistory(tag));
    assert.deepEqual(body.tools, ANTHROPIC_TOOLS);
    assert.deepEqual(body.tool_choice, { type: 'tool', name: 'get_time' });
  });

  test('m-ge (Gemini upstream)', async () => {
    const tag = uniqueTag('ge-hist-a');
    const body = await viaAnthropic('m-ge', tag, { tool_choice: { type: 'tool', name: 'get_time' } });
    assert.equal(body.systemInstruction.parts.map((p: any) => p.text).join('\n\n'), 'SYS-A\n\nSYS-B');
    assert.deepEqual(body.contents.map((c: any) => c.role), ['user', 'model', 'user']);
    const [first, model, last] = body.contents;
    assert.deepEqual(first.parts[1], { inlineData: { mimeType: 'image/png', data: PNG } });
    assert.deepEqual(
      model.parts.filter((p: any) => p.functionCall).map((p: any) => [p.functionCall.name, p.functionCall.args]),
      [
        ['get_forecast', FORECAST_ARGS],
        ['get_time', TIME_ARGS],
      ],
    );
    const responses = last.parts.filter((p: any) => p.functionResponse).map((p: any) => p.functionResponse);
    assert.deepEqual(responses.map((r: any) => r.name), ['get_forecast', 'get_time']);
    assert.deepEqual(responses[0].response, { temp: 21 });
    assert.ok('error' in responses[1].response, `an is_error result is sent as response.error: ${JSON.stringify(responses[1].response)}`);
    assert.match(last.parts.at(-1).text, /^Thanks!/);
    assert.equal(body.generationConfig.maxOutputTokens, 300);
    assert.deepEqual(body.toolConfig.functionCallingConfig, { mode: 'ANY', allowedFunctionNames: ['get_time'] });
  });
});

describe('a trailing system-role message (Claude Code, anthropic-messages.md §11)', () => {
  for (const model of ['m-oa', 'm-ge'] as const) {
    test(`${model}: becomes a system instruction`, async () => {
      const tag = uniqueTag(`${model}-midsys`);
      const messages = [
        { role: 'user', content: `Hi ${tag} [[mock chunks=2]]` },
        { role: 'system', content: 'MID-SYSTEM' },
      ] as unknown as Anthropic.MessageParam[];
      const final = await within(8000, anthropic.messages.create({ model, max_tokens: 100, system: 'TOP', messages }));
      assert.equal(final.stop_reason, 'end_turn');
      const body = (await recordFor(env.mock, tag)).body;
      const text = JSON.stringify(model === 'm-ge' ? body.systemInstruction : body.messages.filter((m: any) => m.role === 'system' || m.role === 'developer'));
      assert.ok(text.includes('TOP') && text.includes('MID-SYSTEM'), text);
    });
  }
});
