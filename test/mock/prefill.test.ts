// `sluice mock` continues a prefix the way each vendor does (docs/continuation.md relies on it): an
// Anthropic final assistant message (refused when it ends in whitespace, as the API does), an
// OpenAI-compatible final assistant message with vLLM's continue_final_message, a trailing Gemini
// model turn. The answer is the rest of the mock's text after the prefix.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { continueAfter } from '../../src/mock/content.ts';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';

let mock: MockServer;
before(async () => {
  mock = await startMock({ port: 0 });
});
after(async () => {
  await mock.close();
});

const FULL = mockText(8).join('');
const PREFIX = mockText(3).join('') + ' to'; // ends inside the fourth word, " token"

async function post(path: string, body: object): Promise<{ status: number; json: any }> {
  const res = await fetch(`${mock.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

test('the rest of the answer, cut at the same chunk boundaries', () => {
  assert.deepEqual(continueAfter(['ab', ' cd', ' ef'], 'ab c'), ['d', ' ef']);
  assert.deepEqual(continueAfter(['ab', ' cd'], 'ab'), [' cd']);
  assert.deepEqual(continueAfter(['ab', ' cd'], 'zz'), ['ab', ' cd'], 'not our text: the whole answer');
});

test('Anthropic: a final assistant message is continued; one ending in whitespace is refused', async () => {
  const messages = [{ role: 'user', content: 'hi [[mock chunks=8]]' }];
  const ok = await post('/v1/messages', { model: 'c', max_tokens: 50, messages: [...messages, { role: 'assistant', content: PREFIX }] });
  assert.equal(ok.status, 200);
  assert.equal(ok.json.content[0].text, FULL.slice(PREFIX.length));
  const refused = await post('/v1/messages', { model: 'c', max_tokens: 50, messages: [...messages, { role: 'assistant', content: `${PREFIX} ` }] });
  assert.equal(refused.status, 400);
  assert.deepEqual(refused.json.error, { type: 'invalid_request_error', message: 'messages: final assistant content cannot end with trailing whitespace' });
});

test('OpenAI-compatible: continued only with continue_final_message', async () => {
  const messages = [{ role: 'user', content: 'hi [[mock chunks=8]]' }, { role: 'assistant', content: PREFIX }];
  const continued = await post('/v1/chat/completions', { model: 'o', messages, continue_final_message: true, add_generation_prompt: false });
  assert.equal(continued.json.choices[0].message.content, FULL.slice(PREFIX.length));
  const fresh = await post('/v1/chat/completions', { model: 'o', messages });
  assert.equal(fresh.json.choices[0].message.content, FULL, 'a trailing assistant message is history otherwise');
});

test('Gemini: a trailing model turn is continued', async () => {
  const res = await post('/v1beta/models/g:generateContent', {
    contents: [{ role: 'user', parts: [{ text: 'hi [[mock chunks=8]]' }] }, { role: 'model', parts: [{ text: PREFIX }] }],
  });
  const text = (res.json.candidates[0].content.parts as Array<{ text?: string }>).map((p) => p.text ?? '').join('');
  assert.equal(text, FULL.slice(PREFIX.length));
});
