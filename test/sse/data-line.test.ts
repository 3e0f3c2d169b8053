// SseDecoder's onDataLine fast path: offered exactly the events that are one `data:` line and
// nothing else, with their blank line in the same read; declining it changes nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseDecoder } from '../../src/sse/decoder.ts';

interface Seen {
  lines: string[];
  events: Array<[string, string, string]>;
}

function run(body: string, take: (value: string) => boolean, cut = body.length): Seen {
  const seen: Seen = { lines: [], events: [] };
  const sse = new SseDecoder({
    onEvent: (data, event, id) => seen.events.push([data, event, id]),
    onDataLine(bytes, start, end) {
      const value = bytes.toString('utf8', start, end);
      seen.lines.push(value);
      return take(value);
    },
  });
  const bytes = Buffer.from(body);
  for (let at = 0; at < bytes.length; at += cut) sse.push(bytes.subarray(at, at + cut));
  sse.end();
  return seen;
}

const BODY = [
  'data: one\n\n',
  'event: named\ndata: two\n\n',
  'data: three\ndata: four\n\n',
  'id: 7\ndata: five\n\n',
  ': comment\ndata:six\n\n',
  'data: seven\r\n\r\n',
  'data: eight\r\n\n',
  'data: nine\n\n',
].join('');

test('only single-line data events without an event type are offered', () => {
  const seen = run(BODY, () => false);
  assert.deepEqual(seen.lines, ['one', 'five', 'six', 'seven', 'nine']);
  assert.deepEqual(
    seen.events.map((e) => e[0]),
    ['one', 'two', 'three\nfour', 'five', 'six', 'seven', 'eight', 'nine'],
  );
});

test('a taken event is not dispatched; the others are, with their fields intact', () => {
  const seen = run(BODY, (v) => v === 'one' || v === 'five');
  assert.deepEqual(seen.events, [
    ['two', 'named', ''],
    ['three\nfour', '', ''],
    ['six', '', '7'],
    ['seven', '', '7'],
    ['eight', '', '7'],
    ['nine', '', '7'],
  ]);
});

test('declining gives the same events as a handler without the fast path, however the bytes are cut', () => {
  const plain: Array<[string, string, string]> = [];
  const sse = new SseDecoder({ onEvent: (data, event, id) => plain.push([data, event, id]) });
  sse.push(Buffer.from(BODY));
  sse.end();
  for (let cut = 1; cut <= BODY.length; cut++) assert.deepEqual(run(BODY, () => false, cut).events, plain, `cut ${cut}`);
});

test('an event whose blank line is in the next read takes the usual path', () => {
  const seen = run('data: a\n', () => true, 8);
  assert.deepEqual(seen.lines, []);
  const split = run('data: a\n\ndata: b\n\n', () => true, 8);
  assert.deepEqual(split.lines, []);
  assert.deepEqual(split.events.map((e) => e[0]), ['a', 'b']);
});
