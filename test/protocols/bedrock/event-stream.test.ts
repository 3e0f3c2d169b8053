// The event-stream codec against the AWS SDK's own (@smithy/eventstream-codec): messages the SDK
// encodes decode here, messages encoded here decode there; CRC and length damage is refused; chunk
// boundaries anywhere give the same events.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import {
  EventStreamDecoder,
  EXCEPTION_PREFIX,
  encodeEvent,
  encodeException,
  encodeHeaders,
  encodeMessage,
} from '../../../src/protocols/bedrock/event-stream.ts';

const smithy = new EventStreamCodec(toUtf8, fromUtf8);

interface Got {
  events: Array<{ data: string; event: string }>;
  errors: Error[];
}

function decodeAll(bytes: Buffer, cut: (i: number) => number = () => bytes.length): Got {
  const got: Got = { events: [], errors: [] };
  const d = new EventStreamDecoder({
    onEvent: (data, event) => got.events.push({ data, event }),
    onError: (err) => got.errors.push(err),
  });
  for (let i = 0; i < bytes.length; ) {
    const n = Math.max(1, cut(i));
    d.push(bytes.subarray(i, i + n));
    i += n;
  }
  d.end();
  return got;
}

function sdkEvent(eventType: string, json: string): Buffer {
  return Buffer.from(
    smithy.encode({
      headers: {
        ':event-type': { type: 'string', value: eventType },
        ':content-type': { type: 'string', value: 'application/json' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: fromUtf8(json),
    }),
  );
}

const PAYLOADS = [
  ['messageStart', '{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123","role":"assistant"}'],
  ['contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"naïve café 🌧 東京"},"p":"abcd"}'],
  ['contentBlockStop', '{"contentBlockIndex":0,"p":"abcdefghijk"}'],
  ['messageStop', '{"p":"abcdefghijklmnopqrstuvw","stopReason":"end_turn"}'],
  ['metadata', '{"metrics":{"latencyMs":431},"p":"abcdefghijklm","usage":{"inputTokens":12,"outputTokens":9,"totalTokens":21}}'],
] as const;

test('messages encoded by the AWS SDK codec decode to the same events, at any chunk boundary', () => {
  const bytes = Buffer.concat(PAYLOADS.map(([t, j]) => sdkEvent(t, j)));
  const expected = PAYLOADS.map(([event, data]) => ({ event, data }));
  assert.deepEqual(decodeAll(bytes).events, expected);
  for (const size of [1, 2, 3, 7, 11, 12, 13, 64]) {
    assert.deepEqual(decodeAll(bytes, () => size), { events: expected, errors: [] }, `chunks of ${size}`);
  }
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return 1 + (seed % 40);
  };
  for (let round = 0; round < 50; round++) assert.deepEqual(decodeAll(bytes, random).events, expected);
});

test('messages encoded here are what the AWS SDK codec decodes (headers, payload, both CRCs)', () => {
  for (const [eventType, json] of PAYLOADS) {
    const mine = encodeEvent(eventType, json);
    assert.deepEqual(mine, sdkEvent(eventType, json), 'byte-identical to the SDK encoder');
    const decoded = smithy.decode(mine);
    assert.equal(decoded.headers[':event-type']?.value, eventType);
    assert.equal(decoded.headers[':message-type']?.value, 'event');
    assert.equal(toUtf8(decoded.body), json);
  }
  const ex = smithy.decode(encodeException('throttlingException', '{"message":"Too many requests"}'));
  assert.equal(ex.headers[':message-type']?.value, 'exception');
  assert.equal(ex.headers[':exception-type']?.value, 'throttlingException');
});

test('exception and unmodeled error messages are dispatched under exception:NAME', () => {
  const error = Buffer.from(
    smithy.encode({
      headers: {
        ':message-type': { type: 'string', value: 'error' },
        ':error-code': { type: 'string', value: 'InternalFailure' },
        ':error-message': { type: 'string', value: 'We encountered an internal error.' },
      },
      body: new Uint8Array(0),
    }),
  );
  const got = decodeAll(Buffer.concat([encodeException('modelStreamErrorException', '{"message":"boom","originalStatusCode":500}'), error]));
  assert.deepEqual(got.events, [
    { event: `${EXCEPTION_PREFIX}modelStreamErrorException`, data: '{"message":"boom","originalStatusCode":500}' },
    { event: `${EXCEPTION_PREFIX}InternalFailure`, data: '{"message":"We encountered an internal error."}' },
  ]);
});

test('headers of every type are skipped correctly', () => {
  const bytes = Buffer.from(
    smithy.encode({
      headers: {
        a: { type: 'boolean', value: true },
        b: { type: 'boolean', value: false },
        c: { type: 'byte', value: 7 },
        d: { type: 'short', value: 300 },
        e: { type: 'integer', value: 70000 },
        f: { type: 'binary', value: new Uint8Array([1, 2, 3]) },
        g: { type: 'timestamp', value: new Date(0) },
        h: { type: 'uuid', value: '01234567-89ab-cdef-0123-456789abcdef' },
        ':event-type': { type: 'string', value: 'metadata' },
        ':message-type': { type: 'string', value: 'event' },
      },
      body: fromUtf8('{}'),
    }),
  );
  assert.deepEqual(decodeAll(bytes, () => 5), { events: [{ event: 'metadata', data: '{}' }], errors: [] });
});

test('a corrupted payload byte fails the message CRC; nothing after it is dispatched', () => {
  const frames = PAYLOADS.map(([t, j]) => sdkEvent(t, j));
  const bad = Buffer.from(frames[1]);
  bad[bad.length - 8] ^= 0x20;
  const got = decodeAll(Buffer.concat([frames[0], bad, frames[2]]), () => 9);
  assert.deepEqual(got.events, [{ event: 'messageStart', data: PAYLOADS[0][1] }]);
  assert.equal(got.errors.length, 1);
  assert.match(got.errors[0].message, /message checksum mismatch/);
});

test('a damaged prelude fails at once, before waiting for the claimed length', () => {
  const frame = sdkEvent('messageStart', '{"role":"assistant"}');
  const bad = Buffer.from(frame);
  bad.writeUInt32BE(0x7fffffff, 0); // a huge length: the prelude CRC no longer matches
  const got = decodeAll(bad.subarray(0, 12));
  assert.equal(got.errors.length, 1);
  assert.match(got.errors[0].message, /prelude checksum mismatch/);
});

test('a length beyond the limit is refused even with a valid prelude CRC', () => {
  const d: Error[] = [];
  const decoder = new EventStreamDecoder({ onEvent: () => assert.fail('no event'), onError: (e) => d.push(e) }, 1024);
  decoder.push(encodeMessage(encodeHeaders([[':message-type', 'event']]), 'x'.repeat(2000)));
  assert.match(d[0]?.message ?? '', /outside 16\.\.1024/);
});

test('a partial message at the end is not dispatched and is not a framing error', () => {
  const frame = sdkEvent('messageStart', '{"role":"assistant"}');
  const got = decodeAll(frame.subarray(0, frame.length - 3));
  assert.deepEqual(got, { events: [], errors: [] });
});

test('a 10 MB payload in 64 KiB chunks decodes once, intact', () => {
  const text = 'x'.repeat(10 * 1024 * 1024);
  const json = `{"contentBlockIndex":0,"delta":{"text":"${text}"}}`;
  const frame = encodeEvent('contentBlockDelta', json);
  const got = decodeAll(frame, () => 65536);
  assert.equal(got.errors.length, 0);
  assert.equal(got.events.length, 1);
  assert.equal(got.events[0].data.length, json.length);
  assert.equal(toUtf8(smithy.decode(frame).body).length, json.length);
});
