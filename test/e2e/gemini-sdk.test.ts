// Issue 12 acceptance, Gemini front: the official `@google/genai` SDK pointed at sluice, against every
// upstream type of `sluice mock` (OpenAI, Anthropic, Gemini; native, simulate and always streaming)
// and the demo model: generateContentStream, generateContent, countTokens, a function-calling round
// trip, models.list; both API versions; the JSON-array stream; bad input answered in Google's shape
// with nothing sent upstream.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, type Content } from '@google/genai';
import { get_encoding } from 'tiktoken';
import { MOCK_TOOL_ARGS, mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { ALL_MOCK, FORECAST_SCHEMA, recordFor, startTranslationEnv, uniqueTag, within, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;
let genai: GoogleGenAI;
let genaiBeta: GoogleGenAI;

before(async () => {
  env = await startTranslationEnv();
  // 3.x goes to /v1/ by default (gemini.md §8.2); the CLI and older SDKs to /v1beta/.
  genai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: env.sluice.url, timeout: 10_000 } });
  genaiBeta = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: env.sluice.url, apiVersion: 'v1beta', timeout: 10_000 } });
});
after(() => env?.close());

const TEXT12 = mockText(12).join('');
const TARGETS = [...ALL_MOCK, 'demo'];
const TOOLS = [{ functionDeclarations: [{ name: 'get_forecast', description: 'Weather forecast', parametersJsonSchema: FORECAST_SCHEMA }] }];

function expectText(model: string, text: string): void {
  if (model === 'demo') assert.match(text, /^Hello! This is the sluice demo model/);
  else assert.equal(text, TEXT12);
}

