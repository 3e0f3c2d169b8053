// The circuit breaker state machine with an injected clock, and how plans and /readyz use it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, ERROR_RATE_DEFAULTS } from '../../src/router/breaker.ts';
import { createRouter } from '../../src/router/index.ts';
import { GatewayError } from '../../src/core/errors.ts';
import { clock, config, seeded } from './fixtures.ts';

const OPTS = { ...ERROR_RATE_DEFAULTS, failureThreshold: 5, cooldownMs: 1000 };

describe('CircuitBreaker', () => {
  test('opens after the threshold of consecutive failures; a success resets the count', () => {
    const c = clock();
    const b = new CircuitBreaker(OPTS, c.now);
    for (let i = 0; i < 4; i++) b.failure();
    b.success();
    for (let i = 0; i < 4; i++) b.failure();
    assert.equal(b.state, 'closed');
    assert.equal(b.peek(), 'pass');
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.peek(), 'deny');
    assert.equal(b.openedAt, c.now());
  });

  test('after the cool-down exactly one probe goes through; success closes', () => {
    const c = clock();
    const b = new CircuitBreaker(OPTS, c.now);
    const changes: string[] = [];
    b.onChange = (s) => changes.push(s);
    for (let i = 0; i < 5; i++) b.failure();
    c.advance(999);
    assert.equal(b.acquire(), 'deny');
    c.advance(1);
    assert.equal(b.state, 'half_open');
    assert.equal(b.acquire(), 'probe');
    assert.equal(b.acquire(), 'deny', 'a second request waits for the probe');
    assert.equal(b.peek(), 'deny');
    b.success();
    assert.equal(b.state, 'closed');
    assert.equal(b.acquire(), 'pass');
    assert.deepEqual(changes, ['open', 'closed']);
  });

  test('a failed probe re-opens for a full cool-down', () => {
    const c = clock();
    const b = new CircuitBreaker(OPTS, c.now);
    for (let i = 0; i < 5; i++) b.failure();
    c.advance(1000);
    assert.equal(b.acquire(), 'probe');
    c.advance(50);
    b.failure();
    assert.equal(b.state, 'open');
    assert.equal(b.openedAt, c.now());
    c.advance(999);
    assert.equal(b.acquire(), 'deny');
    c.advance(1);
    assert.equal(b.acquire(), 'probe');
  });

  test('a probe released without a verdict lets the next request probe; a lost probe lapses after a cool-down', () => {
    const c = clock();
    const b = new CircuitBreaker(OPTS, c.now);
    for (let i = 0; i < 5; i++) b.failure();
    c.advance(1000);
    assert.equal(b.acquire(), 'probe');
    b.releaseProbe();
    assert.equal(b.acquire(), 'probe');
    c.advance(999);
    assert.equal(b.acquire(), 'deny');
    c.advance(1);
    assert.equal(b.acquire(), 'probe', 'the unreported probe lapsed');
  });

  test('an upstream 401/403 opens at once', () => {
    const b = new CircuitBreaker(OPTS, clock().now);
    b.failure(true);
    assert.equal(b.state, 'open');
  });

  test('a high error rate over the window opens even without a run of consecutive failures', () => {
    const c = clock();
    const b = new CircuitBreaker(OPTS, c.now);
    // Alternating: never 5 failures in a row, but a 50% error rate over 20 outcomes.
    for (let i = 0; i < 19; i++) {
      if (i % 2 === 0) b.failure();
      else b.success();
      c.advance(100);
      assert.equal(b.state, 'closed', `outcome ${i}`);
    }
    b.failure();
    assert.equal(b.state, 'open');
  });

  test('the error rate forgets outcomes older than the window', () => {
    const c = clock();
    const b = new CircuitBreaker(OPTS, c.now);
    for (let i = 0; i < 19; i++) {
      if (i % 2 === 0) b.failure();
      else b.success();
    }
    c.advance(OPTS.windowMs + 1);
    // Counted with the old outcomes this would be 11 failures of 20.
    b.failure();
    assert.equal(b.state, 'closed');
  });

  test('shared states apply last-writer-wins and do not echo to the listener', () => {
    const c = clock();
    const b = new CircuitBreaker(OPTS, c.now);
    let calls = 0;
    b.onChange = () => calls++;
    b.applyShared('open', c.now() - 200);
    assert.equal(b.state, 'open');
    b.applyShared('closed', c.now() - 300);
    assert.equal(b.state, 'open', 'an older record does not win');
    c.advance(800);
    assert.equal(b.state, 'half_open', 'cool-down counts from the remote opening');
    b.applyShared('closed', c.now());
    assert.equal(b.state, 'closed');
    assert.equal(calls, 0);
  });
});

