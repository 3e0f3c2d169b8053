// The HTTP surface of docs/spec.md §3 and §4.2 as one table, checked the way an acceptance suite
// reads the SPEC: every endpoint accepts a client key as `Authorization: Bearer` and as
// `x-api-key`; a wrong key is a 401 in that endpoint's dialect; every response carries
// x-request-id (the client's when it sent one); and per dialect, a model outside the key's list is
// 403 while a model the gateway does not know is 404 — for every key, restricted or not.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const OPEN = 'sk-spec-open-0123456789';
const NARROW = 'sk-spec-narrow-0123456789';

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  oai: { type: openai, base_url: ${mock.url}/v1, api_key: up }
  ant: { type: anthropic, base_url: ${mock.url}, api_key: up }
models:
  m1: { targets: [{ provider: oai, model: gpt-4o }] }
  m2: { targets: [{ provider: ant, model: claude-sonnet-4-5 }] }
auth:
  keys:
    - { name: open, key: "${OPEN}" }
    - { name: narrow, key: "${NARROW}", models: [m1] }
retries: { attempts: 0 }
`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

const say = (words = 'hi'): string => `${words} [[mock chunks=1]]`;
const bodies = {
  chat: (model: string) => ({ model, messages: [{ role: 'user', content: say() }] }),
  responses: (model: string) => ({ model, input: say() }),
  messages: (model: string) => ({ model, max_tokens: 8, messages: [{ role: 'user', content: say() }] }),
  gemini: () => ({ contents: [{ role: 'user', parts: [{ text: say() }] }] }),
  converse: () => ({ messages: [{ role: 'user', content: [{ text: say() }] }] }),
  invoke: () => ({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 8, messages: [{ role: 'user', content: say() }] }),
  embeddings: (model: string) => ({ model, input: 'x' }),
};

type Dialect = 'openai' | 'anthropic' | 'gemini' | 'cohere' | 'bedrock';

interface Endpoint {
  name: string;
  method: 'GET' | 'POST';
  /** The path for a model name (ignored by endpoints without one). */
  path: (model: string) => string;
  body?: (model: string) => unknown;
  dialect: Dialect;
  /** Whether the endpoint names a model (and so has 403/404 answers). */
  routed: boolean;
}

const enc = encodeURIComponent;
const ENDPOINTS: Endpoint[] = [
  { name: 'chat completions', method: 'POST', path: () => '/v1/chat/completions', body: bodies.chat, dialect: 'openai', routed: true },
  { name: 'responses', method: 'POST', path: () => '/v1/responses', body: bodies.responses, dialect: 'openai', routed: true },
  { name: 'messages', method: 'POST', path: () => '/v1/messages?beta=true', body: bodies.messages, dialect: 'anthropic', routed: true },
  { name: 'count_tokens', method: 'POST', path: () => '/v1/messages/count_tokens', body: bodies.messages, dialect: 'anthropic', routed: true },
  { name: 'gemini generateContent', method: 'POST', path: (m) => `/v1beta/models/${m}:generateContent`, body: bodies.gemini, dialect: 'gemini', routed: true },
  { name: 'gemini stream (sse)', method: 'POST', path: (m) => `/v1beta/models/${m}:streamGenerateContent?alt=sse`, body: bodies.gemini, dialect: 'gemini', routed: true },
  { name: 'gemini countTokens', method: 'POST', path: (m) => `/v1beta/models/${m}:countTokens`, body: bodies.gemini, dialect: 'gemini', routed: true },
  { name: 'gemini under /v1', method: 'POST', path: (m) => `/v1/models/${m}:generateContent`, body: bodies.gemini, dialect: 'gemini', routed: true },
  { name: 'gemini model list', method: 'GET', path: () => '/v1beta/models', dialect: 'gemini', routed: false },
  { name: 'cohere chat', method: 'POST', path: () => '/v2/chat', body: bodies.chat, dialect: 'cohere', routed: true },
  { name: 'bedrock converse', method: 'POST', path: (m) => `/model/${enc(m)}/converse`, body: bodies.converse, dialect: 'bedrock', routed: true },
  { name: 'bedrock converse-stream', method: 'POST', path: (m) => `/model/${enc(m)}/converse-stream`, body: bodies.converse, dialect: 'bedrock', routed: true },
  { name: 'bedrock invoke', method: 'POST', path: (m) => `/model/${enc(m)}/invoke`, body: bodies.invoke, dialect: 'bedrock', routed: true },
  { name: 'bedrock invoke stream', method: 'POST', path: (m) => `/model/${enc(m)}/invoke-with-response-stream`, body: bodies.invoke, dialect: 'bedrock', routed: true },
  { name: 'inference profiles', method: 'GET', path: () => '/inference-profiles', dialect: 'bedrock', routed: false },
  { name: 'embeddings', method: 'POST', path: () => '/v1/embeddings', body: bodies.embeddings, dialect: 'openai', routed: true },
  { name: 'model list', method: 'GET', path: () => '/v1/models', dialect: 'openai', routed: false },
  { name: 'debug stream', method: 'GET', path: () => '/debug/stream?n=1&interval=1', dialect: 'openai', routed: false },
];

async function call(ep: Endpoint, model: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${sluice.url}${ep.path(model)}`, {
    method: ep.method,
    headers: { ...(ep.body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: ep.body ? JSON.stringify(ep.body(model)) : undefined,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Asserts an error body has the dialect's shape (SPEC §4.2) and returns a one-word summary of it. */
function errorShape(dialect: Dialect, res: { status: number; headers: Headers; text: string }): string {
  const body = JSON.parse(res.text) as Record<string, any>;
  switch (dialect) {
    case 'openai':
      assert.equal(typeof body.error?.message, 'string', res.text);
      assert.ok('type' in body.error && 'code' in body.error, res.text);
      return body.error.type;
    case 'anthropic':
      assert.equal(body.type, 'error', res.text);
      assert.equal(typeof body.error?.message, 'string', res.text);
      return body.error.type;
    case 'gemini':
      assert.equal(body.error?.code, res.status, res.text);
      assert.equal(typeof body.error?.message, 'string', res.text);
      return body.error.status;
    case 'cohere':
      assert.deepEqual(Object.keys(body), ['message'], res.text);
      return 'message';
    case 'bedrock':
      assert.equal(typeof body.message, 'string', res.text);
      return res.headers.get('x-amzn-errortype') ?? '(no x-amzn-ErrorType)';
  }
}

describe('every endpoint: Bearer and x-api-key accepted, a wrong key is a 401 in its dialect, x-request-id always', () => {
  for (const ep of ENDPOINTS) {
    test(`${ep.method} ${ep.name}`, async () => {
      for (const auth of [{ authorization: `Bearer ${OPEN}` }, { 'x-api-key': OPEN }] as Array<Record<string, string>>) {
        const ok = await call(ep, 'm1', { ...auth, 'x-request-id': 'spec-req-1' });
        assert.equal(ok.status, 200, `${JSON.stringify(Object.keys(auth))}: ${ok.text.slice(0, 300)}`);
        assert.equal(ok.headers.get('x-request-id'), 'spec-req-1', 'the client\'s request id is echoed');
      }
      for (const auth of [{ authorization: 'Bearer sk-wrong' }, { 'x-api-key': 'sk-wrong' }, {}] as Array<Record<string, string>>) {
        const denied = await call(ep, 'm1', auth);
        assert.equal(denied.status, 401, denied.text);
        assert.match(denied.headers.get('x-request-id') ?? '', /\S/, 'a generated request id on an error');
        const kind = errorShape(ep.dialect, denied);
        const expected = { openai: 'authentication_error', anthropic: 'authentication_error', gemini: 'UNAUTHENTICATED', cohere: 'message', bedrock: 'UnrecognizedClientException' }[ep.dialect];
        assert.equal(kind, expected);
      }
    });
  }
});

describe('per dialect: 403 for a model outside the key\'s list, 404 for an unknown model (whatever the key)', () => {
  const forbidden = { openai: 'permission_error', anthropic: 'permission_error', gemini: 'PERMISSION_DENIED', cohere: 'message', bedrock: 'AccessDeniedException' };
  const unknown = { openai: 'not_found_error', anthropic: 'not_found_error', gemini: 'NOT_FOUND', cohere: 'message', bedrock: 'ResourceNotFoundException' };
  for (const ep of ENDPOINTS.filter((e) => e.routed)) {
    test(ep.name, async () => {
      const narrow = { authorization: `Bearer ${NARROW}` };
      const allowed = await call(ep, 'm1', narrow);
      assert.equal(allowed.status, 200, allowed.text.slice(0, 300));

      const notAllowed = await call(ep, 'm2', narrow);
      assert.equal(notAllowed.status, 403, notAllowed.text);
      assert.equal(errorShape(ep.dialect, notAllowed), forbidden[ep.dialect]);

      for (const key of [OPEN, NARROW]) {
        const missing = await call(ep, 'no-such-model', { authorization: `Bearer ${key}` });
        assert.equal(missing.status, 404, `${key === OPEN ? 'open' : 'narrow'} key: ${missing.text}`);
        assert.equal(errorShape(ep.dialect, missing), unknown[ep.dialect]);
        assert.match(missing.text, /no-such-model/);
      }
    });
  }
});

test('GET /healthz, /readyz, /metrics answer without a key; /metrics names the SPEC §5 series', async () => {
  const health = await fetch(`${sluice.url}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });
  assert.ok(health.headers.get('x-request-id'));
  const ready = await fetch(`${sluice.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.ok(ready.headers.get('x-request-id'));
  const metrics = await fetch(`${sluice.url}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await metrics.text();
  for (const name of [
    'sluice_requests_total',
    'sluice_time_to_first_event_seconds',
    'sluice_event_gap_seconds',
    'sluice_active_streams',
    'sluice_streams_ended_total',
    'sluice_retries_total',
    'sluice_failovers_total',
    'sluice_upstream_errors_total',
    'sluice_tokens_total',
    'sluice_cost_usd_total',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  for (const reason of ['completed', 'client_abort', 'upstream_error', 'first_byte_timeout', 'idle_timeout', 'total_timeout']) {
    assert.match(text, new RegExp(`^sluice_streams_ended_total\\{reason="${reason}"\\} `, 'm'), reason);
  }
  assert.match(text, /^sluice_requests_total\{front="openai",model="m1",target="oai\/gpt-4o",status="200"\} /m);
});

test('GET /v1/models lists the configured names in the OpenAI list shape; GET / is the playground', async () => {
  const res = await fetch(`${sluice.url}/v1/models`, { headers: { authorization: `Bearer ${OPEN}` } });
  const list = (await res.json()) as { object: string; data: Array<{ id: string; object: string }> };
  assert.equal(list.object, 'list');
  assert.deepEqual(list.data.map((m) => [m.id, m.object]), [['m1', 'model'], ['m2', 'model']]);
  const page = await fetch(`${sluice.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
});
