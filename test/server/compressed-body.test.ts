// Compressed request bodies (server/body.ts): gzip, deflate, br and zstd are inflated within
// server.max_body; a body that would inflate past it is a 413, an unknown encoding a 400 — in the
// client's dialect, with the connection still usable.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateSync, gzipSync, zstdCompressSync } from 'node:zlib';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';

const body = JSON.stringify({ model: 'demo', stream: false, messages: [{ role: 'user', content: 'compressed hello' }] });

describe('compressed request bodies', () => {
  let app: App;
  let url: string;
  before(async () => {
    process.env.SLUICE_DEMO_FIRST_MS = '0';
    const config = parseConfig('server: { max_body: 64kb }\n', { env: {} });
    app = createApp(config);
    const addr = await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${addr.port}`;
  });
  after(() => app.close());

  const post = (encoded: Buffer, encoding: string) =>
    fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding }, body: encoded });

  for (const [encoding, compress] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
    ['zstd', zstdCompressSync],
  ] as const) {
    test(`${encoding} body is inflated and answered`, async () => {
      const res = await post(compress(Buffer.from(body)), encoding);
      assert.equal(res.status, 200);
      const json = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      assert.match(json.choices[0]!.message.content, /compressed hello/);
    });
  }

  test('a body that inflates past max_body is a 413, not a memory spike', async () => {
    const bomb = zstdCompressSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    assert.ok(bomb.length < 64 * 1024, 'the compressed body itself is under the limit');
    const res = await post(bomb, 'zstd');
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /max_body/);
  });

  test('an unknown or broken encoding is a 400 naming it', async () => {
    const unknown = await post(Buffer.from(body), 'compress');
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /Content-Encoding "compress"/);
    const broken = await post(Buffer.from(body), 'gzip');
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as { error: { message: string } }).error.message, /not valid gzip/);
  });
});
