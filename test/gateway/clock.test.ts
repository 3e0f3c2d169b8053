// The process clock's timers (src/gateway/clock.ts): whole milliseconds, never early.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/gateway/clock.ts';

test('a fractional duration is set as the next whole millisecond (one Node timer list per distinct duration); a longer one than Node takes, at its cap', () => {
  // A deadline minus a reading: 59999.99999999999, not 60000.
  const start = 483383.01685796335;
  const ms = start + 60_000 - start;
  assert.notEqual(ms, 60_000);
  for (const [given, want] of [
    [ms, 60_000],
    [0.25, 1],
    [1000, 1000],
    [15_000.000001, 15_001],
    // 30 days: Node would fire it after 1 ms (TimeoutOverflowWarning); the caller re-arms at the cap.
    [30 * 24 * 3600 * 1000, 2 ** 31 - 1],
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

test('an attempt with limits of 1000 h on the process clock sets a timer Node takes: no TimeoutOverflowWarning (Node would fire it after 1 ms)', async () => {
  const { EventWatch } = await import('../../src/gateway/watch.ts');
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'TimeoutOverflowWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const hours1000 = 1000 * 3600 * 1000;
  let expired = false;
  const watch = new EventWatch({ firstByteMs: hours1000, idleMs: hours1000, totalMs: hours1000 }, () => (expired = true), systemClock);
  try {
    watch.touch();
    // Node warns as it sets such a timer (to fire after 1 ms, the watch then re-arming every
    // millisecond); the warning is emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(expired, false);
    assert.deepEqual(warnings, []);
  } finally {
    watch.stop();
    process.off('warning', onWarning);
  }
});
