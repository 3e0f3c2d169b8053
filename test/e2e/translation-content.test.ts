// Issue 3: content that has no one-to-one mapping reaches each upstream by the Decisions of
// docs/translation.md §1–§4 and §10 — images inside tool results, documents, image URLs, tool
// choice none, empty assistant turns, missing tool results, invalid history arguments, n > 1.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { FORECAST_SCHEMA, recordFor, startTranslationEnv, uniqueTag, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  env = await startTranslationEnv();
  openai = new OpenAI({ baseURL: `${env.sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: env.sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
const PDF = Buffer.from('%PDF-1.4\n%sluice\n').toString('base64');
const OPENAI_TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_forecast', parameters: FORECAST_SCHEMA as unknown as OpenAI.FunctionParameters } },
];
const ANTHROPIC_TOOLS: Anthropic.Tool[] = [{ name: 'get_forecast', input_schema: FORECAST_SCHEMA as unknown as Anthropic.Tool.InputSchema }];

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : (content as Array<{ text?: string }>).map((p) => p.text ?? '').join('');

function toolTurnWithImage(tag: string): Anthropic.MessageParam[] {
  return [
    { role: 'user', content: `${tag} draw the forecast` },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_img', name: 'get_forecast', input: { city: 'Oslo' } }] },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_img',
          content: [
            { type: 'text', text: 'chart attached' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
          ],
        },
      ],
    },
  ];
}

describe('Anthropic front', () => {
  test('-> OpenAI: an image inside a tool_result follows as a user message (translation.md §4)', async () => {
    const tag = uniqueTag('toolimg-oa');
    await within(8000, anthropic.messages.create({ model: 'm-oa', max_tokens: 50, tools: ANTHROPIC_TOOLS, messages: toolTurnWithImage(tag) }));
    const body = (await recordFor(env.mock, tag)).body;
    const roles = body.messages.map((m: any) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'tool', 'user']);
    assert.equal(textOf(body.messages[2].content), 'chart attached');
    const images = body.messages[3].content.filter((p: any) => p.type === 'image_url');
    assert.deepEqual(images, [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }]);
  });

  test('-> Gemini: an image inside a tool_result stays in the user turn', async () => {
    const tag = uniqueTag('toolimg-ge');
    await within(8000, anthropic.messages.create({ model: 'm-ge', max_tokens: 50, tools: ANTHROPIC_TOOLS, messages: toolTurnWithImage(tag) }));
    const body = (await recordFor(env.mock, tag)).body;
    const last = body.contents.at(-1);
    assert.equal(last.role, 'user');
    assert.ok(last.parts.some((p: any) => p.functionResponse?.name === 'get_forecast'));
    assert.ok(JSON.stringify(last.parts).includes(PNG), 'the image data reaches Gemini');
  });

  for (const model of ['m-oa', 'm-ge'] as const) {
    test(`-> ${model}: a PDF document`, async () => {
      const tag = uniqueTag(`pdf-${model}`);
      await within(
        8000,
        anthropic.messages.create({
          model,
          max_tokens: 50,
          messages: [
            {
              role: 'user',
              content: [
                { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } },
                { type: 'text', text: `${tag} summarise` },
              ],
            },
          ],
        }),
      );
      const body = (await recordFor(env.mock, tag)).body;
      if (model === 'm-oa') {
        const file = body.messages[0].content.find((p: any) => p.type === 'file');
        assert.equal(file.file.file_data, `data:application/pdf;base64,${PDF}`);
      } else {
        assert.deepEqual(body.contents[0].parts[0], { inlineData: { mimeType: 'application/pdf', data: PDF } });
      }
    });
  }

  test('-> OpenAI: an image URL', async () => {
    const tag = uniqueTag('url-oa');
    await within(
      8000,
      anthropic.messages.create({
        model: 'm-oa',
        max_tokens: 50,
        messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } }, { type: 'text', text: tag }] }],
      }),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.deepEqual(body.messages[0].content[0], { type: 'image_url', image_url: { url: 'https://example.com/a.png' } });
  });

  test('-> Gemini: tool_choice none', async () => {
    const tag = uniqueTag('none-ge');
    await within(8000, anthropic.messages.create({ model: 'm-ge', max_tokens: 50, tools: ANTHROPIC_TOOLS, tool_choice: { type: 'none' }, messages: [{ role: 'user', content: tag }] }));
    const body = (await recordFor(env.mock, tag)).body;
    assert.equal(body.toolConfig?.functionCallingConfig?.mode ?? 'NONE', 'NONE');
  });
});

describe('OpenAI front', () => {
  test('-> Anthropic: an image URL becomes a url source', async () => {
    const tag = uniqueTag('url-an');
    await within(
      8000,
      openai.chat.completions.create({
        model: 'm-an',
        messages: [{ role: 'user', content: [{ type: 'text', text: tag }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'high' } }] }],
      }),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.deepEqual(body.messages[0].content[1], { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } });
  });

  test('-> Anthropic: tool_choice none, an empty assistant turn dropped, a missing tool result filled in', async () => {
    const tag = uniqueTag('fill-an');
    await within(
      8000,
      openai.chat.completions.create({
        model: 'm-an',
        tools: OPENAI_TOOLS,
        tool_choice: 'none',
        messages: [
          { role: 'user', content: `${tag} one` },
          { role: 'assistant', content: '' },
          { role: 'user', content: 'two' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'call_lost', type: 'function', function: { name: 'get_forecast', arguments: '{}' } }] },
          { role: 'user', content: 'never mind' },
        ],
      }),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.deepEqual(body.tool_choice, { type: 'none' });
    assert.deepEqual(body.messages.map((m: any) => m.role), ['user', 'assistant', 'user'], 'alternating after the empty turn is dropped');
    assert.match(JSON.stringify(body.messages[0].content), /one[\s\S]*two/);
    const results = body.messages[2].content.filter((b: any) => b.type === 'tool_result');
    assert.equal(results.length, 1);
    assert.equal(results[0].tool_use_id, 'call_lost');
    assert.equal(results[0].is_error, true);
  });

  for (const model of ['m-an', 'm-ge']) {
    test(`-> ${model}: invalid tool-call arguments in history are a 400`, async () => {
      await assert.rejects(
        openai.chat.completions.create({
          model,
          tools: OPENAI_TOOLS,
          messages: [
            { role: 'user', content: 'x' },
            { role: 'assistant', content: null, tool_calls: [{ id: 'call_bad', type: 'function', function: { name: 'get_forecast', arguments: '{"city":' } }] },
            { role: 'tool', tool_call_id: 'call_bad', content: 'r' },
          ],
        }),
        (err: unknown) => err instanceof OpenAI.APIError && err.status === 400 && /argument/i.test(err.message),
      );
    });
  }

  test('-> Anthropic: n > 1 is a 400', async () => {
    await assert.rejects(
      openai.chat.completions.create({ model: 'm-an', n: 2, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 400,
    );
  });

  test('-> Gemini: a developer message and tool results by name', async () => {
    const tag = uniqueTag('dev-ge');
    await within(
      8000,
      openai.chat.completions.create({
        model: 'm-ge',
        tools: OPENAI_TOOLS,
        tool_choice: 'none',
        messages: [
          { role: 'developer', content: `DEV ${tag}` },
          { role: 'user', content: 'x' },
        ],
      }),
    );
    const body = (await recordFor(env.mock, tag)).body;
    assert.equal(body.systemInstruction.parts[0].text, `DEV ${tag}`);
    assert.equal(body.toolConfig.functionCallingConfig.mode, 'NONE');
  });
});