/** n requests whose first attempt goes to `key` (the fallback order's first) and fails with a 502. */
function failTimes(router: ReturnType<typeof createRouter>, model: string, key: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const plan = router.plan(model);
    const t = plan.next()!;
    assert.equal(t.key, key);
    plan.report(t, { ok: false, error: new GatewayError('upstream_error', 'boom') });
  }
}

describe('plans and circuits', () => {
  test('an open target is skipped until its probe succeeds', () => {
    const c = clock();
    const router = createRouter(config(), { random: seeded(1), now: c.now });
    failTimes(router, 'fallback', 'a/m-a', 5);
    assert.equal(router.health.get('a/m-a').breaker.state, 'open');
    for (let i = 0; i < 10; i++) assert.equal(router.plan('fallback').next()!.key, 'b/m-b');
    c.advance(500);
    const probe = router.plan('fallback');
    const t = probe.next()!;
    assert.equal(t.key, 'a/m-a', 'the probe');
    assert.equal(router.plan('fallback').next()!.key, 'b/m-b', 'one probe at a time');
    probe.report(t, { ok: true, firstEventMs: 5 });
    assert.equal(router.plan('fallback').next()!.key, 'a/m-a', 'back in rotation');
  });

  test('a probe whose client left gives the slot back (begin/end without a report)', () => {
    const c = clock();
    const router = createRouter(config(), { random: seeded(1), now: c.now });
    failTimes(router, 'fallback', 'a/m-a', 5);
    c.advance(500);
    const probe = router.plan('fallback');
    const t = probe.next()!;
    assert.equal(t.key, 'a/m-a');
    const end = probe.begin!(t);
    end();
    assert.equal(router.plan('fallback').next()!.key, 'a/m-a');
  });

  test('when every target is open, one attempt goes to the least recently opened', () => {
    const c = clock();
    const router = createRouter(config(), { random: seeded(1), now: c.now });
    router.health.get('b/m-b').breaker.failure(true);
    c.advance(100);
    router.health.get('a/m-a').breaker.failure(true);
    const plan = router.plan('fallback');
    const forced = plan.next()!;
    assert.equal(forced.key, 'b/m-b', 'b opened first');
    assert.equal(plan.next(), undefined, 'only one forced attempt per request');
    plan.report(forced, { ok: false, error: new GatewayError('upstream_unreachable', 'down') });
    // b re-opened just now: the next request rotates to a.
    assert.equal(router.plan('fallback').next()!.key, 'a/m-a');
  });

  test('a forced attempt that succeeds closes the circuit', () => {
    const c = clock();
    const router = createRouter(config({ targets: 'a: 1' }), { random: seeded(1), now: c.now });
    router.health.get('a/m-a').breaker.failure(true);
    const plan = router.plan('fallback');
    const t = plan.next()!;
    plan.report(t, { ok: true });
    assert.equal(router.health.get('a/m-a').breaker.state, 'closed');
  });

  test('upstream 401/403 opens the target at once; 400 does not count against it', () => {
    const router = createRouter(config(), { random: seeded(1) });
    const plan = router.plan('fallback');
    const a = plan.next()!;
    plan.report(a, { ok: false, error: new GatewayError('upstream_client_error', 'bad', { upstreamStatus: 400 }) });
    assert.equal(router.health.get('a/m-a').breaker.state, 'closed');
    const p2 = router.plan('fallback');
    const a2 = p2.next()!;
    p2.report(a2, { ok: false, error: new GatewayError('upstream_auth', 'denied', { upstreamStatus: 401 }) });
    assert.equal(router.health.get('a/m-a').breaker.state, 'open');
  });

  test('/readyz problems when every target of a model is open, none once one is probe-able', () => {
    const c = clock();
    const router = createRouter(config(), { random: seeded(1), now: c.now });
    assert.deepEqual(router.readiness(), []);
    router.health.get('a/m-a').breaker.failure(true);
    assert.deepEqual(router.readiness(), []);
    router.health.get('b/m-b').breaker.failure(true);
    const problems = router.readiness();
    assert.equal(problems.length, 4, 'each of the four models names both targets');
    assert.match(problems[0]!, /every target is circuit-open .*a\/m-a open.*b\/m-b open/);
    c.advance(500);
    assert.deepEqual(router.readiness(), []);
  });
});
