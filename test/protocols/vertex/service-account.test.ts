import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../../../src/core/errors.ts';
import {
  CLOUD_PLATFORM_SCOPE,
  fetchServiceAccountToken,
  parseServiceAccount,
  signAssertion,
} from '../../../src/protocols/vertex/service-account.ts';
import { MockTokenService } from '../../../src/protocols/vertex/mock-tokens.ts';

function keyPair() {
  return generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
}

function saJson(privateKey: string, tokenUri: string) {
  return {
    type: 'service_account',
    project_id: 'proj-1',
    private_key_id: 'kid-1',
    private_key: privateKey,
    client_email: 'sluice-test@proj-1.iam.gserviceaccount.com',
    client_id: '1',
    token_uri: tokenUri,
  };
}

/** A real HTTP token endpoint backed by the mock's token service. */
async function tokenServer(service: MockTokenService) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = `http://${req.headers.host}${req.url}`;
      const reply = service.grant(body, url);
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return { url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('the assertion is RS256 over iss/scope/aud=token_uri/iat/exp and verifies with the public key', () => {
  const { privateKey, publicKey } = keyPair();
  const sa = parseServiceAccount(saJson(privateKey, 'http://127.0.0.1:9/token'), 'sa.json');
  const jwt = signAssertion(sa, CLOUD_PLATFORM_SCOPE, 1_700_000_000_500);
  const [h, c] = jwt.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(h!, 'base64url').toString()), { alg: 'RS256', typ: 'JWT', kid: 'kid-1' });
  assert.deepEqual(JSON.parse(Buffer.from(c!, 'base64url').toString()), {
    iss: 'sluice-test@proj-1.iam.gserviceaccount.com',
    scope: CLOUD_PLATFORM_SCOPE,
    aud: 'http://127.0.0.1:9/token',
    iat: 1_700_000_000,
    exp: 1_700_003_600,
  });
  const service = new MockTokenService({ now: () => 1_700_000_010_000 });
  service.addServiceAccount(sa.clientEmail, publicKey);
  const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt }).toString();
  assert.equal(service.grant(form, 'http://127.0.0.1:9/token').status, 200);
  // Same JWT posted to another endpoint: wrong audience.
  assert.equal(service.grant(form, 'http://127.0.0.1:9/other').status, 400);
});

test('the grant goes to the key file\'s own token_uri and yields a token the service accepts', async () => {
  const { privateKey, publicKey } = keyPair();
  let now = 1_700_000_000_000;
  const service = new MockTokenService({ lifetimeS: 600, now: () => now });
  service.addServiceAccount('sluice-test@proj-1.iam.gserviceaccount.com', publicKey);
  const server = await tokenServer(service);
  try {
    const sa = parseServiceAccount(saJson(privateKey, server.url), 'sa.json');
    const token = await fetchServiceAccountToken(sa, { scope: CLOUD_PLATFORM_SCOPE, now: () => now, signal: new AbortController().signal });
    assert.equal(token.expiresAtMs, now + 600_000);
    assert.equal(service.checkBearer(`Bearer ${token.token}`), 'ok');
    now += 600_001;
    assert.equal(service.checkBearer(`Bearer ${token.token}`), 'expired');
    assert.equal(service.checkBearer('Bearer ya29.forged'), 'unknown');
    assert.equal(service.checkBearer(undefined), 'missing');
  } finally {
    await server.close();
  }
});

test('a key the endpoint does not know is refused as upstream_auth, without the assertion in the message', async () => {
  const registered = keyPair();
  const other = keyPair();
  const service = new MockTokenService();
  service.addServiceAccount('sluice-test@proj-1.iam.gserviceaccount.com', registered.publicKey);
  const server = await tokenServer(service);
  try {
    const sa = parseServiceAccount(saJson(other.privateKey, server.url), 'sa.json');
    await assert.rejects(
      fetchServiceAccountToken(sa, { scope: CLOUD_PLATFORM_SCOPE, now: Date.now, signal: new AbortController().signal }),
      (err: unknown) => {
        assert.ok(err instanceof GatewayError);
        assert.equal(err.code, 'upstream_auth');
        assert.match(err.message, /invalid_grant: Invalid JWT Signature/);
        assert.doesNotMatch(err.message, /eyJ/);
        return true;
      },
    );
  } finally {
    await server.close();
  }
});

test('a stale assertion (clock far off) is refused', () => {
  const { privateKey, publicKey } = keyPair();
  const sa = parseServiceAccount(saJson(privateKey, 'http://x/token'), 'sa.json');
  const service = new MockTokenService({ now: () => 1_700_000_000_000 });
  service.addServiceAccount(sa.clientEmail, publicKey);
  const jwt = signAssertion(sa, CLOUD_PLATFORM_SCOPE, 1_700_000_000_000 - 2 * 3600_000);
  const reply = service.grant(new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt }).toString(), 'http://x/token');
  assert.equal(reply.status, 400);
  assert.match(reply.body, /short-lived token/);
});

test('an unreachable token endpoint is a retryable error naming its host', async () => {
  const { privateKey } = keyPair();
  const sa = parseServiceAccount(saJson(privateKey, 'http://127.0.0.1:1/token'), 'sa.json');
  await assert.rejects(fetchServiceAccountToken(sa, { scope: CLOUD_PLATFORM_SCOPE, now: Date.now, signal: new AbortController().signal }), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'upstream_unreachable');
    assert.equal(err.retryable, true);
    assert.match(err.message, /127\.0\.0\.1:1/);
    return true;
  });
});

test('key file problems name the file and field, never the key', () => {
  const { privateKey } = keyPair();
  assert.throws(() => parseServiceAccount({ type: 'authorized_user' }, 'a.json'), /a\.json is not a service-account key file/);
  assert.throws(() => parseServiceAccount({ ...saJson(privateKey, 'http://x/t'), client_email: '' }, 'a.json'), /a\.json: field client_email is missing/);
  assert.throws(
    () => parseServiceAccount({ ...saJson('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n', 'http://x/t') }, 'a.json'),
    (err: Error) => /private_key is not a PEM private key/.test(err.message) && !err.message.includes('not a key\n'),
  );
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  assert.throws(() => parseServiceAccount(saJson(ec.privateKey, 'http://x/t'), 'a.json'), /must be an RSA key/);
  // No token_uri: Google's.
  const { token_uri: _t, ...noUri } = saJson(privateKey, 'http://x/t');
  assert.equal(parseServiceAccount(noUri, 'a.json').tokenUri, 'https://oauth2.googleapis.com/token');
});