describe('text', () => {
  for (const model of TARGETS) {
    test(`${model}: generateContentStream (v1) and generateContent (v1beta)`, async () => {
      const stream = await genai.models.generateContentStream({ model, contents: 'Hi [[mock chunks=12]]' });
      let text = '';
      let last: { finishReason?: string; usage?: unknown } = {};
      let chunks = 0;
      await within(8000, (async () => {
        for await (const chunk of stream) {
          chunks++;
          text += chunk.text ?? '';
          last = { finishReason: chunk.candidates?.[0]?.finishReason, usage: chunk.usageMetadata };
        }
      })());
      expectText(model, text);
      assert.ok(chunks > 1, 'streamed in several chunks');
      assert.equal(last.finishReason, 'STOP');
      const u = last.usage as { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
      assert.ok(u.promptTokenCount > 0 && u.candidatesTokenCount > 0);
      assert.equal(u.totalTokenCount, u.promptTokenCount + u.candidatesTokenCount + ((u as { thoughtsTokenCount?: number }).thoughtsTokenCount ?? 0));

      const res = await within(8000, genaiBeta.models.generateContent({ model: `models/${model}`, contents: 'Hi [[mock chunks=12]]' }));
      expectText(model, res.text ?? '');
      assert.equal(res.candidates?.[0]?.finishReason, 'STOP');
      assert.equal(res.modelVersion, `models/${model}`.replace(/^models\//, ''));
      assert.ok((res.usageMetadata?.candidatesTokenCount ?? 0) > 0);
    });
  }

  test('system instruction, generation config and thoughts reach the upstream', async () => {
    const tag = uniqueTag('cfg');
    const res = await genai.models.generateContent({
      model: 'm-oa',
      contents: `${tag} [[mock reasoning=2]]`,
      config: {
        systemInstruction: 'Be terse.',
        temperature: 0.4,
        maxOutputTokens: 77,
        stopSequences: ['END'],
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT' as never, properties: { n: { type: 'INTEGER' as never } } },
        thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 },
      },
    });
    const body = (await recordFor(env.mock, tag)).body as Record<string, any>;
    assert.deepEqual(body.messages[0], { role: 'system', content: 'Be terse.' });
    assert.equal(body.temperature, 0.4);
    assert.equal(body.max_tokens, 77);
    assert.deepEqual(body.stop, ['END']);
    assert.deepEqual(body.response_format, { type: 'json_schema', json_schema: { name: 'response', schema: { type: 'object', properties: { n: { type: 'integer' } } } } });
    const parts = res.candidates?.[0]?.content?.parts ?? [];
    assert.ok(parts.some((p) => p.thought === true && (p.text ?? '').startsWith('Thought 1.')), 'thought parts with includeThoughts');
    assert.equal(res.usageMetadata?.thoughtsTokenCount, 2);
  });

  test('an image travels as inline data', async () => {
    const tag = uniqueTag('img');
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
    await genai.models.generateContent({ model: 'm-an', contents: [{ role: 'user', parts: [{ text: tag }, { inlineData: { mimeType: 'image/png', data: png } }] }] });
    const body = (await recordFor(env.mock, tag)).body as Record<string, any>;
    assert.deepEqual(body.messages[0].content[1], { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } });
  });
});

describe('function calling round trip', () => {
  for (const model of TARGETS) {
    test(`${model}: functionCall with an id, functionResponse back, then text`, async () => {
      const first = await within(
        8000,
        genai.models.generateContent({ model, contents: 'Weather? [[mock tool=1 chunks=2]]', config: { tools: TOOLS } }),
      );
      const calls = first.functionCalls ?? [];
      assert.equal(calls.length, 1);
      const call = calls[0]!;
      assert.equal(call.name, 'get_forecast');
      if (model !== 'demo') assert.deepEqual(call.args, MOCK_TOOL_ARGS);
      assert.ok(call.id, 'the call has an id');
      assert.equal(first.candidates?.[0]?.finishReason, 'STOP');
      const modelTurn = first.candidates![0]!.content! as Content;
      const history: Content[] = [
        { role: 'user', parts: [{ text: 'Weather? [[mock tool=1 chunks=2]]' }] },
        modelTurn,
        { role: 'user', parts: [{ functionResponse: { id: call.id, name: call.name!, response: { output: '4 °C' } } }] },
      ];
      const stream = await genai.models.generateContentStream({ model, contents: history, config: { tools: TOOLS } });
      let text = '';
      for await (const chunk of stream) text += chunk.text ?? '';
      assert.ok(text.length > 0, 'a text answer after the tool result');
      if (model.startsWith('m-')) {
        // The upstream saw the call and its result paired, in its own dialect.
        const rec = env.mock.requests.at(-1)!;
        const body = JSON.stringify(rec.body);
        assert.ok(body.includes('4 °C'), 'the result reached the upstream');
        if (rec.dialect === 'openai') {
          const msgs = (rec.body as { messages: Array<{ role: string; tool_call_id?: string; tool_calls?: Array<{ id: string }> }> }).messages;
          const assistant = msgs.find((m) => m.role === 'assistant')!;
          const tool = msgs.find((m) => m.role === 'tool')!;
          assert.equal(tool.tool_call_id, assistant.tool_calls![0]!.id);
        }
      }
    });
  }

  test('Gemini CLI style: a call id rewritten by the client still pairs with its result', async () => {
    const tag = uniqueTag('cli');
    await genai.models.generateContent({
      model: 'm-an',
      contents: [
        { role: 'user', parts: [{ text: tag }] },
        { role: 'model', parts: [{ functionCall: { id: 'get_forecast_1767225600_0', name: 'get_forecast', args: { city: 'Oslo' } }, thoughtSignature: 'skip_thought_signature_validator' }] },
        { role: 'user', parts: [{ functionResponse: { id: 'get_forecast_1767225600_0', name: 'get_forecast', response: { error: 'no station' } } }] },
      ],
      config: { tools: TOOLS },
    });
    const body = (await recordFor(env.mock, tag)).body as { messages: Array<{ role: string; content: Array<Record<string, unknown>> }> };
    const use = body.messages[1]!.content[0]!;
    const result = body.messages[2]!.content[0]!;
    assert.equal(use.type, 'tool_use');
    assert.equal(result.type, 'tool_result');
    assert.equal(result.tool_use_id, use.id);
    assert.equal(result.is_error, true);
  });
});

describe('countTokens', () => {
  test('Gemini upstream: its own countTokens, exactly', async () => {
    const res = await genai.models.countTokens({ model: 'm-ge', contents: 'count me' });
    // The mock counts 10 + the contents it was given (src/mock/README.md).
    assert.equal(res.totalTokens, 11);
    const sent = env.mock.requests.at(-1)!;
    assert.match(sent.path, /\/models\/gemini-x:countTokens$/);
  });

  test('Anthropic upstream: its count_tokens, exactly', async () => {
    const res = await genai.models.countTokens({ model: 'm-an', contents: [{ role: 'user', parts: [{ text: 'a' }] }, { role: 'model', parts: [{ text: 'b' }] }, { role: 'user', parts: [{ text: 'c' }] }] });
    assert.equal(res.totalTokens, 13);
    assert.match(env.mock.requests.at(-1)!.path, /\/v1\/messages\/count_tokens$/);
  });

  test('OpenAI upstream: the local tokenizer, within 10 % of the reference', async () => {
    const text = 'Sluice routes each request to one of several upstream deployments and streams the answer back. '.repeat(30);
    const before = env.mock.requests.length;
    const res = await fetch(`${env.sluice.url}/v1beta/models/m-oa:countTokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'x' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }] }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-sluice-token-count'), 'estimated');
    const { totalTokens } = (await res.json()) as { totalTokens: number };
    const enc = get_encoding('o200k_base');
    const reference = enc.encode(text).length;
    enc.free();
    assert.ok(Math.abs(totalTokens - reference) / reference < 0.1, `${totalTokens} vs reference ${reference}`);
    assert.equal(env.mock.requests.length, before, 'nothing sent upstream');
  });
});

describe('wire details', () => {
  test('without alt=sse the stream is one JSON array written element by element', async () => {
    const res = await fetch(`${env.sluice.url}/v1beta/models/m-an:streamGenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'x' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'Hi [[mock chunks=12 delay=20]]' }] }] }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const reader = res.body!.getReader();
    const pieces: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pieces.push(Buffer.from(value).toString('utf8'));
    }
    assert.ok(pieces.length > 3, `flushed element by element (${pieces.length} reads)`);
    const arr = JSON.parse(pieces.join('')) as Array<{ candidates: Array<{ content: { parts: Array<{ text: string }> }; finishReason?: string }> }>;
    assert.equal(arr.map((c) => c.candidates[0]!.content.parts.map((p) => p.text).join('')).join(''), TEXT12);
    assert.equal(arr.at(-1)!.candidates[0]!.finishReason, 'STOP');
  });

  test('alt=json is the array form too; another alt value is a Google-shaped 400 naming alt, nothing sent upstream', async () => {
    const body = JSON.stringify({ contents: [{ parts: [{ text: 'Hi [[mock chunks=3]]' }] }] });
    const headers = { 'content-type': 'application/json', 'x-goog-api-key': 'x' };
    const json = await fetch(`${env.sluice.url}/v1beta/models/m-oa:streamGenerateContent?alt=json`, { method: 'POST', headers, body });
    assert.equal(json.status, 200);
    const arr = (await json.json()) as Array<{ candidates: Array<{ content: { parts: Array<{ text: string }> } }> }>;
    assert.equal(arr.map((c) => c.candidates[0]!.content.parts[0]!.text).join(''), mockText(3).join(''));
    const before = env.mock.requests.length;
    for (const alt of ['proto', 'media', 'SSE', 'ssе']) {
      const res = await fetch(`${env.sluice.url}/v1beta/models/m-oa:streamGenerateContent?alt=${encodeURIComponent(alt)}`, { method: 'POST', headers, body });
      assert.equal(res.status, 400, alt);
      const err = (await res.json()) as { error: { code: number; status: string; message: string } };
      assert.equal(err.error.code, 400);
      assert.equal(err.error.status, 'INVALID_ARGUMENT');
      assert.match(err.error.message, /Invalid value at 'alt'/);
    }
    assert.equal(env.mock.requests.length, before, 'nothing sent upstream');
  });

  test('percent-encoded method separator and ?key= are accepted', async () => {
    const res = await fetch(`${env.sluice.url}/v1beta/models/m-oa%3AgenerateContent?key=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ parts: [{ text: 'Hi [[mock chunks=3]]' }] }] }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { candidates: Array<{ content: { parts: Array<{ text: string }> } }> };
    assert.equal(body.candidates[0]!.content.parts[0]!.text, mockText(3).join(''));
  });

  test('models.list and models.get', async () => {
    const names: string[] = [];
    for await (const m of await genai.models.list()) names.push(m.name ?? '');
    assert.ok(names.includes('models/m-ge') && names.includes('models/demo'), names.join(','));
    const one = await genaiBeta.models.get({ model: 'm-oa' });
    assert.equal(one.name, 'models/m-oa');
    await assert.rejects(genai.models.get({ model: 'nope' }), /404|not found/i);
  });
});

describe('bad input: Google-shaped 400, nothing sent upstream', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown generationConfig field', { contents: [{ parts: [{ text: 'x' }] }], generationConfig: { maxTokens: 5 } }, /Unknown name "maxTokens" at 'generation_config'/],
    ['empty contents', { contents: [] }, /contents must be a non-empty array/],
    ['contents not an array', { contents: { parts: [{ text: 'x' }] } }, /non-empty array/],
    ['a part with no known field', { contents: [{ parts: [{ txt: 'x' }] }] }, /Unknown name "txt"/],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, /parts must not be empty/],
    ['bad role', { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, /valid role/],
  ];
  for (const [name, body, pattern] of cases) {
    test(name, async () => {
      const before = env.mock.requests.length;
      const res = await fetch(`${env.sluice.url}/v1beta/models/m-oa:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'x' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 400);
      const err = ((await res.json()) as { error: { code: number; status: string; message: string } }).error;
      assert.equal(err.code, 400);
      assert.equal(err.status, 'INVALID_ARGUMENT');
      assert.match(err.message, pattern);
      assert.equal(env.mock.requests.length, before, 'nothing sent upstream');
    });
  }

  test('the SDK raises the 400', async () => {
    await assert.rejects(
      genai.models.generateContent({ model: 'm-oa', contents: 'x', config: { responseMimeType: 'application/json', responseJsonSchema: 'not a schema' as never } }),
      /400|INVALID_ARGUMENT/,
    );
  });

  test('built-in tools on a non-Gemini upstream: a clear 400', async () => {
    await assert.rejects(genai.models.generateContent({ model: 'm-oa', contents: 'x', config: { tools: [{ googleSearch: {} }] } }), /googleSearch/);
  });
});

