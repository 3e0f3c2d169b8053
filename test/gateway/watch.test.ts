// The attempt's time limits (SPEC §4.4): which limit fires, and that only events reset the clocks.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventWatch } from '../../src/gateway/watch.ts';
import type { GatewayError } from '../../src/core/errors.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function watch(limits: { firstByteMs: number; idleMs: number; totalMs: number }) {
  let fired: GatewayError | undefined;
  let at = 0;
  const started = performance.now();
  const w = new EventWatch(limits, (e) => {
    fired = e;
    at = performance.now() - started;
  });
  return { w, fired: () => fired, at: () => at };
}

test('no response head at all: first_byte fires', async () => {
  const x = watch({ firstByteMs: 60, idleMs: 30, totalMs: 1000 });
  await sleep(120);
  assert.equal(x.fired()?.code, 'first_byte_timeout');
  assert.ok(x.at() >= 55);
});

test('a response head then silence: idle counts from the head', async () => {
  const x = watch({ firstByteMs: 500, idleMs: 40, totalMs: 1000 });
  await sleep(20);
  x.w.responded();
  await sleep(100);
  assert.equal(x.fired()?.code, 'idle_timeout');
  assert.match(x.fired()!.message, /comments and pings do not count/);
  assert.ok(x.at() >= 55 && x.at() < 200, `fired at ${x.at()}`);
});

test('events reset idle; silence after the last event fires idle', async () => {
  const x = watch({ firstByteMs: 500, idleMs: 50, totalMs: 2000 });
  x.w.responded();
  for (let i = 0; i < 6; i++) {
    await sleep(25);
    x.w.touch();
  }
  assert.equal(x.fired(), undefined, 'events every 25 ms keep a 50 ms idle limit satisfied');
  await sleep(120);
  assert.equal(x.fired()?.code, 'idle_timeout');
  assert.ok(x.w.firstEventMs > 0);
});

test('total bounds everything, even a stream that keeps sending', async () => {
  const x = watch({ firstByteMs: 500, idleMs: 50, totalMs: 120 });
  x.w.responded();
  for (let i = 0; i < 10 && !x.fired(); i++) {
    await sleep(20);
    x.w.touch();
  }
  await sleep(30);
  assert.equal(x.fired()?.code, 'total_timeout');
});

test('stop() disarms', async () => {
  const x = watch({ firstByteMs: 20, idleMs: 20, totalMs: 20 });
  x.w.stop();
  await sleep(60);
  assert.equal(x.fired(), undefined);
});
