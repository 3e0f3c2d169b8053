// Requests Node cannot parse get an answer that says what was wrong, in the fallback (OpenAI) error
// shape: headers over the limit are a 431, a malformed request a 400; the connection closes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';

/** Sends raw bytes and reads until the server closes the connection. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (out += c));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(5000, () => reject(new Error(`no close; got ${JSON.stringify(out)}`)));
  });
}

describe('requests Node cannot parse', () => {
  let app: App;
  let port: number;
  before(async () => {
    app = createApp(parseConfig('', { env: {} }));
    port = (await app.listen(0, '127.0.0.1')).port;
  });
  after(() => app.close());

  test('headers over the limit: 431 with a JSON error naming the limit', async () => {
    const res = await raw(port, `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 2\r\n\r\n{}`);
    assert.match(res, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(res, /content-type: application\/json/);
    const body = JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4)) as { error: { message: string; type: string } };
    assert.match(body.error.message, /headers exceed the server's limit of \d+ KB/);
    assert.equal(body.error.type, 'invalid_request_error');
  });

  test('a malformed request: 400 with a JSON error', async () => {
    const res = await raw(port, 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n{}');
    assert.match(res, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4)).error.message, /malformed HTTP request/);
  });
});
