// The mock's Vertex side checked against a real service-account flow and Google's and Anthropic's own
// Vertex clients: a JWT signed (with `jws`, the signer google-auth-library uses) by a key the test
// generates, verified by the mock's token endpoint; the token it issues accepted by Vertex paths of
// both publishers (@anthropic-ai/vertex-sdk, @google/genai in Vertex mode); expired, missing and
// forged tokens refused as Google refuses them; RESOURCE_EXHAUSTED as the SDKs expect; text
// embeddings at `:predict` as @google/genai (Vertex mode) sends and reads them.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import jws from 'jws';
import { OAuth2Client } from 'google-auth-library';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { GoogleGenAI } from '@google/genai';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { MockTokenService } from '../../src/protocols/vertex/mock-tokens.ts';
import { mockEmbedding } from '../../src/mock/embeddings.ts';

const EMAIL = 'sluice-test@test-project.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

let mock: MockServer;
let clock = Date.now();
const tokens = new MockTokenService({ lifetimeS: 600, now: () => clock });

before(async () => {
  tokens.addServiceAccount(EMAIL, publicKey);
  mock = await startMock({ now: () => clock, dialectOptions: { vertex: { tokens } } });
});
after(() => mock.close());

/** The JWT-bearer grant as Google's docs describe it, signed independently of sluice's own signer. */
async function grant(opts: { key?: string; aud?: string; iatOffsetS?: number } = {}): Promise<Response> {
  const iat = Math.floor(clock / 1000) + (opts.iatOffsetS ?? 0);
  const assertion = jws.sign({
    header: { alg: 'RS256', typ: 'JWT' },
    payload: { iss: EMAIL, scope: 'https://www.googleapis.com/auth/cloud-platform', aud: opts.aud ?? `${mock.url}/token`, iat, exp: iat + 3600 },
    secret: opts.key ?? privateKey,
  });
  return fetch(`${mock.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
  });
}

async function accessToken(): Promise<string> {
  const res = await grant();
  assert.equal(res.status, 200);
  const body = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 600);
  return body.access_token;
}

function authClient(token: string): OAuth2Client {
  const c = new OAuth2Client();
  c.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return c;
}

function claude(token: string, headers: Record<string, string> = {}): AnthropicVertex {
  return new AnthropicVertex({ baseURL: `${mock.url}/v1`, region: 'us-east5', projectId: 'test-project', authClient: authClient(token) as never, maxRetries: 0, defaultHeaders: headers });
}

function genai(token: string, headers: Record<string, string> = {}): GoogleGenAI {
  return new GoogleGenAI({ vertexai: true, project: 'test-project', location: 'us-east5', httpOptions: { baseUrl: mock.url, headers }, googleAuthOptions: { authClient: authClient(token) as never } });
}

describe('token endpoint', () => {
  test('a JWT signed by the registered key gets a token; another key, another audience or a stale assertion does not', async () => {
    await accessToken();
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    for (const [res, reason] of [
      [await grant({ key: other.privateKey }), /Invalid JWT Signature/],
      [await grant({ aud: 'https://oauth2.googleapis.com/token' }), /audience/],
      [await grant({ iatOffsetS: -7200 }), /short-lived token/],
    ] as const) {
      assert.equal(res.status, 400);
      const body = (await res.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'invalid_grant');
      assert.match(body.error_description, reason);
    }
  });

  test('the metadata server path answers only with Metadata-Flavor: Google', async () => {
    const path = `${mock.url}/computeMetadata/v1/instance/service-accounts/default/token`;
    assert.equal((await fetch(path)).status, 403);
    const ok = await fetch(path, { headers: { 'metadata-flavor': 'Google' } });
    assert.equal(ok.headers.get('metadata-flavor'), 'Google');
    assert.match(((await ok.json()) as { access_token: string }).access_token, /^ya29\./);
  });

  test('the mock\'s own key file points at its token endpoint and works', async () => {
    const sa = (await (await fetch(`${mock.url}/vertex/service-account.json`)).json()) as { client_email: string; private_key: string; token_uri: string };
    assert.equal(sa.token_uri, `${mock.url}/token`);
    const iat = Math.floor(clock / 1000);
    const assertion = jws.sign({ header: { alg: 'RS256' }, payload: { iss: sa.client_email, scope: 'https://www.googleapis.com/auth/cloud-platform', aud: sa.token_uri, iat, exp: iat + 3600 }, secret: sa.private_key });
    const res = await fetch(sa.token_uri, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
    assert.equal(res.status, 200);
  });
});

describe('Claude on Vertex (@anthropic-ai/vertex-sdk)', () => {
  test('messages.stream, messages.create and countTokens with the issued token', async () => {
    const client = claude(await accessToken());
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5@20250929', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    assert.equal(text, mockText(12).join(''));
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.model, 'claude-sonnet-4-5@20250929');
    const res = await client.messages.create({ model: 'claude-sonnet-4-5@20250929', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.content[0]?.type === 'text' ? res.content[0].text : '', mockText(12).join(''));
    const count = await client.messages.countTokens({ model: 'claude-sonnet-4-5@20250929', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(count.input_tokens > 0);
    const rec = mock.requests.find((r) => r.path.includes(':streamRawPredict'));
    assert.ok(rec, 'the SDK reached the streamRawPredict path');
    assert.equal('model' in (rec.body as object), false);
  });

  test('an expired token is Google\'s 401 UNAUTHENTICATED; so are a forged and a missing one', async () => {
    const token = await accessToken();
    clock += 601_000;
    try {
      await assert.rejects(claude(token).messages.create({ model: 'claude-x@1', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => {
        assert.equal((e as { status?: number }).status, 401);
        assert.match(String((e as Error).message), /UNAUTHENTICATED|invalid authentication credentials/);
        return true;
      });
    } finally {
      clock -= 601_000;
    }
    await assert.rejects(claude('ya29.forged').messages.create({ model: 'claude-x@1', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), { status: 401 });
    const bare = await fetch(`${mock.url}/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x@1:rawPredict`, { method: 'POST', body: '{}' });
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as { error: { status: string } }).error.status, 'UNAUTHENTICATED');
  });

  test('fault=status 429 is RESOURCE_EXHAUSTED in the array shape, a 429 to the SDK', async () => {
    const client = claude(await accessToken(), { 'x-mock': 'fault=status;status=429' });
    await assert.rejects(client.messages.create({ model: 'claude-x@1', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), (e: unknown) => {
      assert.equal((e as { status?: number }).status, 429);
      assert.match(String((e as Error).message), /RESOURCE_EXHAUSTED/);
      return true;
    });
  });

  test('a body with `model` or without anthropic_version is refused (the Vertex rewrite, Q-42)', async () => {
    const token = await accessToken();
    const url = `${mock.url}/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-x@1:rawPredict`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const withModel = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ anthropic_version: 'vertex-2023-10-16', model: 'claude-x', max_tokens: 5, messages: [] }) });
    assert.equal(withModel.status, 400);
    const noVersion = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ max_tokens: 5, messages: [] }) });
    assert.equal(noVersion.status, 400);
  });
});

describe('Gemini on Vertex (@google/genai, vertexai: true)', () => {
  test('generateContentStream, generateContent and countTokens with the issued token', async () => {
    const ai = genai(await accessToken());
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) text += chunk.text ?? '';
    assert.equal(text, mockText(12).join(''));
    const res = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    assert.equal(res.text, mockText(12).join(''));
    assert.equal(res.candidates?.[0]?.finishReason, 'STOP');
    const count = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hi' });
    assert.ok((count.totalTokens ?? 0) > 0);
  });

  test('expired token → 401; fault=status 429 → RESOURCE_EXHAUSTED', async () => {
    const token = await accessToken();
    clock += 601_000;
    try {
      await assert.rejects(genai(token).models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }), /UNAUTHENTICATED/);
    } finally {
      clock -= 601_000;
    }
    await assert.rejects(genai(await accessToken(), { 'x-mock': 'fault=status;status=429' }).models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' }), /RESOURCE_EXHAUSTED/);
  });
});

describe('text embeddings on Vertex (:predict, @google/genai in Vertex mode)', () => {
  test('embedContent of a text-embedding model: predict instances with task_type and title, parameters; values and token counts read back', async () => {
    const ai = genai(await accessToken());
    const contents = ['the river lock', 'a sluice gate'];
    const res = await ai.models.embedContent({
      model: 'text-embedding-005',
      contents,
      config: { outputDimensionality: 8, taskType: 'RETRIEVAL_DOCUMENT', title: 'Canals', autoTruncate: false },
    });
    assert.deepEqual(
      res.embeddings?.map((e) => e.values),
      contents.map((t) => Array.from(mockEmbedding(t, 8))),
    );
    assert.deepEqual(
      res.embeddings?.map((e) => e.statistics?.tokenCount),
      [4, 4],
    );
    const rec = mock.requests.at(-1)!;
    assert.match(rec.path, /\/v1beta1\/projects\/test-project\/locations\/us-east5\/publishers\/google\/models\/text-embedding-005:predict$/);
    assert.deepEqual(rec.body, {
      instances: contents.map((content) => ({ content, task_type: 'RETRIEVAL_DOCUMENT', title: 'Canals' })),
      parameters: { outputDimensionality: 8, autoTruncate: false },
    });
  });

  test('Vertex limits and shapes: one instance for gemini-embedding, 250 per call, a title only for documents, known fields only, a token', async () => {
    const token = await accessToken();
    const url = (m: string): string => `${mock.url}/v1/projects/p/locations/us-central1/publishers/google/models/${m}:predict`;
    const post = (m: string, body: unknown, auth = `Bearer ${token}`): Promise<Response> =>
      fetch(url(m), { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ok = await post('gemini-embedding-001', { instances: [{ content: 'one' }] });
    assert.equal(ok.status, 200);
    const bad: Array<[string, unknown, RegExp]> = [
      ['gemini-embedding-001', { instances: [{ content: 'a' }, { content: 'b' }] }, /at most 1 instance/],
      ['text-embedding-005', { instances: Array.from({ length: 251 }, () => ({ content: 'x' })) }, /at most 250/],
      ['text-embedding-005', { instances: [{ content: 'x', title: 't' }] }, /title is only valid with task_type RETRIEVAL_DOCUMENT/],
      ['text-embedding-005', { instances: [{ text: 'x' }] }, /instances\[0\]\.text is not/],
      ['text-embedding-005', { instances: [{ content: 'x' }], parameters: { dimensions: 8 } }, /parameters\.dimensions/],
      ['text-embedding-005', { instances: [{ content: 'x'.repeat(80_004) }] }, /at most 20000 per request/],
    ];
    for (const [model, body, message] of bad) {
      const res = await post(model, body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      const err = (await res.json()) as { error: { message: string; status: string } };
      assert.match(err.error.message, message);
      assert.equal(err.error.status, 'INVALID_ARGUMENT');
    }
    const anonymous = await post('text-embedding-005', { instances: [{ content: 'x' }] }, '');
    assert.equal(anonymous.status, 401);
  });
});
