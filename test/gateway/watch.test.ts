// The attempt's time limits (SPEC §4.4): which limit fires, and that only events reset the clocks.
// Driven by a manual clock: no test waits on a real timer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventWatch } from '../../src/gateway/watch.ts';
import { ManualClock } from '../../src/gateway/clock.ts';
import type { GatewayError } from '../../src/core/errors.ts';

function watch(limits: { firstByteMs: number; idleMs: number; totalMs: number }) {
  const clock = new ManualClock(1000);
  let fired: GatewayError | undefined;
  let at = -1;
  const w = new EventWatch(
    limits,
    (e) => {
      fired = e;
      at = clock.now() - 1000;
    },
    clock,
  );
  return { w, clock, fired: () => fired, at: () => at };
}

test('no response head at all: first_byte fires', () => {
  const x = watch({ firstByteMs: 60, idleMs: 30, totalMs: 1000 });
  x.clock.advance(59);
  assert.equal(x.fired(), undefined);
  x.clock.advance(61);
  assert.equal(x.fired()?.code, 'first_byte_timeout');
  assert.equal(x.at(), 60);
});

test('a response head is not an event: first_byte runs until the first one (a long-thinking model), idle only between events', () => {
  const x = watch({ firstByteMs: 500, idleMs: 40, totalMs: 1000 });
  x.clock.advance(20);
  x.w.responded();
  x.clock.advance(400);
  assert.equal(x.fired(), undefined, 'silence after the head, far beyond idle, is within first_byte');
  x.clock.advance(100);
  assert.equal(x.fired()?.code, 'first_byte_timeout');
  assert.match(x.fired()!.message, /comments and pings do not count/);
  assert.equal(x.at(), 500);
});

test('the first event after a long silence within first_byte is in time', () => {
  const x = watch({ firstByteMs: 500, idleMs: 40, totalMs: 1000 });
  x.w.responded();
  x.clock.advance(450);
  x.w.touch();
  x.clock.advance(39);
  assert.equal(x.fired(), undefined);
  x.clock.advance(10);
  assert.equal(x.fired()?.code, 'idle_timeout');
});

test('events reset idle; silence after the last event fires idle', () => {
  const x = watch({ firstByteMs: 500, idleMs: 50, totalMs: 2000 });
  x.w.responded();
  for (let i = 0; i < 6; i++) {
    x.clock.advance(25);
    x.w.touch();
  }
  assert.equal(x.fired(), undefined, 'events every 25 ms keep a 50 ms idle limit satisfied');
  x.clock.advance(120);
  assert.equal(x.fired()?.code, 'idle_timeout');
  assert.equal(x.at(), 150 + 50);
  assert.equal(x.w.firstEventMs, 25);
});

test('total bounds everything, even a stream that keeps sending', () => {
  const x = watch({ firstByteMs: 500, idleMs: 50, totalMs: 120 });
  x.w.responded();
  for (let i = 0; i < 10 && !x.fired(); i++) {
    x.clock.advance(20);
    x.w.touch();
  }
  x.clock.advance(30);
  assert.equal(x.fired()?.code, 'total_timeout');
  assert.equal(x.at(), 120);
});

test('stop() disarms', () => {
  const x = watch({ firstByteMs: 20, idleMs: 20, totalMs: 20 });
  x.w.stop();
  x.clock.advance(60);
  assert.equal(x.fired(), undefined);
  assert.equal(x.clock.pending, 0, 'no timer left behind');
});

/** A manual clock that counts the timers set and cleared. */
class CountingClock extends ManualClock {
  sets = 0;
  clears = 0;
  override setTimer(fn: () => void, ms: number): unknown {
    this.sets++;
    return super.setTimer(fn, ms);
  }
  override clearTimer(handle: unknown): void {
    this.clears++;
    super.clearTimer(handle);
  }
}

test('a stream whose first event comes within the idle limit sets one timer and clears none until it ends', () => {
  const clock = new CountingClock(0);
  let fired: GatewayError | undefined;
  const w = new EventWatch({ firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 }, (e) => (fired = e), clock);
  for (let i = 0; i < 50; i++) {
    clock.advance(3);
    w.touch();
  }
  assert.deepEqual([clock.sets, clock.clears], [1, 0], 'the first event left the start timer in place');
  w.stop();
  assert.deepEqual([clock.sets, clock.clears], [1, 1]);
  assert.equal(fired, undefined);
});

test('the start timer, due before the first event was seen, re-arms for the idle limit when it fires', () => {
  // first_byte shorter than idle: the timer is due at first_byte; an event before it keeps it, and
  // firing then must not be read as first_byte or idle.
  const x = watch({ firstByteMs: 30, idleMs: 100, totalMs: 1000 });
  x.clock.advance(20);
  x.w.touch();
  x.clock.advance(99);
  assert.equal(x.fired(), undefined, 'the timer fired at 30 and re-armed for 20 + 100');
  x.clock.advance(2);
  assert.equal(x.fired()?.code, 'idle_timeout');
  assert.equal(x.at(), 120);
});

test('a first event later than one idle limit after the start moves the timer to its own idle limit', () => {
  const clock = new CountingClock(0);
  const seen: { error?: GatewayError; at?: number } = {};
  const w = new EventWatch({ firstByteMs: 500, idleMs: 40, totalMs: 1000 }, (e) => Object.assign(seen, { error: e, at: clock.now() }), clock);
  clock.advance(45); // the start timer fired at 40 and re-armed for first_byte (500)
  w.touch();
  clock.advance(39);
  const early = seen.error;
  assert.equal(early, undefined);
  clock.advance(2);
  assert.equal(seen.error?.code, 'idle_timeout');
  assert.equal(seen.at, 85);
  assert.equal(clock.sets, 3, 'start, first_byte, and the first event’s idle limit');
});

test('a clock that fires timers early (a delay beyond what it can wait) only re-arms: every limit fires when due', () => {
  // The system clock caps delays at ~24.8 days (core/timers.ts); here the cap is 100 ms.
  class CappedClock extends CountingClock {
    override setTimer(fn: () => void, ms: number): unknown {
      return super.setTimer(fn, Math.min(ms, 100));
    }
  }
  const clock = new CappedClock(0);
  const seen: { error?: GatewayError; at?: number } = {};
  new EventWatch({ firstByteMs: 5000, idleMs: 4000, totalMs: 1050 }, (e) => Object.assign(seen, { error: e, at: clock.now() }), clock);
  clock.advance(1049);
  const early = seen.error;
  assert.equal(early, undefined);
  clock.advance(10);
  assert.equal(seen.error?.code, 'total_timeout');
  assert.equal(seen.at, 1050);
  assert.ok(clock.sets >= 11, `re-armed every 100 ms: ${clock.sets}`);
});
