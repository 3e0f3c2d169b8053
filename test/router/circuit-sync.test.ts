// Circuit states shared between instances through the shared state (here one MemoryState stands in
// for Redis between two routers): an opening on one instance takes the target out on the other, and
// a successful probe anywhere brings it back everywhere.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syncCircuits } from '../../src/router/circuit-sync.ts';
import { HealthRegistry } from '../../src/router/health.ts';
import { createRouter } from '../../src/router/index.ts';
import { MemoryState } from '../../src/state/memory.ts';
import { clock, config, seeded } from './fixtures.ts';

test('an opening on one instance reaches the other; a closing too', async () => {
  const c = clock();
  const shared = new MemoryState(c.now);
  const cfg = config();
  const one = new HealthRegistry(cfg.breaker, c.now);
  const two = new HealthRegistry(cfg.breaker, c.now);
  const syncOne = syncCircuits(one, shared, 60_000);
  const syncTwo = syncCircuits(two, shared, 60_000);
  const routerTwo = createRouter(cfg, { health: two, random: seeded(1), now: c.now });
  try {
    one.get('a/m-a').breaker.failure(true);
    await new Promise((r) => setImmediate(r));
    assert.equal(routerTwo.plan('fallback').next()!.key, 'a/m-a', 'not yet polled');
    await syncTwo.poll();
    assert.equal(two.get('a/m-a').breaker.state, 'open');
    assert.equal(routerTwo.plan('fallback').next()!.key, 'b/m-b');

    // Instance two probes after the cool-down and succeeds: one learns it.
    c.advance(cfg.breaker.cooldownMs);
    const probe = routerTwo.plan('fallback');
    const t = probe.next()!;
    assert.equal(t.key, 'a/m-a');
    c.advance(1);
    probe.report(t, { ok: true });
    await new Promise((r) => setImmediate(r));
    await syncOne.poll();
    assert.equal(one.get('a/m-a').breaker.state, 'closed');
  } finally {
    syncOne.stop();
    syncTwo.stop();
  }
});
