// The process clock's timers (src/gateway/clock.ts): whole milliseconds, never early.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/gateway/clock.ts';

test('a fractional duration is set as the next whole millisecond (one Node timer list per distinct duration)', () => {
  // A deadline minus a reading: 59999.99999999999, not 60000.
  const start = 483383.01685796335;
  const ms = start + 60_000 - start;
  assert.notEqual(ms, 60_000);
  for (const [given, want] of [
    [ms, 60_000],
    [0.25, 1],
    [1000, 1000],
    [15_000.000001, 15_001],
  ] as const) {
    const handle = systemClock.setTimer(() => assert.fail('fired'), given) as NodeJS.Timeout & { _idleTimeout: number };
    try {
      // Node's Timeout keeps its duration here; its timer lists are keyed by it.
      assert.equal(handle._idleTimeout, want, `${given}`);
      assert.equal(handle.hasRef(), false, 'timers never keep the process alive');
    } finally {
      systemClock.clearTimer(handle);
    }
  }
});
