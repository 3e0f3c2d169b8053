// Connection lifecycle: client aborts are recorded with closedAt, timers die with the socket,
// keep-alive connections are reused, close() is prompt.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type MockServer, mockText, startMock } from '../../src/mock/server.ts';
import { STREAM_PATHS, jsonEvents, raw, streamBody, streamedText } from './helpers.ts';

let mock: MockServer;
before(async () => {
  mock = await startMock();
});
after(() => mock.close());

function timeoutCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

for (const dialect of ['openai', 'anthropic', 'gemini'] as const) {
  test(`client abort mid-stream (${dialect}) sets closedAt within 1 s and stops the stream`, async () => {
    const controller = new AbortController();
    const res = await fetch(mock.url + STREAM_PATHS[dialect], {
      method: 'POST',
      body: JSON.stringify(streamBody(dialect)),
      headers: { 'x-mock': 'chunks=1000;delay=20' },
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const id = mock.requests.at(-1)!.id;
    const abortedAt = Date.now();
    controller.abort();
    const rec = await mock.waitFor((r) => r.id === id && r.closedAt !== undefined, 1000);
    assert.ok(rec.closedAt! - abortedAt < 1000);
    assert.equal(rec.outcome, 'client_closed');
    assert.equal(rec.finishedAt, undefined);
  });
}

test('client abort while the mock stalls before headers is recorded too', async () => {
  const res = raw(mock.url + '/v1/chat/completions', { body: streamBody('openai'), headers: { 'x-mock': 'fault=stall_headers' }, timeoutMs: 100 });
  const rec = await mock.waitFor((r) => r.directives.fault === 'stall_headers' && r.closedAt !== undefined, 1000);
  assert.equal((await res).timedOut, true);
  assert.equal(rec.outcome, 'client_closed');
});

test('timers of an aborted keepalive stream are cleared (no writes after close)', async () => {
  const baseline = timeoutCount();
  const res = raw(mock.url + '/v1/messages', { body: streamBody('anthropic'), headers: { 'x-mock': 'fault=stall_first;keepalive=10' }, timeoutMs: 120 });
  await sleep(60);
  assert.ok(timeoutCount() > baseline, 'the keepalive interval runs while the client listens');
  const got = await res;
  assert.ok(got.text.split('event: ping').length > 3);
  await mock.waitFor((r) => r.directives.fault === 'stall_first' && r.closedAt !== undefined, 1000);
  await sleep(30);
  assert.equal(timeoutCount(), baseline);
});

test('drop_mid marks the record as a fault with closedAt', async () => {
  await raw(mock.url + '/v1/chat/completions', { body: streamBody('openai'), headers: { 'x-mock': 'fault=drop_mid;after=2' } });
  const rec = await mock.waitFor((r) => r.directives.fault === 'drop_mid' && r.closedAt !== undefined, 1000);
  assert.equal(rec.outcome, 'fault');
});

test('many requests reuse one keep-alive connection', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const before = mock.openConnections();
    for (let i = 0; i < 40; i++) {
      const dialect = (['openai', 'anthropic', 'gemini'] as const)[i % 3];
      const res = await raw(mock.url + STREAM_PATHS[dialect], { body: streamBody(dialect), headers: { 'x-mock': 'chunks=4' }, agent });
      assert.equal(res.error, undefined);
      assert.equal(streamedText(dialect, jsonEvents(res.text)), mockText(4).join(''));
      // Error mid-stream and faults that end the body cleanly keep the connection usable too.
      const err = await raw(mock.url + STREAM_PATHS[dialect], { body: streamBody(dialect), headers: { 'x-mock': 'fault=error_mid;after=1' }, agent });
      assert.equal(err.error, undefined);
    }
    assert.equal(mock.openConnections(), before + 1);
  } finally {
    agent.destroy();
  }
});

test('concurrent streams with pacing all finish with the full text', async () => {
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => {
      const dialect = (['openai', 'anthropic', 'gemini'] as const)[i % 3];
      return raw(mock.url + STREAM_PATHS[dialect], { body: streamBody(dialect), headers: { 'x-mock': 'chunks=10;delay=2;first=5' } }).then((r) => streamedText(dialect, jsonEvents(r.text)));
    }),
  );
  assert.ok(results.every((t) => t === mockText(10).join('')));
});

test('delay paces events; first delays the first event after the headers', async () => {
  const arrivals: number[] = [];
  const started = Date.now();
  let headersAt = 0;
  const res = await fetch(mock.url + '/v1/chat/completions', { method: 'POST', body: JSON.stringify(streamBody('openai')), headers: { 'x-mock': 'chunks=3;delay=40;first=120' } });
  headersAt = Date.now() - started;
  const reader = res.body!.getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
    arrivals.push(Date.now() - started);
  }
  assert.ok(headersAt < 100, `headers after ${headersAt} ms`);
  assert.ok(arrivals[0] >= 110, `first event after ${arrivals[0]} ms`);
  assert.ok(arrivals.at(-1)! - arrivals[0] >= 120, `spread ${arrivals.at(-1)! - arrivals[0]} ms`);
});

test('waitFor rejects after its timeout', async () => {
  await assert.rejects(mock.waitFor(() => false, 30), /no matching request within 30 ms/);
});

test('close() ends stalled streams, keepalive timers and idle sockets promptly', async () => {
  const local = await startMock();
  const agent = new Agent({ keepAlive: true });
  await raw(local.url + '/v1/chat/completions', { body: streamBody('openai'), agent });
  const stalled = [
    raw(local.url + '/v1/chat/completions', { body: streamBody('openai'), headers: { 'x-mock': 'fault=stall_headers' }, timeoutMs: 5000 }),
    raw(local.url + '/v1/messages', { body: streamBody('anthropic'), headers: { 'x-mock': 'fault=stall_mid;keepalive=10' }, timeoutMs: 5000 }),
    raw(local.url + '/v1/chat/completions', { body: streamBody('openai'), headers: { 'x-mock': 'fault=keepalive_only;every=10' }, timeoutMs: 5000 }),
  ];
  await local.waitFor((r) => r.directives.fault === 'keepalive_only', 1000);
  await sleep(30);
  assert.ok(local.openConnections() >= 4);
  const started = Date.now();
  await local.close();
  assert.ok(Date.now() - started < 1000);
  assert.equal(local.openConnections(), 0);
  const results = await Promise.all(stalled);
  assert.ok(results.every((r) => !r.timedOut && r.error !== undefined));
  agent.destroy();
});