describe('the other upstream types (OpenAI Responses, Cohere)', () => {
  let mock: MockServer;
  let sluice: SluiceProcess;
  let ai: GoogleGenAI;
  before(async () => {
    mock = await startMock({ port: 0 });
    sluice = await startSluice({
      config: `
providers:
  re: { type: openai-responses, base_url: ${mock.url}/v1 }
  co: { type: cohere, base_url: ${mock.url} }
models:
  m-re: { targets: [{ provider: re, model: gpt-x }] }
  m-co: { targets: [{ provider: co, model: command-x }] }
retries: { attempts: 0 }
`,
    });
    ai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: sluice.url, timeout: 10_000 } });
  });
  after(async () => {
    await sluice?.stop();
    await mock?.close();
  });

  for (const [model, dialect] of [['m-re', 'openai-responses'], ['m-co', 'cohere']] as const) {
    test(`${model}: stream, a function-calling round trip, countTokens`, async () => {
      const stream = await ai.models.generateContentStream({ model, contents: 'Hi [[mock chunks=12]]' });
      let text = '';
      for await (const chunk of stream) text += chunk.text ?? '';
      assert.equal(text, TEXT12);
      const first = await ai.models.generateContent({ model, contents: 'Weather? [[mock tool=1 chunks=2]]', config: { tools: TOOLS } });
      const call = first.functionCalls![0]!;
      assert.deepEqual(call.args, MOCK_TOOL_ARGS);
      const second = await ai.models.generateContent({
        model,
        contents: [
          { role: 'user', parts: [{ text: 'Weather? [[mock tool=1 chunks=2]]' }] },
          first.candidates![0]!.content!,
          { role: 'user', parts: [{ functionResponse: { id: call.id, name: call.name!, response: { output: '4 °C' } } }] },
        ],
        config: { tools: TOOLS },
      });
      assert.equal(second.text, TEXT12);
      const rec = mock.requests.at(-1)!;
      assert.equal(rec.dialect, dialect);
      assert.ok(JSON.stringify(rec.body).includes('4 °C'));
      const count = await ai.models.countTokens({ model, contents: 'count these words please' });
      assert.ok((count.totalTokens ?? 0) > 3);
    });
  }
});
