// What a new user's mistakes get back, front by front, over real HTTP (SPEC §4.2): an empty body, a
// body that is not JSON or not an object, the wrong Content-Type, no model, an unknown model, a wrong
// key, a body over server.max_body (declared and chunked). Each is a clear status and message in the
// front's own dialect — never a 500, a crash or a hang — and nothing reaches the upstream. Paths no
// route serves answer 404 in the dialect of the front whose routes they sit under, and /debug/stream
// needs a client key once keys are configured.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.ts';
import { createApp, type App } from '../../src/server/app.ts';
import { startMock, type MockServer } from '../../src/mock/server.ts';

const KEY = 'sk-bad-input-matrix';
const MAX_BODY = 4096;

type Dialect = 'openai' | 'anthropic' | 'gemini' | 'cohere' | 'bedrock';

/** The error's message, after checking the body and headers are this dialect's error shape. */
function messageOf(dialect: Dialect, status: number, headers: Headers, text: string): string {
  assert.match(headers.get('content-type') ?? '', /json/, `content-type of ${text}`);
  const body = JSON.parse(text) as Record<string, any>;
  switch (dialect) {
    case 'openai':
      assert.deepEqual(Object.keys(body), ['error'], text);
      assert.equal(typeof body.error.type, 'string', text);
      assert.equal(typeof body.error.code, 'string', text);
      return body.error.message;
    case 'anthropic':
      assert.equal(body.type, 'error', text);
      assert.equal(typeof body.error.type, 'string', text);
      return body.error.message;
    case 'gemini':
      assert.equal(body.error.code, status, text);
      assert.match(body.error.status, /^[A-Z_]+$/, text);
      return body.error.message;
    case 'cohere':
      assert.deepEqual(Object.keys(body), ['message'], text);
      return body.message;
    case 'bedrock':
      assert.match(headers.get('x-amzn-errortype') ?? '', /^[A-Za-z]+Exception$/, `x-amzn-errortype of ${text}`);
      assert.equal(typeof body.message, 'string', text);
      return body.message;
  }
}

