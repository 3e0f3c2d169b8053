// Issue 2 acceptance: 500 sequential streaming requests, 50 of them aborted mid-stream; the sluice
// process's open file descriptors return to baseline (no leaked sockets, timers or handles).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Agent, request } from 'undici';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  mock: { type: openai, base_url: ${mock.url}/v1 }
models:
  m: { targets: [{ provider: mock, model: x }] }
`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

const body = (directive: string): string =>
  JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: `hi [[mock ${directive}]]` }] });

test('500 sequential streams with 50 aborts leave no open descriptors behind', { timeout: 120_000 }, async () => {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  const url = `${sluice.url}/v1/chat/completions`;
  const one = async (abort: boolean): Promise<void> => {
    const controller = new AbortController();
    const res = await request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: body(abort ? 'chunks=100 delay=20' : 'chunks=5'),
      signal: controller.signal,
    });
    assert.equal(res.statusCode, 200);
    if (abort) {
      try {
        for await (const _chunk of res.body) {
          controller.abort();
          break;
        }
      } catch {
        // aborted
      }
    } else {
      const text = await res.body.text();
      assert.match(text, /\[DONE\]/);
    }
  };
  // Warm up: the upstream pool and the client connection exist before the baseline is taken.
  for (let i = 0; i < 5; i++) await one(false);
  await new Promise((r) => setTimeout(r, 300));
  const baseline = openFds(sluice.pid);
  const deadline = Date.now() + 90_000;
  for (let i = 0; i < 500 && Date.now() < deadline; i++) await one(i % 10 === 9);
  // Aborted upstream requests close their sockets; give the event loop a moment to reap them.
  let now = openFds(sluice.pid);
  for (let i = 0; i < 40 && now > baseline + 2; i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = openFds(sluice.pid);
  }
  await agent.close();
  assert.ok(now <= baseline + 2, `open fds ${now} vs baseline ${baseline}`);
  assert.equal(mock.requests.filter((r) => r.outcome === 'client_closed').length >= 45, true, 'aborts reached the upstream');
});

// undici before 8.11 (nodejs/undici#5845, docs/quirks.md Q-54): aborting a response in flight
// re-queued the aborted request, so the pool opened a new connection for it and left that idle, one
// per aborted stream: after a burst of cancelled agent turns, as many idle upstream connections (TLS
// handshakes, for a real provider) as cancellations.
test('streams aborted mid-answer leave no upstream connection behind, and open none', { timeout: 60_000 }, async () => {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  const url = `${sluice.url}/v1/chat/completions`;
  mock.reset();
  const N = 20;
  const controllers = Array.from({ length: N }, () => new AbortController());
  const responses = await Promise.all(
    controllers.map((controller) =>
      request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: body('chunks=50 fault=stall_mid after=3'),
        signal: controller.signal,
      }),
    ),
  );
  // Every stream has started, and every upstream connection is in use.
  for (const res of responses) {
    assert.equal(res.statusCode, 200);
    const reader = res.body[Symbol.asyncIterator]();
    await reader.next();
  }
  assert.ok(mock.openConnections() >= N, `upstream connections while streaming: ${mock.openConnections()}`);
  for (const c of controllers) c.abort();
  await Promise.all(responses.map((res) => res.body.text().catch(() => undefined)));
  // The upstream sees each of its requests closed ...
  const deadline = Date.now() + 20_000;
  while (mock.requests.filter((r) => r.outcome === 'client_closed').length < N && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(mock.requests.filter((r) => r.outcome === 'client_closed').length, N, 'every abort reached the upstream');
  // ... its connections close, and none comes back (the re-queued request's reconnect follows the
  // close at once).
  while (mock.openConnections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  let open = mock.openConnections();
  for (let i = 0; i < 25 && open === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
    open = mock.openConnections();
  }
  await agent.close();
  assert.equal(open, 0, `${open} upstream connections opened after the aborts (one per aborted stream is undici#5845)`);
});
