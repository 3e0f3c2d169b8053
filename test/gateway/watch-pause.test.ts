// EventWatch while the gateway does not read the upstream (a slow client, flow control): the idle
// limit does not run, the total limit does, and resume() restarts the idle clock. Manual clock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventWatch } from '../../src/gateway/watch.ts';
import { ManualClock } from '../../src/gateway/clock.ts';
import type { GatewayError } from '../../src/core/errors.ts';

function watch(limits: { firstByteMs: number; idleMs: number; totalMs: number }) {
  const clock = new ManualClock();
  let fired: GatewayError | undefined;
  let at = -1;
  const w = new EventWatch(
    limits,
    (e) => {
      fired = e;
      at = clock.now();
    },
    clock,
  );
  return { w, clock, fired: () => fired, at: () => at };
}

test('paused: silence longer than idle does not fire', () => {
  const x = watch({ firstByteMs: 500, idleMs: 40, totalMs: 2000 });
  x.w.responded();
  x.w.touch();
  x.w.pause();
  x.clock.advance(150);
  assert.equal(x.fired(), undefined);
  x.w.stop();
});

test('resume restarts the idle clock: idle fires one idle period after resume', () => {
  const x = watch({ firstByteMs: 500, idleMs: 60, totalMs: 2000 });
  x.w.responded();
  x.w.touch();
  x.w.pause();
  x.clock.advance(120);
  x.w.resume();
  x.clock.advance(30);
  assert.equal(x.fired(), undefined, 'fired before an idle period had passed since resume');
  x.clock.advance(100);
  assert.equal(x.fired()?.code, 'idle_timeout');
  assert.equal(x.at(), 180);
});

test('paused: the total limit still fires', () => {
  const x = watch({ firstByteMs: 500, idleMs: 1000, totalMs: 80 });
  x.w.responded();
  x.w.touch();
  x.w.pause();
  x.clock.advance(200);
  assert.equal(x.fired()?.code, 'total_timeout');
  assert.equal(x.at(), 80);
});
