import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { turnNow } from '../../src/core/turn-clock.ts';

test('one reading per turn: the same value within a synchronous run, a fresh one on the next turn', async () => {
  const a = turnNow();
  const spinUntil = performance.now() + 5;
  while (performance.now() < spinUntil) {
    // a long synchronous run still shares the turn's instant
  }
  assert.equal(turnNow(), a);
  await sleep(5);
  const b = turnNow();
  assert.ok(b >= a + 5, `${b} after ${a}`);
  assert.ok(b <= performance.now());
});
