// SPEC §11 / issue 14 item 1, with real processes and signals: SIGTERM closes the listener at once
// while a stream in flight finishes; connections already open get 503 from /readyz with
// `Connection: close`; a stream longer than server.drain_timeout ends with a protocol-native error
// (end reason shutdown, logged, counted, its usage stored); exit 0; a second signal exits at once.
// The same with two workers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, get, request as httpRequest, type IncomingMessage } from 'node:http';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { until } from '../helpers/procs.ts';

function config(mock: MockServer, extra = ''): string {
  return `
providers:
  up: { type: openai, base_url: "${mock.url}/v1", api_key: sk-upstream }
  claude: { type: anthropic, base_url: "${mock.url}", api_key: sk-upstream }
models:
  m: { targets: [{ provider: up, model: m-up }] }
  c: { targets: [{ provider: claude, model: m-claude }] }
${extra}
`;
}

interface Streamed {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  /** Resolves with the first body bytes (the stream is under way). */
}

/** A streaming chat request; `started` resolves once the first event arrived. */
function stream(sluice: SluiceProcess, path: string, body: object, agent?: Agent): { started: Promise<void>; done: Promise<Streamed> } {
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const done = new Promise<Streamed>((resolve, reject) => {
    const req = httpRequest(
      `${sluice.url}${path}`,
      { method: 'POST', agent: agent ?? false, headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (text.includes('data: {')) started();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  return { started: startedP, done };
}

function exitOf(sluice: SluiceProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (sluice.proc.exitCode !== null || sluice.proc.signalCode !== null) resolve({ code: sluice.proc.exitCode, signal: sluice.proc.signalCode });
    else sluice.proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

function chatText(body: string): string {
  return body
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => (JSON.parse(l.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta?.content ?? '')
    .join('');
}

test('SIGTERM during a slow stream: it completes, new connections are refused, open ones are told to close, exit 0', async () => {
  const mock = await startMock({ port: 0 });
  const sluice = await startSluice({ config: config(mock) });
  try {
    // A keep-alive connection opened before the signal.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await new Promise<void>((resolve, reject) => get(`${sluice.url}/healthz`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject));

    const s = stream(sluice, '/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi [[mock chunks=25 delay=80]]' }] });
    await s.started;
    const exited = exitOf(sluice);
    process.kill(sluice.pid, 'SIGTERM');
    await until('the drain to start', () => sluice.stdout.some((l) => l.includes('draining')));

    assert.equal(await refused(sluice.port), true, 'the listener is closed');
    const ready = await new Promise<IncomingMessage & { text?: string }>((resolve, reject) =>
      get(`${sluice.url}/readyz`, { agent }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c));
        res.on('end', () => resolve(Object.assign(res, { text })));
      }).on('error', reject),
    );
    assert.equal(ready.statusCode, 503);
    assert.equal(ready.headers.connection, 'close');
    assert.equal(JSON.parse(ready.text!).status, 'draining');

    const done = await s.done;
    assert.equal(done.status, 200);
    assert.ok(done.body.includes('data: [DONE]'), 'the stream ended normally');
    assert.equal(chatText(done.body), mockText(25).join(''));
    assert.deepEqual(await exited, { code: 0, signal: null });
    const line = sluice.records().find((r) => r.model === 'm');
    assert.equal(line?.end_reason, 'completed');
    agent.destroy();
  } finally {
    await sluice.stop();
    await mock.close();
  }
});

