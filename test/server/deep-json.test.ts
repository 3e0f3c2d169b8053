// A body nested thousands of levels deep parses, but re-encoding it for the upstream overflowed the
// stack: the client got a 500 "internal" for its own bad input. It is the client's 400 in its
// dialect (gateway/client-json.ts), nothing goes upstream, and ordinary nesting still passes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';
import { MAX_JSON_DEPTH } from '../../src/gateway/client-json.ts';
import { startMock, type MockServer } from '../../src/mock/server.ts';

/** `base` with a `metadata` member nested `depth` arrays deep, written as text (JSON.stringify would overflow). */
function nested(base: Record<string, unknown>, depth: number): string {
  return JSON.stringify(base).replace(/}$/, `,"metadata":${'['.repeat(depth)}${']'.repeat(depth)}}`);
}

describe('deeply nested request bodies', () => {
  let mock: MockServer;
  let app: App;
  let url: string;
  before(async () => {
    mock = await startMock({ port: 0 });
    const config = parseConfig(
      `providers:\n  oa: { type: openai, base_url: "${mock.url}/v1", api_key: k }\nmodels:\n  m: { targets: [{ provider: oa, model: gpt-4.1 }] }\n`,
      { env: {} },
    );
    app = createApp(config);
    const addr = await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${addr.port}`;
  });
  after(async () => {
    await app.close();
    await mock.close();
  });

  const post = (path: string, body: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

  test('OpenAI chat (both modes) and embeddings: 400 naming the nesting, nothing sent upstream', async () => {
    const before = mock.requests.length;
    for (const [path, base] of [
      ['/v1/chat/completions', chat],
      ['/v1/chat/completions', { ...chat, stream: true }],
      ['/v1/embeddings', { model: 'm', input: 'hi' }],
    ] as const) {
      const res = await post(path, nested(base, 20_000));
      assert.equal(res.status, 400, path);
      const body = (await res.json()) as { error: { message: string; type: string } };
      assert.equal(body.error.type, 'invalid_request_error');
      assert.match(body.error.message, new RegExp(`deeper than ${MAX_JSON_DEPTH} levels`));
    }
    assert.equal(mock.requests.length, before, 'no upstream request');
  });

  test('other fronts answer in their own shape', async () => {
    const anthropic = await post('/v1/messages', nested({ ...chat, max_tokens: 10 }, 20_000));
    assert.equal(anthropic.status, 400);
    assert.equal(((await anthropic.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    const gemini = await post('/v1beta/models/m:generateContent', nested({ contents: [{ parts: [{ text: 'hi' }] }] }, 20_000));
    assert.equal(gemini.status, 400);
    assert.equal(((await gemini.json()) as { error: { status: string } }).error.status, 'INVALID_ARGUMENT');
  });

  test('nesting up to the limit is served', async () => {
    // metadata sits at depth 2 of the body, so this is MAX_JSON_DEPTH levels in all.
    const res = await post('/v1/chat/completions', nested(chat, MAX_JSON_DEPTH - 1));
    assert.equal(res.status, 200, await res.clone().text());
    const over = await post('/v1/chat/completions', nested(chat, MAX_JSON_DEPTH));
    assert.equal(over.status, 400);
  });
});
