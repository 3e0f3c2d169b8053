// Delays Node's timers take as given (src/core/timers.ts): whole milliseconds, at most 2^31 − 1 ms;
// longer waits re-arm until due (on a manual clock: no test waits on a real timer).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, longTimeout, timerDelay } from '../../src/core/timers.ts';
import { ManualClock } from '../../src/gateway/clock.ts';

test('timerDelay: fractions round up, delays past the cap are the cap', () => {
  assert.equal(MAX_TIMER_MS, 2147483647);
  assert.equal(timerDelay(59999.99999999994), 60_000);
  assert.equal(timerDelay(0.2), 1);
  assert.equal(timerDelay(1000), 1000);
  assert.equal(timerDelay(1000 * 3600 * 1000), MAX_TIMER_MS, '1000h');
  assert.equal(timerDelay(MAX_TIMER_MS + 0.5), MAX_TIMER_MS);
  assert.equal(timerDelay(250, 100), 100, 'a cap of its own');
});

/** A manual clock whose timers wait at most 15 ms, as the process's wait at most MAX_TIMER_MS. */
class CappedClock extends ManualClock {
  sets = 0;
  override setTimer(fn: () => void, ms: number): unknown {
    this.sets++;
    return super.setTimer(fn, Math.min(ms, 15));
  }
}

test('longTimeout: a wait longer than the cap re-arms for the rest and fires once, when it is due', () => {
  const clock = new CappedClock(0);
  let firedAt = -1;
  let fired = 0;
  longTimeout(() => ((firedAt = clock.now()), fired++), 60, clock);
  clock.advance(59);
  assert.equal(fired, 0, 'not before it is due');
  clock.advance(100);
  assert.equal(fired, 1);
  assert.equal(firedAt, 60);
  assert.equal(clock.sets, 4, 'set at 0, re-armed at 15, 30 and 45');
});

test('longTimeout: clear() stops it, also between re-arms', () => {
  const clock = new CappedClock(0);
  let fired = false;
  const t = longTimeout(() => (fired = true), 40, clock);
  clock.advance(20);
  t.clear();
  clock.advance(100);
  assert.equal(fired, false);
  assert.equal(clock.pending, 0);
});
