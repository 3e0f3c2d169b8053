import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { FrontContext } from '../../../src/core/protocol.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import { createGeminiStreamEncoder } from '../../../src/protocols/gemini/encode-stream.ts';
import { encodeGeminiResponse } from '../../../src/protocols/gemini/encode-response.ts';
import { encodeGeminiError } from '../../../src/protocols/gemini/front-errors.ts';
import { listGeminiModels, getGeminiModel } from '../../../src/protocols/gemini/models.ts';
import { readSignature } from '../../../src/protocols/gemini/carrier.ts';
import { decodeGeminiRequest } from '../../../src/protocols/gemini/decode-request.ts';

const ctx = (over: Partial<FrontContext> = {}): FrontContext => ({
  requestId: 'req_1',
  model: 'gemini-2.5-flash',
  created: 1767225600,
  includeUsage: true,
  includeReasoning: false,
  ...over,
});

function run(events: StreamEvent[], framing: 'sse' | 'json-array', c = ctx()): string {
  let out = '';
  const encode = createGeminiStreamEncoder(c, { write: (s) => void (out += s) }, framing);
  for (const ev of events) encode(ev);
  return out;
}

function sseChunks(text: string): any[] {
  return text
    .split('\n\n')
    .filter((b) => b !== '')
    .map((b) => {
      assert.ok(b.startsWith('data: '), b);
      return JSON.parse(b.slice(6));
    });
}

const TEXT_TURN: StreamEvent[] = [
  { type: 'message-start', id: 'up1', model: 'gpt-4o' },
  { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
  { type: 'reasoning-delta', index: 0, text: 'Think.' },
  { type: 'block-end', index: 0 },
  { type: 'block-start', index: 1, block: { kind: 'text' } },
  { type: 'text-delta', index: 1, text: 'Hello' },
  { type: 'text-delta', index: 1, text: ' "world"\n' },
  { type: 'block-end', index: 1 },
  { type: 'finish', reason: 'stop' },
  { type: 'usage', usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 100, reasoningTokens: 12 } },
  { type: 'done' },
];

test('SSE: every chunk a GenerateContentResponse; the last with finishReason and usageMetadata', () => {
  const chunks = sseChunks(run(TEXT_TURN, 'sse'));
  assert.equal(chunks.length, 3, 'no thought chunk unless thoughts were asked for');
  const ids = new Set(chunks.map((c) => c.responseId));
  assert.equal(ids.size, 1);
  for (const c of chunks) {
    assert.equal(c.modelVersion, 'gemini-2.5-flash');
    assert.equal(c.candidates[0].content.role, 'model');
    assert.equal(c.candidates[0].index, 0);
  }
  assert.deepEqual(chunks[0].candidates[0].content.parts, [{ text: 'Hello' }]);
  assert.deepEqual(chunks[1].candidates[0].content.parts, [{ text: ' "world"\n' }]);
  const last = chunks[2];
  assert.equal(last.candidates[0].finishReason, 'STOP');
  assert.deepEqual(last.usageMetadata, {
    promptTokenCount: 120,
    candidatesTokenCount: 18,
    totalTokenCount: 150,
    thoughtsTokenCount: 12,
    cachedContentTokenCount: 100,
  });
  assert.equal(chunks[0].usageMetadata, undefined);
});

test('thoughts stream as thought parts when asked for', () => {
  const chunks = sseChunks(run(TEXT_TURN, 'sse', ctx({ includeReasoning: true })));
  assert.deepEqual(chunks[0].candidates[0].content.parts, [{ text: 'Think.', thought: true }]);
});

test('JSON array framing: a valid array, each element complete', () => {
  const text = run(TEXT_TURN, 'json-array');
  assert.ok(text.startsWith('[{'));
  assert.ok(text.endsWith('}]'));
  const arr = JSON.parse(text);
  assert.equal(arr.length, 3);
  assert.equal(arr[2].candidates[0].finishReason, 'STOP');
});

test('tool calls go out whole with their id; finish STOP; a step carries its signed reasoning', () => {
  const events: StreamEvent[] = [
    { type: 'message-start' },
    { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
    { type: 'reasoning-delta', index: 0, text: 'Need weather.' },
    { type: 'signature-delta', index: 0, signature: 'ErUBsig' },
    { type: 'block-end', index: 0 },
    { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'toolu_1', name: 'get_forecast' } },
    { type: 'tool-args-delta', index: 1, json: '{"city":' },
    { type: 'tool-args-delta', index: 1, json: ' "Oslo"}' },
    { type: 'block-end', index: 1 },
    { type: 'block-start', index: 2, block: { kind: 'tool-call', id: 'toolu_2', name: 'get_forecast' } },
    { type: 'tool-args-delta', index: 2, json: '{"city":"Bergen"}' },
    { type: 'block-end', index: 2 },
    { type: 'finish', reason: 'tool-calls' },
    { type: 'done' },
  ];
  const chunks = sseChunks(run(events, 'sse'));
  assert.equal(chunks.length, 3);
  const first = chunks[0].candidates[0].content.parts[0];
  assert.deepEqual(first.functionCall, { id: 'toolu_1', name: 'get_forecast', args: { city: 'Oslo' } });
  const meaning = readSignature(first.thoughtSignature);
  assert.deepEqual(meaning, { kind: 'reasoning', parts: [{ type: 'reasoning', text: 'Need weather.', signature: 'ErUBsig' }] });
  const second = chunks[1].candidates[0].content.parts[0];
  assert.deepEqual(second, { functionCall: { id: 'toolu_2', name: 'get_forecast', args: { city: 'Bergen' } } });
  assert.equal(chunks[2].candidates[0].finishReason, 'STOP');

  // Round trip: the client's history decodes back to the reasoning, then the calls.
  const history = decodeGeminiRequest(
    {
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }] },
        { role: 'model', parts: [first, second] },
        { role: 'user', parts: [{ functionResponse: { id: 'toolu_1', name: 'get_forecast', response: { output: '4' } } }, { functionResponse: { id: 'toolu_2', name: 'get_forecast', response: { output: '6' } } }] },
      ],
    },
    { model: 'm', stream: true, alt: 'sse' },
  );
  assert.deepEqual(
    history.messages[1]!.content.map((p) => p.type),
    ['reasoning', 'tool-call', 'tool-call'],
  );
});

