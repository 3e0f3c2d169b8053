// Which credential a Vertex provider uses, and ADC through the real google-auth-library against a
// metadata server on loopback (GCE_METADATA_HOST).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { MockTokenService } from '../../../src/protocols/vertex/mock-tokens.ts';
import { resolveCredentialSource, tokenFetcher, projectOf } from '../../../src/protocols/vertex/credentials.ts';
import { tempDir } from '../../helpers/tmp.ts';

const dir = tempDir('sluice-vertex-cred-');

test('a configured key file wins over GOOGLE_APPLICATION_CREDENTIALS; other file types go to google-auth-library', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const sa = join(dir, 'sa.json');
  writeFileSync(sa, JSON.stringify({ type: 'service_account', client_email: 'a@p.iam.gserviceaccount.com', private_key: privateKey, project_id: 'p1', token_uri: 'http://127.0.0.1:9/token' }));
  const user = join(dir, 'user.json');
  writeFileSync(user, JSON.stringify({ type: 'authorized_user', client_id: 'c', client_secret: 's', refresh_token: 'r' }));
  const fromConfig = resolveCredentialSource(sa, { GOOGLE_APPLICATION_CREDENTIALS: user });
  assert.equal(fromConfig.kind, 'service-account');
  assert.equal(projectOf(fromConfig), 'p1');
  assert.deepEqual(resolveCredentialSource(undefined, { GOOGLE_APPLICATION_CREDENTIALS: user }), { kind: 'google-auth-file', path: user, fileType: 'authorized_user' });
  assert.deepEqual(resolveCredentialSource(undefined, {}), { kind: 'adc' });
  assert.throws(() => resolveCredentialSource(join(dir, 'missing.json'), {}), /cannot read credentials file .*missing\.json: ENOENT/);
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, 'private_key: -----BEGIN');
  assert.throws(() => resolveCredentialSource(notJson, {}), (err: Error) => /is not JSON/.test(err.message) && !err.message.includes('BEGIN'));
});

test('ADC on Google Cloud: google-auth-library asks the metadata server; the token and its expiry come through', async (t) => {
  const tokens = new MockTokenService({ lifetimeS: 1800 });
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const reply = tokens.metadataToken(req.headers['metadata-flavor'] as string | undefined);
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const saved = { ...process.env };
  t.after(() => {
    for (const k of ['GCE_METADATA_HOST', 'METADATA_SERVER_DETECTION', 'HOME', 'GOOGLE_APPLICATION_CREDENTIALS', 'CLOUDSDK_CONFIG']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  process.env.GCE_METADATA_HOST = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.METADATA_SERVER_DETECTION = 'assume-present';
  process.env.HOME = dir; // no gcloud well-known file
  process.env.CLOUDSDK_CONFIG = join(dir, 'gcloud');
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;

  const before = Date.now();
  const fetch = tokenFetcher(resolveCredentialSource(undefined), Date.now);
  const token = await fetch(new AbortController().signal);
  assert.match(token.token, /^ya29\.mock-/);
  assert.equal(tokens.checkBearer(`Bearer ${token.token}`), 'ok');
  assert.ok(token.expiresAtMs >= before + 1_700_000 && token.expiresAtMs <= Date.now() + 1_800_000, 'expiry from expires_in');
  assert.ok(paths.some((p) => p.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')), paths.join(','));
});
