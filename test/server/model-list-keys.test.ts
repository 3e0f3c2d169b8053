// GET /v1/models is where both OpenAI's SDK and `@google/genai` 3.x list models; the Gemini SDK
// sends its key as x-goog-api-key. On a gateway with client keys, `models.list()` from either SDK
// lists the configured models, a wrong key is a 401, and x-goog-api-key stays a Gemini-only header
// for everything else on the OpenAI front.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';

const KEY = 'sk-model-list-test-key';

describe('model lists on a gateway with client keys', () => {
  let app: App;
  let url: string;
  before(async () => {
    const config = parseConfig(
      `models:\n  fast: { targets: [{ provider: demo, model: demo }] }\nauth:\n  keys:\n    - { name: t, key: "${KEY}" }\n`,
      { env: {} },
    );
    app = createApp(config);
    const addr = await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${addr.port}`;
  });
  after(() => app.close());

  test('@google/genai models.list (GET /v1/models, x-goog-api-key)', async () => {
    const genai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: url, timeout: 10_000 } });
    const names: string[] = [];
    for await (const m of await genai.models.list()) names.push(m.name ?? '');
    assert.ok(names.includes('models/fast'), names.join(','));
    const wrong = new GoogleGenAI({ apiKey: 'sk-wrong', httpOptions: { baseUrl: url, timeout: 10_000 } });
    await assert.rejects(async () => {
      for await (const m of await wrong.models.list()) void m;
    }, { status: 401 });
  });

  test('the OpenAI SDK lists with its Bearer key as before', async () => {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: KEY, maxRetries: 0 });
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('fast'), ids.join(','));
    await assert.rejects(new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 }).models.list(), { status: 401 });
  });

  test('x-goog-api-key is no key for chat completions', async () => {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY },
      body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 401);
  });
});
