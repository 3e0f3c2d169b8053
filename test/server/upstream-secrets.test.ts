// An upstream that quotes the credential it refused ("Incorrect API key provided: sk-…") must not
// hand sluice's upstream key to the client: the provider's secrets and any Bearer token are cut out
// of the error, before the stream (JSON error) and after it (in-stream error event).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';

const OPENAI_KEY = 'sk-upstream-openai-secret-0123456789';
const ANTHROPIC_KEY = 'sk-ant-upstream-secret-abcdefghij';
const HEADER_SECRET = 'header-secret-value-42';

describe('upstream error messages never carry sluice\'s upstream secrets', () => {
  let upstream: Server;
  let app: App;
  let url: string;
  before(async () => {
    // Echoes every credential it was sent in its error message; under /mid/ after one text chunk.
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const creds = [req.headers.authorization, req.headers['x-api-key'], req.headers['x-extra']].filter(Boolean).join(' ');
        if (req.url!.includes('/mid/')) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}\n\n');
          res.end(`data: ${JSON.stringify({ error: { message: `session revoked for ${creds}`, type: 'auth' } })}\n\n`);
          return;
        }
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${creds}`, type: 'invalid_request_error' }, type: 'error' }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const u = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const config = parseConfig(
      `providers:
  oa: { type: openai, base_url: "${u}/v1", api_key: "${OPENAI_KEY}", headers: { x-extra: "${HEADER_SECRET}" } }
  mid: { type: openai, base_url: "${u}/mid/v1", api_key: "${OPENAI_KEY}" }
  an: { type: anthropic, base_url: "${u}", api_key: "${ANTHROPIC_KEY}" }
models:
  oa: { targets: [{ provider: oa, model: x }] }
  mid: { targets: [{ provider: mid, model: x }] }
  an: { targets: [{ provider: an, model: x }] }
`,
      { env: {} },
    );
    app = createApp(config);
    url = `http://127.0.0.1:${(await app.listen(0, '127.0.0.1')).port}`;
  });
  after(async () => {
    await app.close();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  const chat = (model: string, stream = false) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'x' }] }),
    });

  const assertClean = (text: string): void => {
    for (const secret of [OPENAI_KEY, ANTHROPIC_KEY, HEADER_SECRET]) assert.ok(!text.includes(secret), `leaked ${secret}: ${text}`);
  };

  test('a refusal before the stream: the message stays, the secrets go', async () => {
    for (const [model, stream] of [['oa', false], ['oa', true], ['an', false]] as const) {
      const res = await chat(model, stream);
      assert.equal(res.status, 400);
      const text = await res.text();
      assertClean(text);
      assert.match(text, /Incorrect API key provided: .*\[redacted\].*\(provider (oa|an)\)/);
    }
  });

  test('an error event after the commit point', async () => {
    const res = await chat('mid', true);
    assert.equal(res.status, 200);
    const text = await res.text();
    assertClean(text);
    assert.match(text, /data: \{"error":\{"message":"session revoked for Bearer \[redacted\] \(provider mid\)"/);
  });
});
