import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SseDecoder, SseEventTooLargeError, DEFAULT_MAX_EVENT_BYTES } from '../../src/sse/index.ts';
import { bytes, decodeChunks, newDecoded, recordingDecoder, seededRandom, splitAt } from './collect.ts';
import type { DecodedEvent } from './collect.ts';
import { referenceDecode } from './reference.ts';

const message = (data: string, event = '', id = ''): DecodedEvent => ({ event, data, id });

describe('SseDecoder: chunk boundaries', () => {
  test('CR ending one chunk and LF starting the next is one terminator', () => {
    const out = decodeChunks([bytes('data: a\r'), bytes('\ndata: b\r'), bytes('\n\r'), bytes('\n')]);
    assert.deepEqual(out.events, [message('a\nb')]);
  });

  test('a CR at a chunk end dispatches at once; it does not wait for the next byte', () => {
    const out = newDecoded();
    const decoder = recordingDecoder(out);
    decoder.push(bytes('data: now\r\r'));
    assert.deepEqual(out.events, [message('now')]);
    decoder.push(bytes('\ndata: next\n\n'));
    assert.deepEqual(out.events, [message('now'), message('next')], 'the LF after the final CR is swallowed, not a blank line');
  });

  test('empty chunks keep the pending-CR state', () => {
    const out = decodeChunks([bytes('data: a\r'), new Uint8Array(0), new Uint8Array(0), bytes('\n'), bytes('\n')]);
    assert.deepEqual(out.events, [message('a')]);
  });

  test('a multi-byte character split across chunks decodes whole', () => {
    const wire = bytes('data: 🇯🇵 你好\n\n');
    for (let cut = 1; cut < wire.length; cut++) {
      assert.deepEqual(decodeChunks(splitAt(wire, [cut])).events, [message('🇯🇵 你好')], `cut at ${cut}`);
    }
  });

  test('pushes with no terminator accumulate into one line', () => {
    const out = newDecoded();
    const decoder = recordingDecoder(out);
    for (const piece of ['da', 'ta', ':', ' ', '{"a"', ':1}', '\n']) decoder.push(bytes(piece));
    assert.deepEqual(out.events, []);
    decoder.push(bytes('\n'));
    assert.deepEqual(out.events, [message('{"a":1}')]);
  });
});

describe('SseDecoder: BOM', () => {
  const BOM = [0xef, 0xbb, 0xbf];

  test('stripped at offset 0 even when its bytes are split across chunks', () => {
    const body = Array.from(bytes('data: x\n\n'));
    const chunkings = [[[...BOM, ...body]], [[0xef], [0xbb], [0xbf], body], [[0xef, 0xbb], [0xbf, ...body]], [[0xef], [], [0xbb, 0xbf, ...body]]];
    for (const chunks of chunkings) {
      assert.deepEqual(decodeChunks(chunks.map((c) => Uint8Array.from(c))).events, [message('x')], JSON.stringify(chunks));
    }
  });

  test('only one BOM is stripped; a second one makes the first field name unknown', () => {
    const wire = Uint8Array.from([...BOM, ...BOM, ...bytes('data: x\n\ndata: y\n\n')]);
    assert.deepEqual(decodeChunks([wire]).events, [message('y')]);
    assert.deepEqual(decodeChunks(splitAt(wire, [1, 2, 3, 4, 5])).events, [message('y')]);
  });

  test('a BOM prefix that turns out not to be a BOM is line content', () => {
    // EF BB then ':' → the first line is "\uFFFD:..." (unknown field), not a comment.
    const wire = Uint8Array.from([0xef, 0xbb, ...bytes(': not a comment\ndata: y\n\n')]);
    for (const cuts of [[], [1], [2], [1, 2, 3]]) {
      const out = decodeChunks(splitAt(wire, cuts));
      assert.deepEqual(out.events, [message('y')], `cuts ${cuts}`);
      assert.deepEqual(out.comments, [], `cuts ${cuts}`);
    }
  });

  test('a BOM prefix at EOF is processed as the last line', () => {
    const out = newDecoded();
    const decoder = recordingDecoder(out);
    decoder.push(Uint8Array.from([0xef, 0xbb]));
    decoder.end();
    assert.deepEqual(out, newDecoded());
  });

  test('a BOM not at offset 0 is data', () => {
    const wire = Uint8Array.from([...bytes('data: '), ...BOM, ...bytes('\n\n')]);
    assert.deepEqual(decodeChunks([wire]).events, [message('\ufeff')]);
  });
});

