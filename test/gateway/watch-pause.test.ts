// EventWatch while the gateway does not read the upstream (a slow client, flow control): the idle
// limit does not run, the total limit does, and resume() restarts the idle clock.

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

test('paused: silence longer than idle does not fire', async () => {
  const x = watch({ firstByteMs: 500, idleMs: 40, totalMs: 2000 });
  x.w.responded();
  x.w.touch();
  x.w.pause();
  await sleep(150);
  assert.equal(x.fired(), undefined);
  x.w.stop();
});

test('resume restarts the idle clock: idle fires one idle period after resume', async () => {
  const x = watch({ firstByteMs: 500, idleMs: 60, totalMs: 2000 });
  x.w.responded();
  x.w.touch();
  x.w.pause();
  await sleep(120);
  x.w.resume();
  await sleep(30);
  assert.equal(x.fired(), undefined, 'fired before an idle period had passed since resume');
  await sleep(100);
  assert.equal(x.fired()?.code, 'idle_timeout');
  assert.ok(x.at() >= 170 && x.at() < 400, `fired at ${x.at()}`);
});

test('paused: the total limit still fires', async () => {
  const x = watch({ firstByteMs: 500, idleMs: 1000, totalMs: 80 });
  x.w.responded();
  x.w.touch();
  x.w.pause();
  await sleep(200);
  assert.equal(x.fired()?.code, 'total_timeout');
});
