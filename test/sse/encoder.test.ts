// sse.md §5: the writer, checked byte for byte and by round-tripping through the decoder.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encodeComment, encodeData, encodeEvent, KEEPALIVE } from '../../src/sse/index.ts';
import { bytes, decodeChunks } from './collect.ts';

function roundTrip(wire: string) {
  const out = decodeChunks([bytes(wire)]);
  assert.deepEqual(out.errors, []);
  return out;
}

describe('SSE encoder', () => {
  test('exact bytes', () => {
    assert.equal(encodeData('{"a":1}'), 'data: {"a":1}\n\n');
    assert.equal(encodeData(''), 'data: \n\n');
    assert.equal(encodeData('a\nb'), 'data: a\ndata: b\n\n');
    assert.equal(encodeData('a\r\nb\rc\n'), 'data: a\ndata: b\ndata: c\ndata: \n\n');
    assert.equal(encodeEvent('message_stop', '{"type":"message_stop"}'), 'event: message_stop\ndata: {"type":"message_stop"}\n\n');
    assert.equal(encodeComment('keepalive'), ': keepalive\n\n');
    assert.equal(encodeComment('a\nb'), ': a\n: b\n\n');
    assert.equal(KEEPALIVE, ': keepalive\n\n');
  });

  test('never writes a CR', () => {
    for (const wire of [encodeData('a\r\nb\r'), encodeEvent('e', '\r'), encodeComment('\r\n')]) assert.ok(!wire.includes('\r'), JSON.stringify(wire));
  });

  test('event names with line breaks are refused (they would forge fields)', () => {
    assert.throws(() => encodeEvent('a\ndata: x', '{}'), TypeError);
    assert.throws(() => encodeEvent('a\r', '{}'), TypeError);
  });

  const samples = [
    '{"a":1}',
    JSON.stringify({ text: 'line1\nline2 \u2028 😀 你好', n: [1, 2] }),
    '',
    ' leading space survives',
    '  two',
    'a\nb',
    '\n',
    '\n\n',
    'data: looks like a field',
    ': looks like a comment',
    'trailing\n',
    '[DONE]',
  ];

  test('encodeData round-trips through the decoder', () => {
    for (const data of samples) assert.deepEqual(roundTrip(encodeData(data)).events, [{ event: '', data, id: '' }], JSON.stringify(data));
  });

  test('encodeEvent round-trips through the decoder', () => {
    for (const data of samples) {
      assert.deepEqual(roundTrip(encodeEvent('content_block_delta', data)).events, [{ event: 'content_block_delta', data, id: '' }], JSON.stringify(data));
    }
  });

  test('CR and CRLF in data come back as LF (SSE cannot carry a CR in data)', () => {
    assert.deepEqual(roundTrip(encodeData('a\r\nb\rc')).events, [{ event: '', data: 'a\nb\nc', id: '' }]);
  });

  test('a sequence of encoded events decodes in order', () => {
    const wire = encodeEvent('ping', '{"type":"ping"}') + KEEPALIVE + encodeData('{"i":1}') + encodeComment('x') + encodeData('{"i":2}');
    const out = roundTrip(wire);
    assert.deepEqual(out.events, [
      { event: 'ping', data: '{"type":"ping"}', id: '' },
      { event: '', data: '{"i":1}', id: '' },
      { event: '', data: '{"i":2}', id: '' },
    ]);
    assert.deepEqual(out.comments, ['keepalive', 'x']);
  });

  test('comments round-trip and never become events', () => {
    for (const text of ['keepalive', 'OPENROUTER PROCESSING', '', 'a\nb']) {
      const out = roundTrip(encodeComment(text));
      assert.deepEqual(out.events, []);
      assert.deepEqual(out.comments, text.split('\n'));
    }
  });
});
