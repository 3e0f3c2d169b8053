// Slow clients (docs/operations.md): a client that stops sending its head or its body does not hold a
// socket forever. A body that does not arrive in time is a 408 in the front's own dialect, a head a
// 408 in the fallback (OpenAI) shape; the connection closes either way. The limits are shortened
// through createApp's `receive` option; each test waits for the server's answer and close, never
// for a fixed time. A streaming response far longer than the limits is not cut.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import OpenAI from 'openai';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';
import { mockText, startMock, type MockServer } from '../../src/mock/server.ts';

/** Writes `bytes` and stops; resolves with everything the server sent once it closes the connection. */
function sendAndStall(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (out += c));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    // A bound on a hang, not a synchronisation: the server answers within the 80 ms limits.
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`the server neither answered nor closed; got ${JSON.stringify(out)}`));
    });
  });
}

/** The JSON body of a raw response, chunked or not. */
function bodyOf(res: string): unknown {
  const split = res.indexOf('\r\n\r\n');
  let body = res.slice(split + 4);
  if (/\r\ntransfer-encoding: chunked\r\n/i.test(res.slice(0, split + 2))) {
    let out = '';
    for (;;) {
      const eol = body.indexOf('\r\n');
      const size = parseInt(body.slice(0, eol), 16);
      if (!(size > 0)) break;
      out += body.slice(eol + 2, eol + 2 + size);
      body = body.slice(eol + 4 + size);
    }
    body = out;
  }
  return JSON.parse(body);
}

describe('slow clients', () => {
  let mock: MockServer;
  let app: App;
  let port: number;
  before(async () => {
    mock = await startMock({ port: 0 });
    const config = parseConfig(
      `providers:\n  oa: { type: openai, base_url: "${mock.url}/v1", api_key: k }\nmodels:\n  m: { targets: [{ provider: oa, model: gpt-4.1 }] }\n`,
      { env: {} },
    );
    app = createApp(config, { receive: { headersMs: 80, bodyMs: 80, checkIntervalMs: 10 } });
    port = (await app.listen(0, '127.0.0.1')).port;
  });
  after(async () => {
    await app.close();
    await mock.close();
  });

  test('a body that stops short of its Content-Length: 408 in the Anthropic shape, then close', async () => {
    const head = 'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n';
    const res = await sendAndStall(port, head + '{"model":"m","max_tokens":5,');
    assert.match(res, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(res, /\r\nconnection: close\r\n/i);
    const body = bodyOf(res) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'timeout_error');
    assert.match(body.error.message, /request body did not arrive within 0\.08 s \(28 of 200 bytes received\)/);
    assert.equal(mock.requests.length, 0, 'nothing went upstream');
  });

  test('the same on the Gemini front: Google\'s error shape', async () => {
    const head = 'POST /v1beta/models/m:generateContent HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n';
    const res = await sendAndStall(port, head + '{"contents":');
    assert.match(res, /^HTTP\/1\.1 408 /);
    const body = bodyOf(res) as { error: { code: number; message: string; status: string } };
    assert.equal(body.error.code, 408);
    assert.match(body.error.message, /request body did not arrive/);
  });

  test('a chunked body that stops: 408 as well', async () => {
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n';
    const res = await sendAndStall(port, head + '5\r\n{"mod\r\n');
    assert.match(res, /^HTTP\/1\.1 408 /);
    assert.match((bodyOf(res) as { error: { message: string } }).error.message, /5 of an unknown number of bytes/);
  });

  test('a head that never ends: 408 in the fallback shape, then close', async () => {
    const res = await sendAndStall(port, 'POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: appl');
    assert.match(res, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    const body = bodyOf(res) as { error: { message: string; code: string } };
    assert.equal(body.error.code, 'request_timeout');
    assert.match(body.error.message, /headers did not arrive within 0\.08 s/);
  });

  test('a stream that runs far longer than the limits is not cut, and the next request on the connection works', async () => {
    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'x', maxRetries: 0 });
    // 12 deltas 30 ms apart: about 360 ms, over four times both limits.
    const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi [[mock delay=30]]' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, mockText(12).join(''));
    const again = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(again.choices[0]!.message.content, mockText(12).join(''));
  });
});
