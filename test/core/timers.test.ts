// Delays Node's timers take as given (src/core/timers.ts): whole milliseconds, at most 2^31 − 1 ms;
// longer waits re-arm until due.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, longTimeout, timerDelay } from '../../src/core/timers.ts';

test('timerDelay: fractions round up, delays past the cap are the cap', () => {
  assert.equal(MAX_TIMER_MS, 2147483647);
  assert.equal(timerDelay(59999.99999999994), 60_000);
  assert.equal(timerDelay(0.2), 1);
  assert.equal(timerDelay(1000), 1000);
  assert.equal(timerDelay(1000 * 3600 * 1000), MAX_TIMER_MS, '1000h');
  assert.equal(timerDelay(MAX_TIMER_MS + 0.5), MAX_TIMER_MS);
  assert.equal(timerDelay(250, 100), 100, 'a cap of its own');
});

test('longTimeout: a wait longer than the cap re-arms for the rest and fires once, not before it is due', async () => {
  let sets = 0;
  const realSetTimeout = globalThis.setTimeout;
  // Count the timers it sets (the rest of the test runs on real time: 60 ms in all).
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    sets++;
    return realSetTimeout(fn, ms);
  }) as typeof setTimeout;
  try {
    const started = performance.now();
    const firedAt = await new Promise<number>((resolve) => {
      longTimeout(() => resolve(performance.now()), 60, { cap: 15 });
    });
    assert.ok(firedAt - started >= 59, `fired after ${firedAt - started} ms, due at 60`);
    assert.ok(sets >= 4, `re-armed at the cap: ${sets} timers for 60 ms at 15 ms each`);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
});

test('longTimeout: clear() stops it, also between re-arms', async () => {
  let fired = false;
  const t = longTimeout(() => (fired = true), 40, { cap: 10 });
  await new Promise((resolve) => setTimeout(resolve, 15));
  t.clear();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(fired, false);
});
