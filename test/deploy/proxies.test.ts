// SPEC §10: the reverse-proxy configs in deploy/ are known to stream correctly. The real nginx and
// Caddy run deploy/nginx.conf and deploy/Caddyfile in front of a sluice whose upstream (sluice mock)
// sends an event every 100 ms; the client must see the same spacing. A deliberately buffering
// nginx shows that the measurement catches a proxy that holds events back.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { requireOrSkip, startCaddy, startNginx, type ProxyProcess } from '../helpers/proxies.ts';

const SPACING_MS = 100;
const TOLERANCE_MS = 50;
const CHUNKS = 8;

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  mock:
    type: openai
    base_url: ${mock.url}/v1
    api_key: sk-test-upstream
models:
  m:
    targets: [{ provider: mock, model: mock-model }]
`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

interface Timed {
  status: number;
  headers: Headers;
  /** Arrival time (ms since the request was sent) of each event carrying text. */
  contentAt: number[];
  text: string;
}

/** Streams a chat completion and timestamps each content event as its bytes arrive. */
async function timedStream(base: string, headers: Record<string, string> = {}): Promise<Timed> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br', ...headers },
    body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: `hi [[mock delay=${SPACING_MS} chunks=${CHUNKS}]]` }] }),
  });
  const contentAt: number[] = [];
  let text = '';
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    const now = performance.now() - t0;
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (!event.startsWith('data: {')) continue;
      const content = (JSON.parse(event.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content;
      if (content) {
        contentAt.push(now);
        text += content;
      }
    }
  }
  return { status: res.status, headers: res.headers, contentAt, text };
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => Math.round(t - times[i]!));
}

function assertPaced(r: Timed, via: string): void {
  assert.equal(r.status, 200, via);
  assert.equal(r.contentAt.length, CHUNKS, `${via}: every content event arrived`);
  const g = gaps(r.contentAt);
  for (const gap of g) {
    assert.ok(Math.abs(gap - SPACING_MS) <= TOLERANCE_MS, `${via}: gaps between events ${g.join(', ')} ms; each should be ${SPACING_MS} ± ${TOLERANCE_MS}`);
  }
  assert.equal(r.headers.get('content-encoding'), null, `${via}: never compressed`);
  assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
}

async function checkProxy(t: TestContext, proxy: ProxyProcess | undefined, name: string, reference: string): Promise<void> {
  if (!requireOrSkip(t, proxy, name)) return;
  try {
    const r = await timedStream(proxy.url, { 'x-request-id': `deploy-${name}-1` });
    assertPaced(r, name);
    assert.equal(r.text, reference, `${name}: same text as direct`);
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

    // The playground and metrics pass through too.
    const page = await fetch(`${proxy.url}/`);
    assert.equal(page.status === 200 || page.status === 404, true);
    await page.arrayBuffer();
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${name} log ---\n${proxy.log()}`, { cause: err });
  } finally {
    await proxy.stop();
  }
}

describe('deploy/ reverse-proxy configs stream events as they are sent', { timeout: 120_000 }, () => {
  let reference = '';

  test('direct to sluice (baseline)', async () => {
    const r = await timedStream(sluice.url);
    assertPaced(r, 'direct');
    reference = r.text;
  });

  test('nginx with deploy/nginx.conf', async (t) => {
    const nginx = await startNginx({ upstreamPort: sluice.port, config: join(ROOT, 'deploy/nginx.conf') });
    await checkProxy(t, nginx, 'nginx', reference);
  });

  test('nginx with deploy/nginx-site.conf (the drop-in server block)', async (t) => {
    const nginx = await startNginx({ upstreamPort: sluice.port, config: join(ROOT, 'deploy/nginx-site.conf') });
    await checkProxy(t, nginx, 'nginx-site', reference);
  });

  test('Caddy with deploy/Caddyfile', async (t) => {
    const caddy = await startCaddy({ upstreamPort: sluice.port, caddyfile: join(ROOT, 'deploy/Caddyfile') });
    await checkProxy(t, caddy, 'caddy', reference);
  });

  test('control: a buffering nginx is caught by the same measurement', async (t) => {
    const nginx = await startNginx({ upstreamPort: sluice.port, buffering: true });
    if (!requireOrSkip(t, nginx, 'nginx')) return;
    try {
      const r = await timedStream(nginx.url);
      assert.equal(r.contentAt.length, CHUNKS);
      assert.throws(() => assertPaced(r, 'buffering nginx'), /gaps between events/);
    } finally {
      await nginx.stop();
    }
  });
});
