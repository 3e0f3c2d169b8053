// SigV4 signing (the upstream's auth) against the verifier the mock uses, and the credential cache's
// refresh rules with an injected clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignatureV4 } from '@smithy/signature-v4';
import { GatewayError } from '../../../src/core/errors.ts';
import { CredentialCache, REFRESH_BEFORE_MS, type AwsCredentials } from '../../../src/protocols/bedrock/credentials.ts';
import { NodeSha256, bearerAuth, sigV4Auth, type SignableRequest } from '../../../src/protocols/bedrock/sigv4.ts';
import { verifySigV4, type KnownKey } from '../../../src/protocols/bedrock/sigv4-verify.ts';

const NOW = Date.UTC(2026, 11, 7, 9, 30, 0);
const KEYS: Record<string, KnownKey> = {
  AKIDEXAMPLE: { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  ASIATEMPORARY: { secretAccessKey: 'temporary-secret', sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN' },
};

function cache(creds: AwsCredentials, now = () => NOW): CredentialCache {
  return new CredentialCache({ provider: 'bedrock', source: async () => creds, now });
}

function request(model: string): SignableRequest {
  return {
    url: `http://127.0.0.1:4010/model/${encodeURIComponent(model)}/converse-stream`,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/vnd.amazon.eventstream' },
    body: '{"messages":[{"role":"user","content":[{"text":"hi"}]}]}',
  };
}

/** What the mock receives: the path as sent, headers lower-cased, host from the URL. */
async function verify(req: SignableRequest, now = NOW) {
  const url = new URL(req.url);
  const headers: Record<string, string> = { host: url.host };
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = v;
  return verifySigV4({ method: req.method ?? 'POST', target: url.pathname + url.search, headers, body: Buffer.from(req.body) }, (id) => KEYS[id], now);
}

test('a model id with ":" signs and verifies: the path is sent once-encoded and signed twice-encoded (Q-33)', async () => {
  const req = request('us.anthropic.claude-sonnet-4-5-20250929-v1:0');
  assert.match(req.url, /v1%3A0\/converse-stream$/);
  await sigV4Auth({ provider: 'bedrock', region: 'us-east-1', credentials: cache({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: KEYS.AKIDEXAMPLE.secretAccessKey }), now: () => NOW }).apply(req);
  assert.match(req.headers.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261207\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/);
  assert.equal(req.headers['x-amz-date'], '20261207T093000Z');
  assert.deepEqual(await verify(req), { ok: true, accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1' });
});

test('an ARN (":" and "/") with temporary credentials: the session token is sent and signed', async () => {
  const req = request('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3');
  const creds = { accessKeyId: 'ASIATEMPORARY', secretAccessKey: 'temporary-secret', sessionToken: KEYS.ASIATEMPORARY.sessionToken };
  await sigV4Auth({ provider: 'bedrock', region: 'eu-west-1', credentials: cache(creds), now: () => NOW }).apply(req);
  assert.equal(req.headers['x-amz-security-token'], creds.sessionToken);
  assert.match(req.headers.authorization, /SignedHeaders=[^,]*x-amz-security-token/);
  assert.deepEqual(await verify(req), { ok: true, accessKeyId: 'ASIATEMPORARY', region: 'eu-west-1' });
  // Without the token, the same key is refused.
  delete req.headers['x-amz-security-token'];
  const v = await verify(req);
  assert.equal(v.ok === false && v.type, 'UnrecognizedClientException');
});

test('refusals are AWS\'s: wrong secret, tampered body, wrong signing name, single encoding, stale date, no auth', async () => {
  const model = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
  const wrong = request(model);
  await sigV4Auth({ provider: 'bedrock', region: 'us-east-1', credentials: cache({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-the-secret' }), now: () => NOW }).apply(wrong);
  const v1 = await verify(wrong);
  assert.equal(v1.ok === false && `${v1.status} ${v1.type}`, '403 InvalidSignatureException');

  const tampered = request(model);
  await sigV4Auth({ provider: 'bedrock', region: 'us-east-1', credentials: cache({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: KEYS.AKIDEXAMPLE.secretAccessKey }), now: () => NOW }).apply(tampered);
  tampered.body = tampered.body.replace('hi', 'ho');
  const v2 = await verify(tampered);
  assert.equal(v2.ok, false);

  // The classic mistakes: signing name from the host (aws4), or the path signed as sent (single encoding).
  for (const [service, uriEscapePath, type] of [
    ['bedrock-runtime', true, 'InvalidSignatureException'],
    ['bedrock', false, 'InvalidSignatureException'],
  ] as const) {
    const req = request(model);
    const url = new URL(req.url);
    const signer = new SignatureV4({ service, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: KEYS.AKIDEXAMPLE.secretAccessKey }, sha256: NodeSha256, uriEscapePath });
    const signed = await signer.sign(
      { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host, ...req.headers }, body: req.body },
      { signingDate: new Date(NOW) },
    );
    Object.assign(req.headers, signed.headers);
    const v = await verify(req);
    assert.equal(v.ok === false && v.type, type, `${service} uriEscapePath=${uriEscapePath}`);
  }
  // An id without ":" or "/" is the same either way: that single-encoding signer is accepted there.
  const plain = request('amazon.nova-lite-v1');
  const url = new URL(plain.url);
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: KEYS.AKIDEXAMPLE.secretAccessKey }, sha256: NodeSha256, uriEscapePath: false });
  Object.assign(
    plain.headers,
    (await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query: {}, headers: { host: url.host, ...plain.headers }, body: plain.body }, { signingDate: new Date(NOW) })).headers,
  );
  assert.equal((await verify(plain)).ok, true);

  const stale = request(model);
  await sigV4Auth({ provider: 'bedrock', region: 'us-east-1', credentials: cache({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: KEYS.AKIDEXAMPLE.secretAccessKey }), now: () => NOW - 20 * 60_000 }).apply(stale);
  const v3 = await verify(stale);
  assert.match(v3.ok === false ? v3.message : '', /^Signature expired/);

  const none = await verify(request(model));
  assert.equal(none.ok === false && `${none.status} ${none.type}`, '403 MissingAuthenticationTokenException');

  const unknown = request(model);
  await sigV4Auth({ provider: 'bedrock', region: 'us-east-1', credentials: cache({ accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }), now: () => NOW }).apply(unknown);
  const v4 = await verify(unknown);
  assert.equal(v4.ok === false && v4.type, 'UnrecognizedClientException');
});

test('Bedrock API keys go as a Bearer token, nothing signed', () => {
  const req = request('amazon.nova-lite-v1:0');
  bearerAuth({ provider: 'bedrock', token: 'ABSKQmVkcm9ja0FQSUtleQ' }).apply(req);
  assert.equal(req.headers.authorization, 'Bearer ABSKQmVkcm9ja0FQSUtleQ');
  assert.equal(req.headers['x-amz-date'], undefined);
});

test('credential cache: fresh credentials are handed out synchronously, fetched once', async () => {
  let calls = 0;
  const c = new CredentialCache({
    provider: 'bedrock',
    source: async () => {
      calls++;
      return { accessKeyId: 'A', secretAccessKey: 'S' };
    },
    now: () => NOW,
  });
  const [a, b] = await Promise.all([c.get(), c.get()]);
  assert.equal(calls, 1, 'concurrent first fetches coalesce');
  assert.equal(a, b);
  assert.equal(c.get(), a, 'then synchronous');
});

test('credential cache: temporary credentials are refreshed in the background before they expire', async () => {
  let now = NOW;
  let n = 0;
  const forced: boolean[] = [];
  const c = new CredentialCache({
    provider: 'bedrock',
    source: async (o) => {
      forced.push(o?.forceRefresh === true);
      n++;
      return { accessKeyId: `A${n}`, secretAccessKey: 'S', sessionToken: `T${n}`, expiration: new Date(now + 60 * 60_000) };
    },
    now: () => now,
  });
  const first = await c.get();
  assert.equal(first.accessKeyId, 'A1');
  now += 60 * 60_000 - REFRESH_BEFORE_MS + 1000; // inside the refresh window, not expired
  const during = c.get();
  assert.equal(during, first, 'keeps signing with the current ones meanwhile');
  assert.equal(c.get(), first, 'one refresh at a time');
  await new Promise((r) => setImmediate(r));
  const after = c.get();
  assert.equal((after as AwsCredentials).accessKeyId, 'A2');
  assert.deepEqual(forced, [false, true]);
  // Expired with no refresh done: callers wait for new ones.
  now += 2 * 60 * 60_000;
  const waited = c.get();
  assert.ok(waited instanceof Promise);
  assert.equal((await waited).accessKeyId, 'A3');
});

test('credential cache: a failing chain is an upstream_auth error naming the provider, never a secret', async () => {
  const c = new CredentialCache({
    provider: 'bedrock-prod',
    source: async () => {
      throw new Error('Could not load credentials from any providers');
    },
    now: () => NOW,
  });
  await assert.rejects(
    async () => c.get(),
    (e: GatewayError) => e.code === 'upstream_auth' && /^bedrock-prod: could not load AWS credentials: Could not load credentials/.test(e.message),
  );
});