interface Front {
  name: string;
  dialect: Dialect;
  /** The path for a model name ('' for none). */
  path: (model: string) => string;
  /** A valid body for a model (undefined: the model is not in the body). */
  body: (model: string | undefined) => Record<string, unknown>;
  auth: (key: string) => Record<string, string>;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const withModel = (model: string | undefined, rest: Record<string, unknown>) => (model === undefined ? rest : { model, ...rest });
const chatMessages = [{ role: 'user', content: 'hi' }];
const geminiBody = () => ({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
const converseBody = () => ({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });

const FRONTS: Front[] = [
  { name: 'chat', dialect: 'openai', path: () => '/v1/chat/completions', body: (m) => withModel(m, { messages: chatMessages }), auth: bearer },
  { name: 'chat stream', dialect: 'openai', path: () => '/v1/chat/completions', body: (m) => withModel(m, { messages: chatMessages, stream: true }), auth: bearer },
  { name: 'responses', dialect: 'openai', path: () => '/v1/responses', body: (m) => withModel(m, { input: 'hi' }), auth: bearer },
  { name: 'messages', dialect: 'anthropic', path: () => '/v1/messages', body: (m) => withModel(m, { max_tokens: 16, messages: chatMessages }), auth: (k) => ({ 'x-api-key': k }) },
  { name: 'count_tokens', dialect: 'anthropic', path: () => '/v1/messages/count_tokens', body: (m) => withModel(m, { messages: chatMessages }), auth: (k) => ({ 'x-api-key': k }) },
  { name: 'generateContent', dialect: 'gemini', path: (m) => `/v1beta/models/${m}:generateContent`, body: geminiBody, auth: (k) => ({ 'x-goog-api-key': k }) },
  { name: 'streamGenerateContent', dialect: 'gemini', path: (m) => `/v1beta/models/${m}:streamGenerateContent?alt=sse`, body: geminiBody, auth: (k) => ({ 'x-goog-api-key': k }) },
  { name: 'countTokens', dialect: 'gemini', path: (m) => `/v1beta/models/${m}:countTokens`, body: geminiBody, auth: (k) => ({ 'x-goog-api-key': k }) },
  { name: 'cohere chat', dialect: 'cohere', path: () => '/v2/chat', body: (m) => withModel(m, { messages: chatMessages }), auth: bearer },
  { name: 'converse', dialect: 'bedrock', path: (m) => `/model/${m}/converse`, body: converseBody, auth: bearer },
  { name: 'converse-stream', dialect: 'bedrock', path: (m) => `/model/${m}/converse-stream`, body: converseBody, auth: bearer },
  {
    name: 'invoke',
    dialect: 'bedrock',
    path: (m) => `/model/${m}/invoke`,
    body: () => ({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 16, messages: chatMessages }),
    auth: bearer,
  },
];

/** The model in the body for fronts that carry it there, else in the path. */
const modelInBody = (f: Front): boolean => 'model' in f.body('x');

interface Case {
  name: string;
  status: number;
  message: RegExp;
  request: (f: Front) => { path: string; headers: Record<string, string>; body: string | ReadableStream<Uint8Array> };
}

const json = { 'content-type': 'application/json' };
const good = (f: Front, extra: Record<string, unknown> = {}) => JSON.stringify({ ...f.body('m'), ...extra });

const CASES: Case[] = [
  { name: 'empty body', status: 400, message: /request body is empty; send a JSON object/, request: (f) => ({ path: f.path('m'), headers: { ...json, ...f.auth(KEY) }, body: '' }) },
  { name: 'body not JSON', status: 400, message: /not valid JSON/, request: (f) => ({ path: f.path('m'), headers: { ...json, ...f.auth(KEY) }, body: '{"model": ' }) },
  { name: 'JSON array body', status: 400, message: /object/i, request: (f) => ({ path: f.path('m'), headers: { ...json, ...f.auth(KEY) }, body: '[{"model":"m"}]' }) },
  {
    name: 'form-encoded body',
    status: 400,
    message: /not valid JSON \(sent as Content-Type: application\/x-www-form-urlencoded; send application\/json\)/,
    request: (f) => ({ path: f.path('m'), headers: { 'content-type': 'application/x-www-form-urlencoded', ...f.auth(KEY) }, body: 'model=m&prompt=hi' }),
  },
  {
    name: 'no model',
    status: 400,
    message: /model/i,
    request: (f) => ({ path: f.path(modelInBody(f) ? 'm' : ''), headers: { ...json, ...f.auth(KEY) }, body: JSON.stringify(f.body(undefined)) }),
  },
  {
    name: 'unknown model',
    status: 404,
    message: /model "nope" is not configured/,
    request: (f) => ({ path: f.path('nope'), headers: { ...json, ...f.auth(KEY) }, body: JSON.stringify(f.body('nope')) }),
  },
  { name: 'wrong key', status: 401, message: /missing or invalid API key/, request: (f) => ({ path: f.path('m'), headers: { ...json, ...f.auth('sk-wrong') }, body: good(f) }) },
  { name: 'no key', status: 401, message: /missing or invalid API key/, request: (f) => ({ path: f.path('m'), headers: json, body: good(f) }) },
  {
    name: 'body over server.max_body',
    status: 413,
    message: new RegExp(`exceeds the limit of ${MAX_BODY} bytes \\(server\\.max_body\\)`),
    request: (f) => ({ path: f.path('m'), headers: { ...json, ...f.auth(KEY) }, body: good(f, { metadata: { pad: 'x'.repeat(MAX_BODY) } }) }),
  },
  {
    name: 'chunked body over server.max_body',
    status: 413,
    message: /server\.max_body/,
    request: (f) => {
      const text = good(f, { metadata: { pad: 'x'.repeat(MAX_BODY) } });
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < text.length; i += 1024) c.enqueue(new TextEncoder().encode(text.slice(i, i + 1024)));
          c.close();
        },
      });
      return { path: f.path('m'), headers: { ...json, ...f.auth(KEY) }, body: stream };
    },
  },
];

