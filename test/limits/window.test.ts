// The sliding-window math: the estimate, and a wait that is exactly enough.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimate, fits, waitMs, type WindowSnapshot } from '../../src/state/window.ts';

const W = 60_000;

test('the previous window weighs by its overlap', () => {
  assert.equal(estimate({ prev: 10, curr: 2, elapsedMs: 0, windowMs: W }), 12);
  assert.equal(estimate({ prev: 10, curr: 2, elapsedMs: W / 2, windowMs: W }), 7);
});

test('waiting waitMs is enough and not much more, in every region', () => {
  const cases: Array<[WindowSnapshot, number, number]> = [
    [{ prev: 10, curr: 0, elapsedMs: 0, windowMs: W }, 10, 1],
    [{ prev: 10, curr: 5, elapsedMs: 20_000, windowMs: W }, 10, 1],
    [{ prev: 0, curr: 10, elapsedMs: 30_000, windowMs: W }, 10, 1],
    [{ prev: 7, curr: 10, elapsedMs: 59_000, windowMs: W }, 10, 1],
    [{ prev: 3, curr: 4, elapsedMs: 1000, windowMs: W }, 5, 1],
  ];
  for (const [s, limit, cost] of cases) {
    const wait = waitMs(s, limit, cost);
    assert.ok(wait > 0, JSON.stringify(s));
    assert.ok(fits(advance(s, wait), limit, cost), `fits after ${wait}: ${JSON.stringify(s)}`);
    assert.ok(!fits(advance(s, wait - 2), limit, cost), `not before ${wait}: ${JSON.stringify(s)}`);
  }
  assert.equal(waitMs({ prev: 1, curr: 1, elapsedMs: 0, windowMs: W }, 10, 1), 0);
  assert.equal(waitMs({ prev: 0, curr: 0, elapsedMs: 0, windowMs: W }, 1, 2), W, 'a cost above the limit never fits');
});

/** The window as it would look `ms` later with no new counts. */
function advance(s: WindowSnapshot, ms: number): WindowSnapshot {
  const t = s.elapsedMs + ms;
  if (t < s.windowMs) return { ...s, elapsedMs: t };
  const windows = Math.floor(t / s.windowMs);
  return { prev: windows === 1 ? s.curr : 0, curr: 0, elapsedMs: t - windows * s.windowMs, windowMs: s.windowMs };
}