test('a Gemini upstream signature on a call is passed through as is', () => {
  const chunks = sseChunks(
    run(
      [
        { type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'call_x', name: 'f', signature: 'EpEgGoogle' } },
        { type: 'tool-args-delta', index: 0, json: '{}' },
        { type: 'block-end', index: 0 },
        { type: 'finish', reason: 'tool-calls' },
        { type: 'done' },
      ],
      'sse',
    ),
  );
  assert.equal(chunks[0].candidates[0].content.parts[0].thoughtSignature, 'EpEgGoogle');
});

test('errors after the commit point: the last SSE event / array element is Google error JSON', () => {
  const err = new GatewayError('upstream_overloaded', 'Overloaded (provider a)', { status: 503 });
  const events: StreamEvent[] = [
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'Hi' },
    { type: 'error', error: err },
  ];
  const chunks = sseChunks(run(events, 'sse'));
  assert.deepEqual(chunks[1], { error: { code: 503, message: 'Overloaded (provider a)', status: 'UNAVAILABLE' } });
  const arr = JSON.parse(run(events, 'json-array'));
  assert.equal(arr.length, 2);
  assert.equal(arr[1].error.status, 'UNAVAILABLE');
  // An error before anything: still a valid array.
  assert.equal(JSON.parse(run([{ type: 'error', error: err }], 'json-array')).length, 1);
  // A half-streamed call is not sent.
  const cut = sseChunks(
    run([{ type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'c', name: 'f' } }, { type: 'tool-args-delta', index: 0, json: '{"a"' }, { type: 'error', error: err }], 'sse'),
  );
  assert.equal(cut.length, 1);
  assert.ok(cut[0].error);
});

test('non-streaming response', () => {
  const body = JSON.parse(
    encodeGeminiResponse(
      {
        blocks: [
          { kind: 'text', text: 'Checking.' },
          { kind: 'tool-call', id: 'call_1', name: 'f', arguments: '{"a":1}' },
        ],
        finishReason: 'tool-calls',
        usage: { inputTokens: 10, outputTokens: 5 },
      },
      ctx(),
    ),
  );
  assert.deepEqual(body.candidates[0].content, { role: 'model', parts: [{ text: 'Checking.' }, { functionCall: { id: 'call_1', name: 'f', args: { a: 1 } } }] });
  assert.equal(body.candidates[0].finishReason, 'STOP');
  assert.deepEqual(body.usageMetadata, { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 });
  assert.equal(body.modelVersion, 'gemini-2.5-flash');
  const cut = JSON.parse(encodeGeminiResponse({ blocks: [{ kind: 'text', text: 'a' }], finishReason: 'length' }, ctx()));
  assert.equal(cut.candidates[0].finishReason, 'MAX_TOKENS');
});

test('pre-stream errors: status names, RetryInfo on 429, 529 shown as 503', () => {
  const rate = encodeGeminiError(new GatewayError('upstream_rate_limited', 'slow down', { retryAfterMs: 7000 }));
  assert.equal(rate.status, 429);
  assert.deepEqual(JSON.parse(rate.body), {
    error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }] },
  });
  assert.equal(rate.headers['retry-after'], '7');
  assert.equal(JSON.parse(encodeGeminiError(new GatewayError('unauthorized', 'missing or invalid API key')).body).error.status, 'UNAUTHENTICATED');
  assert.equal(encodeGeminiError(new GatewayError('upstream_overloaded', 'x', { status: 529 })).status, 503);
  assert.equal(JSON.parse(encodeGeminiError(new GatewayError('model_not_found', 'x')).body).error.status, 'NOT_FOUND');
  assert.equal(JSON.parse(encodeGeminiError(new GatewayError('upstream_timeout', 'x')).body).error.status, 'DEADLINE_EXCEEDED');
});

test('model list pages and single model', () => {
  const names = Array.from({ length: 5 }, (_, i) => `m${i}`);
  const p1 = JSON.parse(listGeminiModels(names, new URLSearchParams('pageSize=2')));
  assert.deepEqual(p1.models.map((m: { name: string }) => m.name), ['models/m0', 'models/m1']);
  const p2 = JSON.parse(listGeminiModels(names, new URLSearchParams(`pageSize=2&pageToken=${p1.nextPageToken}`)));
  assert.deepEqual(p2.models.map((m: { name: string }) => m.name), ['models/m2', 'models/m3']);
  const p3 = JSON.parse(listGeminiModels(names, new URLSearchParams(`pageSize=2&pageToken=${p2.nextPageToken}`)));
  assert.equal(p3.nextPageToken, undefined);
  assert.deepEqual(JSON.parse(getGeminiModel(names, 'models/m3')).supportedGenerationMethods, ['generateContent', 'streamGenerateContent', 'countTokens']);
  assert.throws(() => getGeminiModel(names, 'nope'), /not found/);
});