describe('SseDecoder: EOF salvage (Q-7)', () => {
  const cases: Array<{ name: string; wire: string; events: DecodedEvent[] }> = [
    { name: 'pending JSON object without terminator', wire: 'data: {"usage":{"total_tokens":4}}', events: [message('{"usage":{"total_tokens":4}}')] },
    { name: 'pending JSON after a single LF', wire: 'event: message_stop\ndata: {"type":"message_stop"}\n', events: [message('{"type":"message_stop"}', 'message_stop')] },
    { name: 'pending JSON after a bare CR', wire: 'data: [1,2]\r', events: [message('[1,2]')] },
    { name: 'pending JSON spread over two data lines', wire: 'data: {"a":\ndata: 1}\n', events: [message('{"a":\n1}')] },
    { name: 'pending JSON scalar', wire: 'data: 42', events: [message('42')] },
    { name: '[DONE] without terminator', wire: 'data: [DONE]', events: [message('[DONE]')] },
    { name: 'the salvaged event carries the last event ID', wire: 'id: 9\ndata: {}', events: [message('{}', '', '9')] },
    { name: 'truncated JSON is dropped', wire: 'data: {"choices":[{"delta":{"content":"He', events: [] },
    { name: 'plain text is dropped', wire: 'data: hello', events: [] },
    { name: 'empty data is dropped', wire: 'data:\n', events: [] },
    { name: '[DONE] with trailing text is dropped', wire: 'data: [DONE] x', events: [] },
    { name: 'event without data is dropped', wire: 'event: ping\n', events: [] },
    { name: 'a trailing comment at EOF adds no event', wire: 'data: {}\n\n: bye', events: [message('{}')] },
  ];
  for (const { name, wire, events } of cases) {
    test(name, () => {
      const out = newDecoded();
      const decoder = recordingDecoder(out);
      decoder.push(bytes(wire));
      const beforeEnd = out.events.length;
      decoder.end();
      assert.deepEqual(out.events, events);
      assert.ok(beforeEnd <= events.length);
    });
  }

  test('end() is idempotent and push() after end() throws', () => {
    const out = newDecoded();
    const decoder = recordingDecoder(out);
    decoder.push(bytes('data: {}'));
    decoder.end();
    decoder.end();
    assert.equal(out.events.length, 1);
    assert.throws(() => decoder.push(bytes('data: x\n\n')), /after end/);
  });

  test('the unterminated last line is a comment', () => {
    const out = decodeChunks([bytes(': bye')]);
    assert.deepEqual(out.comments, ['bye']);
  });
});

describe('SseDecoder: maxEventBytes', () => {
  // The limit counts the event's data lines as received: "data: " + value + one terminator byte.
  const limit = 100;
  const lineOf = (valueBytes: number) => `data: ${'v'.repeat(valueBytes)}\n`;

  test('a data line exactly at the limit passes, one byte more fails, under any chunking', () => {
    const fits = bytes(lineOf(limit - 7) + '\n');
    const tooBig = bytes(lineOf(limit - 6) + '\n');
    for (const cuts of [[], Array.from(fits.keys()), [10], [50, 95]]) {
      const ok = decodeChunks(splitAt(fits, cuts), { maxEventBytes: limit });
      assert.deepEqual(ok.errors, []);
      assert.equal(ok.events.length, 1);
      const failed = decodeChunks(splitAt(tooBig, cuts), { maxEventBytes: limit });
      assert.equal(failed.events.length, 0);
      assert.equal(failed.errors.length, 1);
      assert.ok(failed.errors[0] instanceof SseEventTooLargeError);
      assert.equal((failed.errors[0] as SseEventTooLargeError).maxEventBytes, limit);
    }
  });

  test('many data lines add up', () => {
    const wire = bytes(lineOf(40) + lineOf(40) + lineOf(40) + '\n');
    const out = decodeChunks([wire], { maxEventBytes: limit });
    assert.equal(out.errors.length, 1);
    assert.deepEqual(out.events, []);
  });

  test('the count restarts with every event', () => {
    const wire = bytes((lineOf(60) + '\n').repeat(20));
    const out = decodeChunks([wire], { maxEventBytes: limit });
    assert.deepEqual(out.errors, []);
    assert.equal(out.events.length, 20);
  });

  test('any single line longer than the limit fails too (it had to be buffered)', () => {
    const out = decodeChunks([bytes(`: ${'c'.repeat(limit)}\ndata: x\n\n`)], { maxEventBytes: limit });
    assert.equal(out.errors.length, 1);
    assert.deepEqual(out.events, []);
  });

  test('comments, ids and event names do not accumulate', () => {
    const wire = bytes(`: ${'c'.repeat(80)}\n`.repeat(50) + `event: ${'e'.repeat(80)}\n`.repeat(50) + 'data: ok\n\n');
    const out = decodeChunks([wire], { maxEventBytes: limit });
    assert.deepEqual(out.errors, []);
    assert.equal(out.events.length, 1);
  });

  test('an endless line fails while it is still arriving, and the decoder stops', () => {
    const out = newDecoded();
    const decoder = recordingDecoder(out, { maxEventBytes: 1024 });
    decoder.push(bytes('data: {"ok":1}\n\n'));
    const slab = bytes('x'.repeat(300));
    for (let i = 0; i < 4; i++) decoder.push(slab);
    assert.equal(out.errors.length, 1, 'reported before any terminator arrives');
    decoder.push(bytes('\n\ndata: {"after":1}\n\n'));
    decoder.end();
    assert.deepEqual(out.events, [message('{"ok":1}')], 'nothing is dispatched after the overflow');
    assert.equal(out.errors.length, 1, 'reported once');
    assert.equal(decoder.bytesSeen, 16 + 1200 + 21);
  });

  test('the default limit is 16 MiB and invalid limits are rejected', () => {
    assert.equal(DEFAULT_MAX_EVENT_BYTES, 16 * 1024 * 1024);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => new SseDecoder({ onEvent() {} }, { maxEventBytes: bad }), RangeError);
    }
  });
});