test('a stream longer than drain_timeout ends with an error event at the bound (both fronts), logged, with its usage stored; exit 0', async () => {
  const mock = await startMock({ port: 0 });
  const sluice = await startSluice({ config: config(mock, 'server: { drain_timeout: 600ms }\nstore: sqlite:./usage.db') });
  try {
    const openai = stream(sluice, '/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi [[mock chunks=200 delay=50]]' }] });
    const anthropic = stream(sluice, '/v1/messages', { model: 'c', stream: true, max_tokens: 100, messages: [{ role: 'user', content: 'hi [[mock chunks=200 delay=50]]' }] });
    await Promise.all([openai.started, anthropic.started]);
    const exited = exitOf(sluice);
    const signalled = performance.now();
    process.kill(sluice.pid, 'SIGTERM');
    const [o, a] = await Promise.all([openai.done, anthropic.done]);
    const elapsed = performance.now() - signalled;
    assert.ok(elapsed >= 550 && elapsed < 5000, `ended at the bound, after ${Math.round(elapsed)} ms`);

    assert.equal(o.status, 200);
    assert.ok(!o.body.includes('[DONE]'), 'no [DONE] after an error');
    const error = o.body.split('\n').filter((l) => l.startsWith('data: {"error"')).map((l) => JSON.parse(l.slice(6)) as { error: { code: string; message: string } });
    assert.equal(error.length, 1, o.body.slice(-300));
    assert.equal(error[0]!.error.code, 'shutdown');
    assert.match(error[0]!.error.message, /shutting down/);
    assert.ok(chatText(o.body).length > 0, 'text went out before the bound');

    assert.ok(a.body.includes('event: error'), a.body.slice(-300));
    assert.ok(!a.body.includes('event: message_stop'));

    assert.deepEqual(await exited, { code: 0, signal: null });
    for (const model of ['m', 'c']) {
      const line = sluice.records().find((r) => r.model === model);
      assert.equal(line?.end_reason, 'shutdown');
      assert.equal(line?.error, 'shutdown');
      assert.ok((line?.tokens_out as number) > 0, 'what was generated is counted');
    }
    const store = new SqliteStore(join(sluice.cwd, 'usage.db'));
    const rows = await store.recentUsage(10);
    await store.close();
    assert.deepEqual(rows.map((r) => r.endReason).sort(), ['shutdown', 'shutdown']);
    assert.ok(rows.every((r) => r.tokensOut > 0));
  } finally {
    await sluice.stop();
    await mock.close();
  }
});

test('a second SIGTERM exits at once', async () => {
  const mock = await startMock({ port: 0 });
  const sluice = await startSluice({ config: config(mock) });
  try {
    const s = stream(sluice, '/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi [[mock chunks=400 delay=50]]' }] });
    s.done.catch(() => undefined);
    await s.started;
    const exited = exitOf(sluice);
    process.kill(sluice.pid, 'SIGTERM');
    await until('the drain to start', () => sluice.stdout.some((l) => l.includes('draining')));
    const second = performance.now();
    process.kill(sluice.pid, 'SIGTERM');
    const result = await exited;
    assert.equal(result.code, 143);
    assert.ok(performance.now() - second < 2000, 'at once, not after the 5 min drain');
  } finally {
    await sluice.stop();
    await mock.close();
  }
});

test('with two workers: SIGTERM to the primary lets a stream on each worker finish, refuses new connections, exits 0', async () => {
  const mock = await startMock({ port: 0 });
  const sluice = await startSluice({ config: config(mock, 'server: { workers: 2 }') });
  try {
    const prompt = 'hi [[mock chunks=25 delay=80]]';
    const streams = [0, 1].map(() => stream(sluice, '/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: prompt }] }));
    await Promise.all(streams.map((s) => s.started));
    const exited = exitOf(sluice);
    process.kill(sluice.pid, 'SIGTERM');
    await until('the drain to start', () => sluice.stdout.some((l) => l.includes('every worker drains')));
    assert.equal(await refused(sluice.port), true, 'the listener is closed');
    const done = await Promise.all(streams.map((s) => s.done));
    for (const d of done) assert.equal(chatText(d.body), mockText(25).join(''));
    assert.deepEqual(await exited, { code: 0, signal: null });
    const workers = new Set(sluice.records().map((r) => r.worker));
    assert.deepEqual([...workers].sort(), [1, 2], 'one stream on each worker');
  } finally {
    await sluice.stop();
    await mock.close();
  }
});
