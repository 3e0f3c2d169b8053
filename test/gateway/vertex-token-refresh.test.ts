// A Vertex access token that expires during a long run is refreshed without a failed request
// (issue 13): the gateway runs in-process on a manual clock, the mock issues one-hour tokens on the
// same clock, and three simulated hours of requests go by without any request carrying an expired
// token (the mock counts every refused bearer) and without a token in any record or error. No sleeps:
// the clock is moved, the requests are real HTTP on loopback.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.ts';
import { createRouter } from '../../src/router/index.ts';
import { Pipeline, type RequestRecord } from '../../src/gateway/pipeline.ts';
import { ManualClock } from '../../src/gateway/clock.ts';
import type { FrontServices } from '../../src/core/protocol.ts';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { MockTokenService } from '../../src/protocols/vertex/mock-tokens.ts';
import { memoryOutput } from '../helpers/memory-output.ts';
import { tempDir } from '../helpers/tmp.ts';

const EMAIL = 'refresh-test@test-project.iam.gserviceaccount.com';
const MINUTE = 60_000;
const services: FrontServices = { modelNames: () => ['claude', 'gemini'], log: () => {} };

const clock = new ManualClock();
const wall0 = Date.now();
const tokens = new MockTokenService({ lifetimeS: 3600, now: () => wall0 + clock.now() });
let mock: MockServer;
let pipeline: Pipeline;

before(async () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  tokens.addServiceAccount(EMAIL, key.publicKey);
  mock = await startMock({ now: () => wall0 + clock.now(), dialectOptions: { vertex: { tokens } } });
  const dir = tempDir('sluice-refresh-');
  const sa = join(dir, 'sa.json');
  writeFileSync(sa, JSON.stringify({ type: 'service_account', private_key: key.privateKey, client_email: EMAIL, token_uri: `${mock.url}/token` }));
  const config = parseConfig(
    `
providers:
  vx: { type: vertex, base_url: "${mock.url}", project: p, region: us-east5, credentials: "${sa}" }
models:
  claude: { targets: [{ provider: vx, model: "claude-sonnet-4-5@20250929" }] }
  gemini: { targets: [{ provider: vx, model: gemini-2.5-flash }] }
`,
    { env: {} },
  );
  pipeline = new Pipeline(config, createRouter(config), {}, { clock });
});
after(() => mock.close());

/**
 * One streamed chat request. A retry waits its backoff on the gateway's clock, so the clock is moved
 * along (50 ms a turn, at most 10 s) until the request is answered: never a real sleep.
 */
async function chat(model: string): Promise<{ record: RequestRecord; body: string }> {
  const req = await pipeline.decode('openai', Buffer.from(JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] })), { headers: {}, params: {}, query: new URLSearchParams() }, services);
  const out = memoryOutput();
  const pending = pipeline.serve(req, pipeline.plan(req), out, { requestId: `r-${clock.now()}`, startedAt: clock.now(), headers: {}, services });
  let done = false;
  void pending.finally(() => (done = true));
  for (let i = 0; i < 200 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (!done) clock.advance(50);
  }
  assert.ok(done, 'the request was answered');
  return { record: await pending, body: out.body };
}

function text(body: string): string {
  return body
    .split('\n\n')
    .filter((e) => e.startsWith('data: {'))
    .map((e) => (JSON.parse(e.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content ?? '')
    .join('');
}

test('three hours of requests across token expiries: every one succeeds, none carries an expired token', async () => {
  const records: RequestRecord[] = [];
  // 11-minute steps land both inside a token's last five minutes (served while a background refresh
  // replaces it) and past its expiry (callers wait for the new one).
  for (let step = 0; step < 17; step++) {
    for (const model of ['claude', 'gemini']) {
      const { record, body } = await chat(model);
      assert.equal(record.status, 200, `${model} at minute ${step * 11}: ${JSON.stringify(record)}`);
      assert.equal(text(body), mockText(12).join(''));
      records.push(record);
    }
    clock.advance(11 * MINUTE);
  }
  assert.equal(tokens.stats.rejectedBearer, 0, 'no request reached Vertex with an expired or unknown token');
  assert.ok(tokens.stats.granted >= 3 && tokens.stats.granted <= 5, `one token per hour or so, got ${tokens.stats.granted}`);
  assert.equal(records.filter((r) => Number(r.attempts) > 1).length, 0, 'no retries were needed');
  assert.doesNotMatch(JSON.stringify(records), /ya29\./);
});

test('a token the upstream stops accepting is dropped: the retry gets a new one', async () => {
  const before = tokens.stats.granted;
  const rejected = tokens.stats.rejectedBearer;
  tokens.revokeAll(); // behind sluice's back: revoked, or a clock off by more than the refresh margin
  const { record, body } = await chat('gemini');
  assert.equal(record.status, 200, JSON.stringify(record));
  assert.equal(text(body), mockText(12).join(''));
  assert.equal(tokens.stats.rejectedBearer, rejected + 1, 'the revoked token was refused once');
  assert.equal(tokens.stats.granted, before + 1, 'a new token was fetched for the retry');
  assert.doesNotMatch(JSON.stringify(record), /ya29\./);
});
