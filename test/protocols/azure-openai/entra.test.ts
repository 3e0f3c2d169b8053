// Entra ID through the real @azure/identity (DefaultAzureCredential → managed identity, App Service
// protocol) against the mock's managed-identity endpoint on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../../../src/core/errors.ts';
import { MockTokenService } from '../../../src/protocols/vertex/mock-tokens.ts';
import { msiToken, checkAzureAuth } from '../../../src/protocols/azure-openai/mock-auth.ts';
import { azureEntraAuth, azureApiKeyAuth } from '../../../src/protocols/azure-openai/auth.ts';

test('DefaultAzureCredential gets a token from an App Service identity endpoint; it is cached and accepted', async (t) => {
  const tokens = new MockTokenService({ lifetimeS: 3600 });
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = msiToken(tokens, url.searchParams, req.headers['x-identity-header'] as string | undefined);
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const saved = { IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT, IDENTITY_HEADER: process.env.IDENTITY_HEADER };
  process.env.IDENTITY_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`;
  process.env.IDENTITY_HEADER = 'mock-identity-secret';
  t.after(() => Object.assign(process.env, saved));

  const auth = azureEntraAuth('aoai');
  const req = { url: 'http://x', headers: {} as Record<string, string>, body: '' };
  await auth.apply(req, new AbortController().signal);
  assert.match(req.headers.authorization ?? '', /^Bearer ya29\.mock-/);
  assert.equal(checkAzureAuth(tokens, req.headers, undefined), 'ok');
  const again = { url: 'http://x', headers: {} as Record<string, string>, body: '' };
  const sync = auth.apply(again, new AbortController().signal);
  assert.equal(sync, undefined, 'a cached token is applied synchronously');
  assert.equal(again.headers.authorization, req.headers.authorization);
  assert.equal(calls, 1);
  auth.close?.();
});

test('no Entra source at all: upstream_auth naming the provider', async () => {
  const failing = { getToken: () => Promise.reject(new Error('DefaultAzureCredential failed to retrieve a token from the included credentials.\nEnvironmentCredential is unavailable.')) };
  const auth = azureEntraAuth('aoai', { credential: failing });
  await assert.rejects(Promise.resolve(auth.apply({ url: 'http://x', headers: {}, body: '' }, new AbortController().signal)), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'upstream_auth');
    assert.match(err.message, /Entra ID token unavailable: DefaultAzureCredential failed/);
    assert.match(err.message, /provider aoai/);
    return true;
  });
});

test('api-key auth sets the api-key header only', () => {
  const req = { url: 'http://x', headers: {} as Record<string, string>, body: '' };
  azureApiKeyAuth('k1').apply(req, new AbortController().signal);
  assert.deepEqual(req.headers, { 'api-key': 'k1' });
});
