// Strategies (SPEC §2 `strategy`) driven by a seeded random source: weights hold statistically,
// fallback keeps order, least-busy follows in-flight counts, latency follows time to first event.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter, type Router } from '../../src/router/index.ts';
import { EXPLORATION_SHARE } from '../../src/router/strategies/index.ts';
import { clock, config, seeded } from './fixtures.ts';

function firstPicks(router: Router, model: string, n: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const plan = router.plan(model);
    const t = plan.next()!;
    counts[t.key] = (counts[t.key] ?? 0) + 1;
    plan.report(t, { ok: true });
  }
  return counts;
}

describe('weighted', () => {
  test('3:1 weights hold within statistical tolerance over 1000 picks', () => {
    const router = createRouter(config({ targets: 'a: 3, b: 1' }), { random: seeded(1) });
    const counts = firstPicks(router, 'weighted', 1000);
    // Expected 750 ± 13.7 (binomial sd); 5 sd either way.
    assert.ok(counts['a/m-a']! > 680 && counts['a/m-a']! < 820, JSON.stringify(counts));
    assert.equal(counts['a/m-a']! + counts['b/m-b']!, 1000);
  });

  test('three targets 1:2:7 each within tolerance', () => {
    const router = createRouter(config({ targets: 'a: 1, b: 2, c: 7' }), { random: seeded(42) });
    const counts = firstPicks(router, 'weighted', 1000);
    for (const [key, expected] of [
      ['a/m-a', 100],
      ['b/m-b', 200],
      ['c/m-c', 700],
    ] as const) {
      const sd = Math.sqrt(1000 * (expected / 1000) * (1 - expected / 1000));
      assert.ok(Math.abs(counts[key]! - expected) < 5 * sd, `${key}: ${counts[key]} vs ${expected}`);
    }
  });

  test('a weight of 0 is only used when nothing else is left', () => {
    const router = createRouter(config({ targets: 'a: 0, b: 1' }), { random: seeded(7) });
    assert.deepEqual(firstPicks(router, 'weighted', 200), { 'b/m-b': 200 });
    const plan = router.plan('weighted');
    const first = plan.next()!;
    assert.equal(first.key, 'b/m-b');
    plan.report(first, { ok: false });
    assert.equal(plan.next()!.key, 'a/m-a');
  });

  test('the failover order is weighted too, and retries rotate through the targets', () => {
    const router = createRouter(config({ targets: 'a: 1, b: 1, c: 1' }), { random: seeded(3) });
    const plan = router.plan('weighted');
    const seen = [plan.next()!.key, plan.next()!.key, plan.next()!.key];
    assert.equal(new Set(seen).size, 3, `three attempts, three different targets: ${seen}`);
    assert.equal(plan.next(), undefined, 'retries.attempts = 2: three attempts in all');
  });
});

describe('fallback', () => {
  test('always in config order', () => {
    const router = createRouter(config({ targets: 'b: 1, a: 5, c: 1' }), { random: seeded(9) });
    for (let i = 0; i < 20; i++) {
      const plan = router.plan('fallback');
      assert.deepEqual([plan.next()!.key, plan.next()!.key, plan.next()!.key], ['b/m-b', 'a/m-a', 'c/m-c']);
    }
  });
});

describe('least-busy', () => {
  test('picks the target with fewer requests in flight', () => {
    const router = createRouter(config({ targets: 'a: 1, b: 1' }), { random: seeded(5) });
    const first = router.plan('least-busy');
    const t1 = first.next()!;
    const end1 = first.begin!(t1);
    // With one request in flight on t1, every new plan starts with the other target.
    const other = t1.key === 'a/m-a' ? 'b/m-b' : 'a/m-a';
    for (let i = 0; i < 50; i++) assert.equal(router.plan('least-busy').next()!.key, other);
    const second = router.plan('least-busy');
    const t2 = second.next()!;
    const end2 = second.begin!(t2);
    const end2b = router.plan('least-busy').begin!(t2);
    // t2 now has 2, t1 has 1.
    assert.equal(router.plan('least-busy').next()!.key, t1.key);
    end2();
    end2b();
    end1();
    end1(); // idempotent
    assert.equal(router.health.get('a/m-a').inFlight, 0);
    assert.equal(router.health.get('b/m-b').inFlight, 0);
  });

  test('ties are broken by weight', () => {
    const router = createRouter(config({ targets: 'a: 9, b: 1' }), { random: seeded(11) });
    const counts = firstPicks(router, 'least-busy', 1000);
    assert.ok(counts['a/m-a']! > 850 && counts['a/m-a']! < 950, JSON.stringify(counts));
  });
});

describe('latency', () => {
  test('moves traffic to the faster target, keeps exploring, and follows a recovery', () => {
    const router = createRouter(config({ targets: 'a: 1, b: 1' }), { random: seeded(21) });
    const ttfe: Record<string, number> = { 'a/m-a': 400, 'b/m-b': 40 };
    const run = (n: number): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const plan = router.plan('latency');
        const t = plan.next()!;
        counts[t.key] = (counts[t.key] ?? 0) + 1;
        plan.report(t, { ok: true, firstEventMs: ttfe[t.key] });
      }
      return counts;
    };
    run(10); // both measured
    const steady = run(1000);
    const explored = EXPLORATION_SHARE * 1000;
    assert.ok(steady['b/m-b']! >= 1000 - explored * 1.6, `fast target gets the traffic: ${JSON.stringify(steady)}`);
    assert.ok(steady['a/m-a']! >= explored * 0.4, `the slow target is still sampled: ${JSON.stringify(steady)}`);

    // a recovers and b slows down: exploration re-measures a and the traffic moves back.
    ttfe['a/m-a'] = 20;
    ttfe['b/m-b'] = 600;
    run(200);
    const after = run(1000);
    assert.ok(after['a/m-a']! >= 1000 - explored * 1.6, `traffic moved back: ${JSON.stringify(after)}`);
  });

  test('an unmeasured target is tried before measured ones', () => {
    const router = createRouter(config({ targets: 'a: 1, b: 1' }), { random: seeded(2) });
    router.health.get('a/m-a').observeLatency(10);
    let b = 0;
    for (let i = 0; i < 100; i++) if (router.plan('latency').next()!.key === 'b/m-b') b++;
    assert.ok(b > 80, `unmeasured b first: ${b}`);
  });

  test('time is only learned from successes', () => {
    const c = clock();
    const router = createRouter(config(), { random: seeded(1), now: c.now });
    const plan = router.plan('latency');
    const t = plan.next()!;
    plan.report(t, { ok: false });
    assert.equal(router.health.get(t.key).latencyMs, undefined);
  });
});

describe('provider/model addressing', () => {
  test('reaches the provider directly and shares health with configured targets', () => {
    const router = createRouter(config(), { random: seeded(1) });
    const plan = router.plan('a/m-a');
    assert.equal(plan.strategy, 'direct');
    const t = plan.next()!;
    assert.equal(t.key, 'a/m-a');
    assert.equal(t.model, 'm-a');
    assert.equal(router.health.get('a/m-a'), router.health.get(t.key));
    assert.throws(() => router.plan('nope/x'), /not configured/);
    assert.throws(() => router.plan('unknown'), /not configured/);
  });
});
