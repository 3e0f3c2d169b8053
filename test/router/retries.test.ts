// Retry policy of a plan (SPEC §4.6): backoff with jitter for the same target, immediate failover to
// another, retry-after honoured, attempts bounded by the attempt budget and by the request deadline.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import { createRouter } from '../../src/router/index.ts';
import { MIN_ATTEMPT_MS, backoffMs, retryDelay } from '../../src/router/retry.ts';
import { clock, config, seeded } from './fixtures.ts';

const fail = (retryAfterMs?: number) => ({ ok: false, error: new GatewayError('upstream_rate_limited', '429', { retryAfterMs }) });

describe('backoff', () => {
  test('doubles per retry, is jittered within [half, full], and is capped', () => {
    const retries = { attempts: 5, backoffMs: 100, maxBackoffMs: 1000 };
    for (const [attempt, base] of [
      [1, 100],
      [2, 200],
      [3, 400],
      [5, 1000],
    ] as const) {
      assert.equal(backoffMs(retries, attempt, () => 0), base / 2);
      assert.ok(Math.abs(backoffMs(retries, attempt, () => 0.999999) - base) < 0.01);
    }
    const r = seeded(1);
    const values = new Set(Array.from({ length: 20 }, () => Math.round(backoffMs(retries, 1, r))));
    assert.ok(values.size > 10, 'jitter spreads retries');
  });

  test('the first attempt never waits; a failover does not wait', () => {
    const retries = { attempts: 2, backoffMs: 100, maxBackoffMs: 1000 };
    assert.equal(retryDelay(retries, { attempts: 0, sameTarget: false, coolingMs: 5000, remainingMs: Infinity }, Math.random), 0);
    assert.equal(retryDelay(retries, { attempts: 1, sameTarget: false, coolingMs: 0, remainingMs: Infinity }, Math.random), 0);
  });
});

describe('plans', () => {
  test('a retry of the same target waits the backoff; of another target, nothing', () => {
    const router = createRouter(config({ targets: 'a: 1' }), { random: () => 0 });
    const plan = router.plan('fallback');
    const t1 = plan.next()!;
    assert.equal(plan.delayMs!(t1), 0);
    plan.report(t1, fail());
    const t2 = plan.next()!;
    assert.equal(t2.key, 'a/m-a');
    assert.equal(plan.delayMs!(t2), 50);
    plan.report(t2, fail());
    assert.equal(plan.delayMs!(plan.next()!), 100);
    assert.equal(plan.next(), undefined, 'three attempts in all');

    const two = createRouter(config(), { random: () => 0 }).plan('fallback');
    const a = two.next()!;
    two.report(a, fail());
    const b = two.next()!;
    assert.equal(b.key, 'b/m-b');
    assert.equal(two.delayMs!(b), 0);
  });

  test('retry-after is honoured on the same target, and a target asking for longer than max_backoff is not retried', () => {
    const c = clock();
    const router = createRouter(config({ targets: 'a: 1' }), { random: () => 0, now: c.now });
    const plan = router.plan('fallback');
    const t = plan.next()!;
    plan.report(t, fail(1500));
    const again = plan.next()!;
    assert.equal(plan.delayMs!(again), 1500);
    plan.report(again, fail(5000));
    assert.equal(plan.next(), undefined, 'retry-after 5s > max_backoff 2s: give the 429 to the client');
  });

  test('a target in a retry-after cool-down goes last for new requests', () => {
    const c = clock();
    const router = createRouter(config(), { random: () => 0, now: c.now });
    const plan = router.plan('fallback');
    plan.report(plan.next()!, fail(10_000));
    for (let i = 0; i < 5; i++) assert.equal(router.plan('fallback').next()!.key, 'b/m-b');
    c.advance(10_000);
    assert.equal(router.plan('fallback').next()!.key, 'a/m-a');
  });

  test('a cooling target is still used when it is the only one (the upstream answers for itself)', () => {
    const c = clock();
    const router = createRouter(config({ targets: 'a: 1' }), { random: () => 0, now: c.now });
    const plan = router.plan('fallback');
    plan.report(plan.next()!, fail(30_000));
    const fresh = router.plan('fallback');
    const t = fresh.next()!;
    assert.equal(t.key, 'a/m-a');
    assert.equal(fresh.delayMs!(t), 0);
  });

  test('no attempt starts that cannot finish before the deadline; later attempts get what remains', () => {
    const c = clock();
    const router = createRouter(config({ total: '10s', retries: '{ attempts: 5, backoff: 10ms }' }), { random: () => 0, now: c.now });
    const plan = router.plan('fallback');
    const a = plan.next()!;
    assert.equal(a.provider.timeouts.totalMs, 10_000);
    c.advance(4000);
    plan.report(a, fail());
    const b = plan.next()!;
    assert.equal(b.key, 'b/m-b');
    assert.equal(b.provider.timeouts.totalMs, 6000, 'the retry is cut to the time left');
    assert.equal(router.plan('fallback').next()!.provider.timeouts.totalMs, 10_000, 'the shared config is untouched');
    c.advance(6000 - MIN_ATTEMPT_MS + 1);
    plan.report(b, fail());
    assert.equal(plan.next(), undefined);
  });
});

describe('cool-downs (honest 429s)', () => {
  test('coolingMs is the soonest any usable target may be called again; 0 while one is free', () => {
    const c = clock();
    const plan = createRouter(config(), { random: () => 0, now: c.now }).plan('fallback');
    const a = plan.next()!;
    assert.equal(plan.coolingMs!(), 0);
    plan.report(a, fail(4000));
    assert.equal(plan.coolingMs!(), 0, 'b is free');
    const b = plan.next()!;
    plan.report(b, fail(3000));
    assert.equal(plan.coolingMs!(), 3000, 'the shorter retry-after');
    c.advance(1000);
    assert.equal(plan.coolingMs!(), 2000);
  });
});
