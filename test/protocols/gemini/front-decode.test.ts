import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGeminiRequest } from '../../../src/protocols/gemini/decode-request.ts';
import { decodeGeminiCountRequest } from '../../../src/protocols/gemini/count-tokens.ts';
import { packReasoning } from '../../../src/protocols/gemini/carrier.ts';
import { toJsonSchema } from '../../../src/protocols/gemini/schema.ts';
import { GatewayError } from '../../../src/core/errors.ts';

const info = { model: 'models/gemini-2.5-flash', stream: true, alt: 'sse' };

test('text, system instruction, generation config and framing', () => {
  const req = decodeGeminiRequest(
    {
      systemInstruction: { role: 'user', parts: [{ text: 'Be terse.' }, { text: 'Answer in English.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      generationConfig: { temperature: 0.3, topP: 0.9, topK: 40, maxOutputTokens: 100, stopSequences: ['END'], seed: 7, candidateCount: 1 },
    },
    info,
  );
  assert.equal(req.model, 'gemini-2.5-flash');
  assert.equal(req.front, 'gemini');
  assert.equal(req.stream, true);
  assert.deepEqual(req.frontState, { framing: 'sse' });
  assert.deepEqual(req.messages, [
    { role: 'system', content: [{ type: 'text', text: 'Be terse.' }, { type: 'text', text: 'Answer in English.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
  ]);
  assert.equal(req.temperature, 0.3);
  assert.equal(req.topP, 0.9);
  assert.equal(req.topK, 40);
  assert.equal(req.maxTokens, 100);
  assert.deepEqual(req.stop, ['END']);
  assert.equal(req.seed, 7);
  assert.equal(req.n, undefined);
  const arr = decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }] }, { model: 'm', stream: true, alt: null });
  assert.deepEqual(arr.frontState, { framing: 'json-array' });
});

test('snake_case field names are accepted like Google does', () => {
  const req = decodeGeminiRequest(
    {
      system_instruction: { parts: [{ text: 'S' }] },
      contents: [{ role: 'user', parts: [{ inline_data: { mime_type: 'image/png', data: 'iVBORw0K' } }, { text: 'what?' }] }],
      generation_config: { max_output_tokens: 9, thinking_config: { thinking_budget: 1024, include_thoughts: true } },
    },
    info,
  );
  assert.equal(req.maxTokens, 9);
  assert.deepEqual(req.reasoning, { include: true, budgetTokens: 1024 });
  assert.deepEqual(req.messages[1]!.content[0], { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0K' } });
});

test('function calls get deterministic ids and responses pair with them by name and order', () => {
  const body = {
    contents: [
      { role: 'user', parts: [{ text: 'Weather in Oslo and Bergen?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_forecast', args: { city: 'Oslo' } }, thoughtSignature: 'EpEgGoogle' },
          { functionCall: { name: 'get_forecast', args: { city: 'Bergen' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_forecast', response: { output: '4 C' } } },
          { functionResponse: { name: 'get_forecast', response: { error: 'no station' } } },
        ],
      },
    ],
  };
  const a = decodeGeminiRequest(body, info);
  const b = decodeGeminiRequest(structuredClone(body), info);
  const calls = a.messages[1]!.content;
  assert.equal(calls.length, 2);
  const [c1, c2] = calls as Array<{ type: string; id: string; name: string; arguments: string; signature?: string }>;
  assert.equal(c1!.type, 'tool-call');
  assert.match(c1!.id, /^call_[A-Za-z0-9_]{20}$/);
  assert.notEqual(c1!.id, c2!.id);
  assert.deepEqual(b.messages[1]!.content, calls, 'same history, same ids');
  assert.equal(c1!.arguments, '{"city":"Oslo"}');
  assert.equal(c1!.signature, 'EpEgGoogle');
  assert.equal(c2!.signature, undefined);
  assert.deepEqual(a.messages[2], {
    role: 'tool',
    content: [
      { type: 'tool-result', toolCallId: c1!.id, name: 'get_forecast', content: [{ type: 'text', text: '4 C' }] },
      { type: 'tool-result', toolCallId: c2!.id, name: 'get_forecast', content: [{ type: 'text', text: 'no station' }], isError: true },
    ],
  });
});

test('ids the client sends (Gemini CLI echoes ours) are kept; synthetic signatures mean nothing', () => {
  const req = decodeGeminiRequest(
    {
      contents: [
        { role: 'user', parts: [{ text: 'ls' }] },
        { role: 'model', parts: [{ functionCall: { id: 'call_abc', name: 'list', args: {} }, thoughtSignature: 'skip_thought_signature_validator' }] },
        { role: 'user', parts: [{ functionResponse: { id: 'call_abc', name: 'list', response: { output: 'a.txt' } } }] },
      ],
    },
    info,
  );
  assert.deepEqual(req.messages[1]!.content, [{ type: 'tool-call', id: 'call_abc', name: 'list', arguments: '{}' }]);
  assert.equal((req.messages[2]!.content[0] as { toolCallId: string }).toolCallId, 'call_abc');
});

test('a reasoning carrier in thoughtSignature comes back as signed reasoning before the call', () => {
  const carrier = packReasoning([
    { type: 'reasoning', text: 'Need the forecast.', signature: 'ErUBanthropic' },
    { type: 'reasoning', text: '', redactedData: 'opaque' },
  ])!;
  const req = decodeGeminiRequest(
    {
      contents: [
        { role: 'user', parts: [{ text: 'Oslo?' }] },
        { role: 'model', parts: [{ text: 'Checking.' }, { functionCall: { id: 'toolu_1', name: 'get_forecast', args: { city: 'Oslo' } }, thoughtSignature: carrier }] },
        { role: 'user', parts: [{ functionResponse: { id: 'toolu_1', name: 'get_forecast', response: { high: 4 } } }] },
      ],
    },
    info,
  );
  assert.deepEqual(req.messages[1]!.content, [
    { type: 'text', text: 'Checking.' },
    { type: 'reasoning', text: 'Need the forecast.', signature: 'ErUBanthropic' },
    { type: 'reasoning', text: '', redactedData: 'opaque' },
    { type: 'tool-call', id: 'toolu_1', name: 'get_forecast', arguments: '{"city":"Oslo"}' },
  ]);
  assert.deepEqual(req.messages[2]!.content[0], { type: 'tool-result', toolCallId: 'toolu_1', name: 'get_forecast', content: [{ type: 'text', text: '{"high":4}' }] });
});

test('tools: parametersJsonSchema, OpenAPI parameters lowered; tool config modes', () => {
  const req = decodeGeminiRequest(
    {
      contents: [{ parts: [{ text: 'x' }] }],
      tools: [
        {
          functionDeclarations: [
            { name: 'a', description: 'A', parametersJsonSchema: { type: 'object', properties: { q: { type: 'string' } } } },
            { name: 'b', parameters: { type: 'OBJECT', properties: { n: { type: 'INTEGER', nullable: true }, tags: { type: 'ARRAY', items: { type: 'STRING' } } } } },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['b'] } },
    },
    info,
  );
  assert.deepEqual(req.tools, [
    { name: 'b', parameters: { type: 'object', properties: { n: { type: ['integer', 'null'] }, tags: { type: 'array', items: { type: 'string' } } } } },
  ]);
  assert.deepEqual(req.toolChoice, { type: 'tool', name: 'b' });
  const none = decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], tools: [{ functionDeclarations: [{ name: 'a' }] }], toolConfig: { functionCallingConfig: { mode: 'NONE' } } }, info);
  assert.deepEqual(none.toolChoice, { type: 'none' });
});

test('JSON output: responseMimeType and Gemini CLI-style upper-case responseJsonSchema; thinkingLevel', () => {
  const req = decodeGeminiRequest(
    {
      contents: [{ parts: [{ text: 'score' }] }],
      generationConfig: {
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'OBJECT', properties: { score: { type: 'INTEGER' } }, required: ['score'] },
        thinkingConfig: { includeThoughts: true, thinkingLevel: 'HIGH' },
      },
    },
    info,
  );
  assert.deepEqual(req.responseFormat, { type: 'json_schema', name: 'response', schema: { type: 'object', properties: { score: { type: 'integer' } }, required: ['score'] } });
  assert.deepEqual(req.reasoning, { include: true, effort: 'high' });
  const plain = decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 0 } } }, info);
  assert.deepEqual(plain.responseFormat, { type: 'json_object' });
  assert.deepEqual(plain.reasoning, { effort: 'none' });
  assert.deepEqual(decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { thinkingConfig: { thinkingBudget: -1 } } }, info).reasoning, { adaptive: true });
});

