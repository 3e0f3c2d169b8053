// SPEC §10: the reverse-proxy configs in deploy/ are known to stream correctly. The real nginx and
// Caddy run deploy/nginx.conf and deploy/Caddyfile in front of a sluice whose upstream (sluice mock)
// sends an event every 100 ms; the client must see the spacing the upstream actually produced
// (measured by a relay in front of the mock), within 50 ms per gap. A deliberately buffering
// nginx shows that the measurement catches a proxy that holds events back.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { requireOrSkip, startCaddy, startNginx, type ProxyProcess } from '../helpers/proxies.ts';
import { ContentClock, gaps, startRelay, type Relay } from './timing.ts';

const SPACING_MS = 100;
const TOLERANCE_MS = 50;
const CHUNKS = 8;

let mock: MockServer;
let relay: Relay;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  relay = await startRelay(mock.url);
  sluice = await startSluice({
    config: `
providers:
  mock:
    type: openai
    base_url: ${relay.url}
    api_key: sk-test-upstream
models:
  m:
    targets: [{ provider: mock, model: mock-model }]
`,
  });
});

after(async () => {
  await sluice?.stop();
  await relay?.close();
  await mock?.close();
});

interface Timed {
  status: number;
  headers: Headers;
  /** Content events as the client received them. */
  client: ContentClock;
  /** The same events as the upstream sent them (seen by the relay in front of the mock). */
  upstream: ContentClock;
}

/** Streams a chat completion, timestamping each content event at the client and at the upstream. */
async function timedStream(base: string, headers: Record<string, string> = {}): Promise<Timed> {
  const before = relay.streams.length;
  const client = new ContentClock();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br', ...headers },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: `hi [[mock delay=${SPACING_MS} chunks=${CHUNKS}]]` }] }),
  });
  for await (const chunk of res.body!) client.feed(chunk);
  assert.equal(relay.streams.length, before + 1, 'one upstream request per client request');
  return { status: res.status, headers: res.headers, client, upstream: relay.streams[before]! };
}

const ms = (xs: number[]): string => xs.map((x) => Math.round(x)).join(', ');

/** Each gap the client sees is within TOLERANCE_MS of the upstream's gap between the same two events. */
function assertPaced(r: Timed, via: string): void {
  assert.equal(r.status, 200, via);
  assert.equal(r.client.at.length, CHUNKS, `${via}: every content event arrived`);
  assert.equal(r.upstream.at.length, CHUNKS, `${via}: the upstream sent every content event`);
  const sent = gaps(r.upstream.at);
  const seen = gaps(r.client.at);
  // The mock really paced its events: a gap over TOLERANCE_MS is what lets a buffering proxy (gaps
  // near 0 at the client) be told apart. Each gap is not held to SPACING_MS itself: the mock and the
  // relay share this test process's event loop, so one event can reach the relay late and the next
  // on time (gaps 89, 101, ... ms were seen under a loaded CI run).
  for (const g of sent) assert.ok(g > TOLERANCE_MS + 10, `${via}: upstream gaps ${ms(sent)} ms`);
  for (let i = 0; i < seen.length; i++) {
    assert.ok(
      Math.abs(seen[i]! - sent[i]!) <= TOLERANCE_MS,
      `${via}: gaps between events at the client ${ms(seen)} ms; at the upstream ${ms(sent)} ms; each may differ by ${TOLERANCE_MS} ms`,
    );
  }
  assert.equal(r.headers.get('content-encoding'), null, `${via}: never compressed`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
}

async function checkProxy(t: TestContext, proxy: ProxyProcess | undefined, name: string, reference: string, proxyId: RegExp): Promise<void> {
  if (!requireOrSkip(t, proxy, name)) return;
  try {
    const r = await timedStream(proxy.url, { 'x-request-id': `deploy-${name}-1` });
    assertPaced(r, name);
    assert.equal(r.client.text, reference, `${name}: same text as direct`);
    // The client's request id reaches sluice and comes back.
    assert.equal(r.headers.get('x-request-id'), `deploy-${name}-1`);
    await sluice.waitForRecord((rec) => rec.request_id === `deploy-${name}-1`, 5000);

    // A body over sluice's 20 MB limit but under the proxy's 25 MB reaches sluice, which answers
    // 413 in the client's dialect (JSON), not the proxy's HTML page.
    const big = await fetch(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(21 * 1024 * 1024) }] }),
    });
    assert.equal(big.status, 413, `${name}: oversized body`);
    assert.match(big.headers.get('content-type') ?? '', /application\/json/);
    const error = ((await big.json()) as { error?: { message?: string } }).error;
    assert.match(error?.message ?? '', /too large|limit/i, `${name}: sluice's own error body`);

    const health = await fetch(`${proxy.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });

    // Without a client id, nginx hands sluice its own $request_id (32 hex digits), so nginx's and
    // sluice's logs share one id; Caddy passes no id and sluice mints one.
    const anon = await fetch(`${proxy.url}/v1/models`);
    await anon.arrayBuffer();
    assert.match(anon.headers.get('x-request-id') ?? '', proxyId, `${name}: request id without a client id`);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${name} log ---\n${proxy.log()}`, { cause: err });
  } finally {
    await proxy.stop();
  }
}

/** The text sluice streams for the test's prompt, read directly (each proxy must deliver the same). */
let referenceText: Promise<string> | undefined;
function reference(): Promise<string> {
  referenceText ??= timedStream(sluice.url).then((r) => r.client.text);
  return referenceText;
}

describe('deploy/ reverse-proxy configs stream events as they are sent', { timeout: 120_000 }, () => {
  test('direct to sluice (baseline)', async () => {
    const r = await timedStream(sluice.url);
    assertPaced(r, 'direct');
    assert.match(r.client.text, /\S/, 'direct: text arrived');
    assert.equal(r.client.text, await reference());
  });

  test('nginx with deploy/nginx.conf', async (t) => {
    const nginx = await startNginx({ upstreamPort: sluice.port, config: join(ROOT, 'deploy/nginx.conf') });
    await checkProxy(t, nginx, 'nginx', await reference(), /^[0-9a-f]{32}$/);
  });

  test('nginx with deploy/nginx-site.conf (the drop-in server block)', async (t) => {
    const nginx = await startNginx({ upstreamPort: sluice.port, config: join(ROOT, 'deploy/nginx-site.conf') });
    await checkProxy(t, nginx, 'nginx-site', await reference(), /^[0-9a-f]{32}$/);
  });

  test('Caddy with deploy/Caddyfile', async (t) => {
    const caddy = await startCaddy({ upstreamPort: sluice.port, caddyfile: join(ROOT, 'deploy/Caddyfile') });
    await checkProxy(t, caddy, 'caddy', await reference(), /^req_\w+$/);
  });

  test('control: a buffering nginx is caught by the same measurement', async (t) => {
    const nginx = await startNginx({ upstreamPort: sluice.port, buffering: true });
    if (!requireOrSkip(t, nginx, 'nginx')) return;
    try {
      const r = await timedStream(nginx.url);
      assert.equal(r.client.at.length, CHUNKS);
      assert.throws(() => assertPaced(r, 'buffering nginx'), /gaps between events/);
    } finally {
      await nginx.stop();
    }
  });
});
