// The OpenAI stream decoder's fast path (ContentShape in decode-stream.ts): text chunks identical,
// outside their content string, to one already parsed are recognised on their bytes (through
// SseDecoder's onDataLine, wired as the gateway wires it) and read without JSON.parse. It must decode
// exactly what the full path decodes. The reference is the same stream pretty-printed (a space after
// every colon), which the fast path never recognises, so every chunk of it takes the full path.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamEvent } from '../../../src/core/events.ts';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import { openaiUpstream } from '../../../src/protocols/openai/index.ts';
import { decodeContext, prng } from './helpers.ts';

const HEAD = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'm', system_fingerprint: 'fp_1' };

function chunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...HEAD, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra });
}

/** Decodes `datas` sent as SSE (`data: …` and a blank line each), in reads of `cut` bytes (all at once by default). */
function decode(datas: string[], opts: { cut?: number; eol?: string } = {}): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = openaiUpstream.createStreamDecoder((ev) => events.push(ev), decodeContext());
  const sse = new SseDecoder({
    onEvent: (data, event) => decoder.onEvent(data, event),
    onDataLine: (bytes, start, end) => decoder.onDataLine!(bytes, start, end),
  });
  const eol = opts.eol ?? '\n';
  // A multi-line payload (the pretty reference) becomes one `data:` line per line, as SSE sends it.
  const body = Buffer.from(datas.map((d) => `${d.split('\n').map((line) => `data: ${line}${eol}`).join('')}${eol}`).join(''));
  const cut = opts.cut ?? body.length;
  for (let at = 0; at < body.length; at += cut) sse.push(body.subarray(at, at + cut));
  sse.end();
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
  ' ends in a backslash\\',
  '\\',
  ' \\"',
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
    const reference = decode(pretty(datas));
    assert.deepEqual(decode(datas), reference, `round ${round}: ${JSON.stringify(datas)}`);
    // Events split across reads, and CRLF line ends, decode the same.
    assert.deepEqual(decode(datas, { cut: 1 + Math.floor(rnd() * 300) }), reference, `round ${round}, cut`);
    assert.deepEqual(decode(datas, { eol: '\r\n', cut: 1 + Math.floor(rnd() * 300) }), reference, `round ${round}, CRLF`);
  }
});

test('a backslash before the closing quote escapes it: the literal does not end there', () => {
  const first = chunk({ content: 'Hello' });
  // `"a\"` followed by the tail: the quote is escaped, so this is not a literal of the shape (and not JSON).
  const bad = first.replace('"Hello"', '"a\\"');
  const events = decode([first, bad]);
  const last = events[events.length - 1]!;
  assert.equal(last.type, 'error');
  assert.equal((last as { type: 'error'; error: { code: string } }).error.code, 'upstream_malformed');
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
