// Bytes that live as long as a request (src/core/held-bytes.ts) come from slabs of their own, never
// from Buffer's shared pool, whose 64 KB one long-lived slice keeps whole; and sendUpstream hands
// undici the body in such bytes (undici keeps the body until the exchange ends).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Dispatcher } from 'undici';
import { heldBytes, heldCopy, heldUtf8 } from '../../src/core/held-bytes.ts';
import { sendUpstream } from '../../src/transport/http.ts';

/** The ArrayBuffer Buffer's pool hands out now. */
const poolOf = (): ArrayBufferLike => Buffer.from('x').buffer;

describe('held bytes', () => {
  test('small ones share a slab that is not Buffer\'s pool; large ones get their own', () => {
    const a = heldBytes(200);
    const b = heldBytes(300);
    assert.equal(a.buffer, b.buffer, 'one slab');
    assert.notEqual(a.buffer, poolOf());
    assert.ok(a.buffer.byteLength < Buffer.poolSize || Buffer.poolSize < 16384);
    assert.equal(b.byteOffset % 8, 0);
    assert.ok(b.byteOffset >= a.byteOffset + 200);
    const big = heldBytes(100_000);
    assert.equal(big.length, 100_000);
    assert.equal(big.buffer.byteLength, 100_000);
    // A slab that is full gives way to a new one; earlier slices keep their bytes.
    a.fill(7);
    for (let i = 0; i < 200; i++) heldBytes(1000);
    assert.ok(a.every((x) => x === 7));
  });

  test('text and copies', () => {
    const text = 'naïve {"emoji":"😀"} ' + 'x'.repeat(500);
    const bytes = heldUtf8(text);
    assert.equal(bytes.toString('utf8'), text);
    assert.notEqual(bytes.buffer, poolOf());
    const pooled = Buffer.from('a pooled slice');
    const copy = heldCopy(pooled);
    assert.notEqual(copy.buffer, pooled.buffer);
    assert.equal(copy.toString(), 'a pooled slice');
    const own = Buffer.allocUnsafeSlow(10).fill(1);
    assert.equal(heldCopy(own), own);
  });

  test('sendUpstream gives undici the body in held bytes, with its length', async () => {
    const seen: Dispatcher.DispatchOptions[] = [];
    const dispatcher = {
      dispatch(opts: Dispatcher.DispatchOptions) {
        seen.push(opts);
        return true;
      },
    } as unknown as Dispatcher;
    const handler = { onHead() {}, onData() {}, onEnd() {}, onError() {} };
    const signal = new AbortController().signal;
    const text = '{"model":"m","messages":[{"role":"user","content":"héllo"}]}';
    sendUpstream({ url: 'http://127.0.0.1:9/v1/chat/completions', headers: { 'content-type': 'application/json' }, body: text }, { provider: 'p', connectTimeoutMs: 1000, signal, dispatcher }, handler);
    sendUpstream({ url: 'http://127.0.0.1:9/v1/chat/completions', headers: {}, body: Buffer.from(text) }, { provider: 'p', connectTimeoutMs: 1000, signal, dispatcher }, handler);
    assert.equal(seen.length, 2);
    for (const opts of seen) {
      const body = opts.body as Buffer;
      assert.ok(Buffer.isBuffer(body));
      assert.equal(body.toString('utf8'), text);
      assert.notEqual(body.buffer, poolOf(), 'not a slice of Buffer\'s pool');
      assert.equal((opts.headers as Record<string, string>)['content-length'], String(Buffer.byteLength(text)));
    }
  });
});