describe('SseDecoder: handler contract', () => {
  test('optional callbacks may be absent', () => {
    const events: string[] = [];
    const decoder = new SseDecoder({ onEvent: (data) => events.push(data) }, { maxEventBytes: 12 });
    decoder.push(bytes(': c\nretry: 5\ndata: a\n\n'));
    decoder.push(bytes('data: 0123456789\n\n'));
    decoder.end();
    assert.deepEqual(events, ['a']);
  });

  test('bytesSeen counts every pushed byte, BOM included', () => {
    const decoder = new SseDecoder({ onEvent() {} });
    decoder.push(Uint8Array.from([0xef, 0xbb, 0xbf]));
    decoder.push(bytes('data: x\n\n'));
    assert.equal(decoder.bytesSeen, 12);
  });

  test('a handler that throws leaves the decoder consistent for the next push', () => {
    let calls = 0;
    const seen: string[] = [];
    const decoder = new SseDecoder({
      onEvent(data) {
        calls++;
        if (calls === 1) throw new Error('boom');
        seen.push(data);
      },
    });
    assert.throws(() => decoder.push(bytes('data: a\n\n')), /boom/);
    decoder.push(bytes('data: b\n\n'));
    assert.deepEqual(seen, ['b']);
  });

  test('retry values: digits only, safe integers only', () => {
    const out = decodeChunks([bytes('retry: 0\nretry: 007\nretry: 99999999999999999999\nretry: 1e3\nretry: ٣\n\n')]);
    assert.deepEqual(out.retries, [0, 7]);
  });
});

describe('SseDecoder: agrees with a naive whole-input reference', () => {
  // Random streams over an alphabet that stresses framing and decoding.
  const TOKENS: Array<number[]> = [
    ...['data', 'data:', 'data: ', 'event:', 'event: x', 'id:', 'id: 1', 'retry:', 'retry: 12', ':', ': c', ' ', 'a', 'x:y', '{}', '[1]', '"s"', '[DONE]', 'é', '😀', '你'].map((t) => Array.from(bytes(t))),
    [0x0a], [0x0a], [0x0a], [0x0d], [0x0d], [0x0d, 0x0a], [0x0d, 0x0a],
    [0xef, 0xbb, 0xbf], [0x00], [0xff], [0xe2, 0x82], [0xf0, 0x9f], [0x80], [0xc3],
  ];

  test('2000 random streams under random chunkings', () => {
    const random = seededRandom(20260801);
    for (let round = 0; round < 2000; round++) {
      const stream: number[] = [];
      const tokenCount = 1 + Math.floor(random() * 40);
      for (let i = 0; i < tokenCount; i++) stream.push(...TOKENS[Math.floor(random() * TOKENS.length)]);
      const input = Uint8Array.from(stream);
      const expected = referenceDecode(input);
      const cuts: number[] = [];
      for (let at = 0; at < input.length; at += 1 + Math.floor(random() * 6)) cuts.push(at);
      assert.deepEqual(decodeChunks([input]), expected, `round ${round} whole: ${JSON.stringify(stream)}`);
      assert.deepEqual(decodeChunks(splitAt(input, cuts)), expected, `round ${round} cuts ${cuts}: ${JSON.stringify(stream)}`);
    }
  });
});
