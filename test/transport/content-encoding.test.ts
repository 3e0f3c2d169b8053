// The Content-Encoding decoder under sendUpstream: which codings it accepts, in what order it
// undoes a list of them, raw deflate, and that a failure is one upstream_malformed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { GatewayError } from '../../src/core/errors.ts';
import { codingsOf, createInflater } from '../../src/transport/content-encoding.ts';

function inflate(codings: string[], chunks: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const inflater = createInflater(codings, {
      data: (c) => out.push(c),
      end: () => resolve(Buffer.concat(out).toString('utf8')),
      fail: reject,
    });
    for (const c of chunks) inflater.write(c);
    inflater.end();
  });
}

test('plain bodies need no decoder; unknown codings are upstream_malformed', () => {
  assert.equal(codingsOf(undefined), undefined);
  assert.equal(codingsOf(''), undefined);
  assert.equal(codingsOf('identity'), undefined);
  assert.deepEqual(codingsOf('GZIP'), ['gzip']);
  // Applied left to right, so undone right to left.
  assert.deepEqual(codingsOf('deflate, br'), ['br', 'deflate']);
  assert.throws(
    () => codingsOf('compress'),
    (err: unknown) => err instanceof GatewayError && err.code === 'upstream_malformed' && /"compress"/.test(err.message),
  );
});

test('a list of codings is undone in reverse order', async () => {
  const body = brotliCompressSync(deflateSync(Buffer.from('{"ok":true}')));
  assert.equal(await inflate(codingsOf('deflate, br')!, [body.subarray(0, 3), body.subarray(3)]), '{"ok":true}');
});

test('deflate: zlib-wrapped or raw, told by the first byte', async () => {
  assert.equal(await inflate(['deflate'], [deflateSync(Buffer.from('wrapped'))]), 'wrapped');
  assert.equal(await inflate(['deflate'], [deflateRawSync(Buffer.from('raw'))]), 'raw');
});

test('an empty compressed body ends; a corrupt one fails once, as upstream_malformed', async () => {
  assert.equal(await inflate(['gzip'], []), '');
  const good = gzipSync(Buffer.from('data: x\n\n'));
  const bad = Buffer.concat([good.subarray(0, 10), Buffer.alloc(8, 0xff)]);
  await assert.rejects(inflate(['gzip'], [bad]), (err: unknown) => err instanceof GatewayError && err.code === 'upstream_malformed' && /not valid gzip/.test(err.message));
});