test('content only Google can serve marks the request non-portable; safety settings are logged', () => {
  const lines: string[] = [];
  const req = decodeGeminiRequest(
    {
      contents: [{ parts: [{ text: 'x' }, { fileData: { mimeType: 'application/pdf', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } }] }],
      safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
    },
    info,
    (_f, m) => lines.push(m),
  );
  assert.match(req.nonPortable ?? '', /fileData/);
  assert.equal(lines.length, 1);
  assert.match(decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], tools: [{ googleSearch: {} }] }, info).nonPortable ?? '', /googleSearch/);
  assert.match(decodeGeminiRequest({ contents: [{ parts: [{ text: 'x' }] }], cachedContent: 'cachedContents/abc' }, info).nonPortable ?? '', /cachedContent/);
});

function rejects(body: unknown, pattern: RegExp): void {
  assert.throws(
    () => decodeGeminiRequest(body, info),
    (e: unknown) => e instanceof GatewayError && e.status === 400 && pattern.test(e.message),
  );
}

test('bad input is a 400 in Google wording', () => {
  rejects({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { maxTokens: 5 } }, /Unknown name "maxTokens" at 'generation_config'/);
  rejects({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { thinkingConfig: { budget: 5 } } }, /Unknown name "budget"/);
  rejects({ contents: [{ parts: [{ text: 'x' }] }], stream: true }, /Unknown name "stream"/);
  rejects({ contents: [] }, /contents must be a non-empty array/);
  rejects({}, /contents is required/);
  rejects({ contents: [{ role: 'user', parts: [] }] }, /contents.parts must not be empty/);
  rejects({ contents: [{ role: 'user', parts: [{ txt: 'x' }] }] }, /Unknown name "txt" at 'contents\[0\]\.parts\[0\]'/);
  rejects({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, /valid role/);
  rejects({ contents: [{ parts: [{ text: 5 }] }] }, /TYPE_STRING/);
  rejects({ contents: 'hi' }, /non-empty array/);
  rejects({ contents: [{ parts: [{ text: 'x' }] }], generationConfig: { temperature: 'hot' } }, /TYPE_FLOAT/);
  rejects([1, 2], /Expected an object/);
});

test('countTokens bodies: {contents} or {generateContentRequest}', () => {
  const a = decodeGeminiCountRequest({ contents: [{ parts: [{ text: 'hi' }] }] }, 'models/gemini-2.5-flash');
  assert.equal(a.model, 'gemini-2.5-flash');
  assert.equal(a.stream, false);
  const b = decodeGeminiCountRequest(
    { generateContentRequest: { model: 'models/gemini-2.5-flash', contents: [{ parts: [{ text: 'hi' }] }], systemInstruction: { parts: [{ text: 'S' }] } } },
    'gemini-2.5-flash',
  );
  assert.equal(b.messages[0]!.role, 'system');
  assert.throws(() => decodeGeminiCountRequest({ contents: [], extra: 1 }, 'm'), /Unknown name "extra"/);
});

test('OpenAPI schema lowering keeps property names and other keywords', () => {
  assert.deepEqual(toJsonSchema({ type: 'OBJECT', properties: { dir_path: { type: 'STRING', description: 'd' } }, required: ['dir_path'] }), {
    type: 'object',
    properties: { dir_path: { type: 'string', description: 'd' } },
    required: ['dir_path'],
  });
  assert.deepEqual(toJsonSchema({ anyOf: [{ type: 'STRING' }], nullable: true }), { anyOf: [{ type: 'string' }, { type: 'null' }] });
});
