// Issue 12 §3: `POST /v1/messages/count_tokens` (Anthropic shape, ?beta=true) through the official
// `@anthropic-ai/sdk` over each upstream type: the upstream's own count, exactly, where it has one
// (Anthropic count_tokens, Gemini countTokens); a real tokenizer, within 10 % of the reference
// tokenizer, elsewhere — over system, tools and messages, never a constant.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { get_encoding } from 'tiktoken';
import { startTranslationEnv, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let client: Anthropic;

before(async () => {
  env = await startTranslationEnv();
  client = new Anthropic({ baseURL: env.sluice.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => env?.close());

const SYSTEM = 'You are a careful assistant. Answer in the language of the question and cite the source. '.repeat(10);
const QUESTION = 'How does sluice handle an upstream that answers a streaming request with a JSON body? '.repeat(20);
const TOOL = {
  name: 'get_forecast',
  description: 'Weather forecast for a city over the next days.',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
};

function params(model: string) {
  return { model, system: SYSTEM, tools: [TOOL], messages: [{ role: 'user' as const, content: QUESTION }] };
}

describe('messages.countTokens', () => {
  test('Anthropic upstream: its own count, exactly (and the body it got has no max_tokens)', async () => {
    const res = await within(8000, client.messages.countTokens(params('m-an')));
    // The mock counts 10 + the messages it was given (src/mock/README.md).
    assert.equal(res.input_tokens, 11);
    const rec = env.mock.requests.at(-1)!;
    assert.match(rec.path, /\/v1\/messages\/count_tokens$/);
    const body = rec.body as Record<string, unknown>;
    assert.equal(body.max_tokens, undefined);
    assert.equal(body.model, 'claude-x');
    assert.deepEqual(body.tools, [TOOL]);
  });

  test('Gemini upstream: its countTokens over the whole request, exactly', async () => {
    const res = await within(8000, client.messages.countTokens(params('m-ge')));
    assert.equal(res.input_tokens, 11);
    const rec = env.mock.requests.at(-1)!;
    assert.match(rec.path, /\/models\/gemini-x:countTokens$/);
    const inner = (rec.body as { generateContentRequest: Record<string, any> }).generateContentRequest;
    assert.equal(inner.model, 'models/gemini-x');
    assert.equal(inner.systemInstruction.parts[0].text, SYSTEM);
    assert.equal(inner.tools[0].functionDeclarations[0].name, 'get_forecast');
  });

  for (const model of ['m-oa', 'demo']) {
    test(`${model}: no upstream counter, the tokenizer within 10 % of the reference, nothing sent upstream`, async () => {
      const before = env.mock.requests.length;
      const res = await within(8000, client.messages.countTokens(params(model)));
      const enc = get_encoding('o200k_base');
      const reference = enc.encode(SYSTEM).length + enc.encode(QUESTION).length + enc.encode(TOOL.name + TOOL.description + JSON.stringify(TOOL.input_schema)).length;
      enc.free();
      assert.ok(Math.abs(res.input_tokens - reference) / reference < 0.1, `${res.input_tokens} vs reference ${reference}`);
      assert.equal(env.mock.requests.length, before);
      // Not a constant: a longer prompt counts more.
      const longer = await client.messages.countTokens({ ...params(model), messages: [{ role: 'user', content: QUESTION + QUESTION }] });
      assert.ok(longer.input_tokens > res.input_tokens + 300);
    });
  }

  test('text that spells a special token (<|endoftext|>) is counted as text, not refused', async () => {
    const content = 'Tokenizer notes: <|endoftext|> ends a document, <|im_start|>assistant opens a turn. '.repeat(20);
    const res = await within(8000, client.messages.countTokens({ model: 'm-oa', messages: [{ role: 'user', content }] }));
    const enc = get_encoding('o200k_base');
    const reference = enc.encode_ordinary(content).length;
    enc.free();
    assert.ok(Math.abs(res.input_tokens - reference) / reference < 0.1, `${res.input_tokens} vs reference ${reference}`);
  });

  test('?beta=true is accepted and the estimate is marked', async () => {
    const res = await fetch(`${env.sluice.url}/v1/messages/count_tokens?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'x', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm-oa', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-sluice-token-count'), 'estimated');
    const { input_tokens } = (await res.json()) as { input_tokens: number };
    assert.ok(input_tokens > 2 && input_tokens < 20, String(input_tokens));
  });

  test('an upstream counter that fails falls back to the tokenizer', async () => {
    const res = await within(8000, client.messages.countTokens({ model: 'm-an', messages: [{ role: 'user', content: 'x [[mock fault=status status=500]]' }] }));
    assert.ok(res.input_tokens > 0);
  });

  test('bad input is an Anthropic 400', async () => {
    await assert.rejects(client.messages.countTokens({ model: 'm-oa', messages: 'nope' as never }), (err: unknown) => err instanceof Anthropic.BadRequestError);
  });
});
