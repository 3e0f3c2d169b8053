// The OpenAI stream decoder's fast path (ContentShape in decode-stream.ts): text chunks identical,
// outside their content string, to one already parsed are read without JSON.parse. It must decode
// exactly what the full path decodes. The reference is the same stream pretty-printed (a space after
// every colon), which the fast path never recognises, so every chunk of it takes the full path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamEvent } from '../../../src/core/events.ts';
import { openaiUpstream } from '../../../src/protocols/openai/index.ts';
import { decodeContext, prng } from './helpers.ts';

const HEAD = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'm', system_fingerprint: 'fp_1' };

function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...HEAD, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra });
}

function decode(datas: string[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = openaiUpstream.createStreamDecoder((ev) => events.push(ev), decodeContext());
  for (const d of datas) decoder.onEvent(d, '');
  decoder.end();
  return events;
}

/** The same chunks, each re-serialised with whitespace: every one goes through JSON.parse. */
function pretty(datas: string[]): string[] {
  return datas.map((d) => (d === '[DONE]' ? d : JSON.stringify(JSON.parse(d), null, 1)));
}

const TEXTS = [
  'plain',
  ' words and spaces',
  ' naïve café',
  ' 東京',
  ' 🌧 rain',
  ' "quoted"',
  ' back\\slash',
  ' tab\there',
  ' new\nline',
  ' \u0001control',
  ' \u2028separator',
  '',
  ' a","x":"b',
  ' }]},{"index":1',
  ' content',
  ' "content":',
];

test('random text streams decode the same on the fast path and the full path', () => {
  const rnd = prng(7);
  for (let round = 0; round < 200; round++) {
    const datas = [chunk({ role: 'assistant', content: '' })];
    const n = 1 + Math.floor(rnd() * 30);
    for (let i = 0; i < n; i++) {
      const r = rnd();
      if (r < 0.8) datas.push(chunk({ content: TEXTS[Math.floor(rnd() * TEXTS.length)]! }));
      else if (r < 0.85) datas.push(chunk({ reasoning_content: 'thinking' }));
      else if (r < 0.9) datas.push(JSON.stringify({ ...HEAD, id: `chatcmpl-${i}`, choices: [{ index: 0, delta: { content: ' other id' }, finish_reason: null }] }));
      else if (r < 0.95) datas.push(chunk({ content: ' with usage' }, null, { usage: { prompt_tokens: 3, completion_tokens: i, total_tokens: 3 + i } }));
      else datas.push(chunk({ content: ' and a refusal', refusal: 'no' }));
    }
    datas.push(chunk({}, 'stop'), '[DONE]');
    assert.deepEqual(decode(datas), decode(pretty(datas)), `round ${round}: ${JSON.stringify(datas)}`);
  }
});

test('a literal that is more than one string is never taken as text', () => {
  const first = chunk({ content: 'Hello' });
  const at = first.indexOf('"Hello"');
  const head = first.slice(0, at);
  const tail = first.slice(at + '"Hello"'.length);
  // Valid JSON whose delta has a second key: the text is "a", not `a","x":"b`.
  const sneaky = `${head}"a","x":"b"${tail}`;
  const datas = [first, sneaky, chunk({}, 'stop'), '[DONE]'];
  const events = decode(datas);
  assert.deepEqual(events, decode(pretty(datas)));
  const texts = events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text);
  assert.deepEqual(texts, ['Hello', 'a']);
});

test('a raw control character in the literal is still a malformed chunk', () => {
  const first = chunk({ content: 'Hello' });
  const bad = first.replace('"Hello"', '"bad\u0001char"');
  const events = decode([first, bad]);
  const last = events[events.length - 1]!;
  assert.equal(last.type, 'error');
  assert.equal((last as { type: 'error'; error: { code: string } }).error.code, 'upstream_malformed');
});

test('a finishing chunk with the same head is read in full', () => {
  const datas = [chunk({ content: 'Hi' }), chunk({ content: ' there' }), chunk({ content: '!' }, 'length'), '[DONE]'];
  const events = decode(datas);
  assert.deepEqual(events, decode(pretty(datas)));
  assert.ok(events.some((e) => e.type === 'finish' && e.reason === 'length'));
});

test('the fast path is taken: plain text chunks cost no JSON.parse after the first', () => {
  const datas = [chunk({ role: 'assistant', content: '' })];
  for (let i = 0; i < 100; i++) datas.push(chunk({ content: ` word${i}` }));
  datas.push(chunk({}, 'stop'), '[DONE]');
  const parse = JSON.parse;
  let calls = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    calls++;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  try {
    decode(datas);
  } finally {
    JSON.parse = parse;
  }
  // The role chunk, the first text chunk (and its literal, once) and the finish chunk.
  assert.ok(calls <= 5, `${calls} JSON.parse calls for ${datas.length} chunks`);
});