describe('bad input, front by front', () => {
  let mock: MockServer;
  let app: App;
  let url: string;
  before(async () => {
    mock = await startMock({ port: 0 });
    const config = parseConfig(
      `server: { max_body: ${MAX_BODY} }\n` +
        `providers:\n  oa: { type: openai, base_url: "${mock.url}/v1", api_key: k }\n` +
        `models:\n  m: { targets: [{ provider: oa, model: gpt-4.1 }] }\n` +
        `auth:\n  keys:\n    - { name: t, key: "${KEY}" }\n`,
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

  for (const f of FRONTS) {
    test(`${f.name}: every mistake is a clear ${f.dialect}-shaped error and nothing goes upstream`, async () => {
      const failures: string[] = [];
      for (const c of CASES) {
        const { path, headers, body } = c.request(f);
        const upstreamBefore = mock.requests.length;
        const res = await fetch(`${url}${path}`, { method: 'POST', headers, body, duplex: 'half', signal: AbortSignal.timeout(10_000) } as RequestInit);
        const text = await res.text();
        try {
          assert.equal(res.status, c.status, `status (${text})`);
          assert.match(messageOf(f.dialect, res.status, res.headers, text), c.message);
          assert.equal(mock.requests.length, upstreamBefore, 'nothing sent upstream');
        } catch (err) {
          failures.push(`${c.name}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
      assert.deepEqual(failures, [], `${f.name} (${f.path('m')})`);
    });
  }

  test('a JSON body under another Content-Type is read as JSON and served (curl -d without -H)', async () => {
    for (const f of FRONTS) {
      const res = await fetch(`${url}${f.path('m')}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', ...f.auth(KEY) },
        body: good(f),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      assert.equal(res.status, 200, f.name);
    }
  });

  test('paths no route serves: 404 in the dialect of the front they sit under', async () => {
    const cases: Array<[string, string, Dialect]> = [
      ['POST', '/v1/messages/foo', 'anthropic'],
      ['POST', '/v1/messages/batches', 'anthropic'],
      ['GET', '/v1/messages/batches/msgbatch_1', 'anthropic'],
      ['POST', '/v1beta/foo', 'gemini'],
      ['POST', '/v1beta/models/m:generateContnet', 'gemini'],
      ['POST', '/v1/models/m:frobnicate', 'gemini'],
      ['POST', '/v2/foo', 'cohere'],
      ['POST', '/v2/chat/stream', 'cohere'],
      ['POST', '/model/m/foo', 'bedrock'],
      ['POST', '/v1/chat/foo', 'openai'],
      ['POST', '/v1/foo', 'openai'],
      ['GET', '/nowhere', 'openai'],
    ];
    const failures: string[] = [];
    for (const [method, path, dialect] of cases) {
      const res = await fetch(`${url}${path}`, { method, headers: { ...json, ...bearer(KEY) }, body: method === 'POST' ? '{}' : undefined });
      const text = await res.text();
      try {
        assert.equal(res.status, 404, text);
        const message = messageOf(dialect, 404, res.headers, text);
        assert.equal(message, `no route for ${method} ${path}`);
        if (dialect === 'anthropic') assert.equal(JSON.parse(text).error.type, 'not_found_error');
      } catch (err) {
        failures.push(`${method} ${path} (${dialect}): ${(err as Error).message.split('\n')[0]}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('/debug/stream needs a client key when keys are configured', async () => {
    const none = await fetch(`${url}/debug/stream?n=1&interval=0`);
    assert.equal(none.status, 401);
    assert.match(messageOf('openai', 401, none.headers, await none.text()), /missing or invalid API key/);
    const wrong = await fetch(`${url}/debug/stream?n=1&interval=0`, { headers: bearer('sk-wrong') });
    assert.equal(wrong.status, 401);
    await wrong.arrayBuffer();
    // Each way `sluice doctor --protocol …` sends its key.
    for (const headers of [bearer(KEY), { 'x-api-key': KEY }, { 'x-goog-api-key': KEY }]) {
      const res = await fetch(`${url}/debug/stream?n=1&interval=0`, { headers });
      assert.equal(res.status, 200, JSON.stringify(Object.keys(headers)));
      assert.match(await res.text(), /data: \[DONE\]/);
    }
  });
});

test('/debug/stream stays open on an open gateway', async () => {
  const app = createApp(parseConfig('models:\n  fast: { targets: [{ provider: demo, model: demo }] }\n', { env: {} }));
  const addr = await app.listen(0, '127.0.0.1');
  try {
    const res = await fetch(`http://127.0.0.1:${addr.port}/debug/stream?n=1&interval=0`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /data: \[DONE\]/);
  } finally {
    await app.close();
  }
});
