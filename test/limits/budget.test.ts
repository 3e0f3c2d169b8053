// Budgets on an injected clock (limits/budget.ts): periods are UTC days and months, the reset time and
// retry-after are right at the edges (last second of a day, of December, of February in a leap
// year), spend crosses the budget on the request that ends over it, a new period starts from zero,
// counters that do not exist are seeded from the store's history (a restart keeps the spend), and
// `total` never resets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import { Budgets, periodOf } from '../../src/limits/budget.ts';
import type { ClientKey } from '../../src/server/auth.ts';
import { MemoryState } from '../../src/state/memory.ts';

const at = (iso: string): number => Date.parse(iso);

test('periods and reset times (UTC)', () => {
  assert.deepEqual(periodOf('day', at('2025-06-10T23:59:59.500Z')), {
    id: '2025-06-10',
    start: at('2025-06-10T00:00:00Z'),
    resetsAt: at('2025-06-11T00:00:00Z'),
  });
  assert.equal(periodOf('day', at('2025-06-11T00:00:00Z')).id, '2025-06-11');
  assert.deepEqual(periodOf('month', at('2025-12-31T23:00:00Z')), {
    id: '2025-12',
    start: at('2025-12-01T00:00:00Z'),
    resetsAt: at('2026-01-01T00:00:00Z'),
  });
  assert.equal(periodOf('month', at('2024-02-29T12:00:00Z')).resetsAt, at('2024-03-01T00:00:00Z'));
  assert.deepEqual(periodOf('total', at('2025-06-10T12:00:00Z')), { id: 'total', start: 0 });
});

function setup(now: { t: number }, history = 0) {
  const state = new MemoryState(() => now.t);
  const asked: Array<[string, string]> = [];
  const budgets = new Budgets(state, {
    now: () => now.t,
    history: {
      async spendSince(name, since) {
        asked.push([name, since.toISOString()]);
        return history;
      },
    },
  });
  return { state, budgets, asked };
}

async function refusal(p: Promise<void>): Promise<GatewayError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    return err;
  }
  assert.fail('expected a refusal');
}

test('crossing a day budget refuses the next request until midnight UTC, with retry-after to it', async () => {
  const now = { t: at('2025-06-10T23:59:30Z') };
  const { budgets, asked } = setup(now);
  const key: ClientKey = { name: 'team-a', source: 'config', budget: { usd: 1, per: 'day' } };
  await budgets.check(key);
  assert.deepEqual(asked, [['team-a', '2025-06-10T00:00:00.000Z']], 'seeded once from the store');
  await budgets.spend(key, 0.6);
  await budgets.check(key); // $0.60 of $1: still under
  await budgets.spend(key, 0.400000001); // crosses, by a nano-dollar
  assert.equal(asked.length, 1);
  const err = await refusal(budgets.check(key));
  assert.equal(err.code, 'budget_exceeded');
  assert.equal(err.status, 429);
  assert.equal(err.retryAfterMs, 30_000);
  assert.equal(err.message, 'budget of key "team-a" exceeded: $1.00 spent of $1.00 per day; it resets at 2025-06-11T00:00:00Z');
  // A tiny spend is still exact: nano-dollars, not floats.
  assert.equal(await budgets.spent(key), 1.000000001);
  // Past midnight a new counter starts (seeded again from the store, which has nothing for today).
  now.t = at('2025-06-11T00:00:00.001Z');
  await budgets.check(key);
  assert.equal(await budgets.spent(key), 0);
  assert.deepEqual(asked.at(-1), ['team-a', '2025-06-11T00:00:00.000Z']);
});

test('month budgets reset on the 1st; retry-after never under a second', async () => {
  const now = { t: at('2025-12-31T23:59:59.900Z') };
  const { budgets } = setup(now);
  const key: ClientKey = { name: 'm', source: 'store', budget: { usd: 5, per: 'month' } };
  await budgets.check(key);
  await budgets.spend(key, 5);
  const err = await refusal(budgets.check(key));
  assert.match(err.message, /\$5\.00 per month; it resets at 2026-01-01T00:00:00Z$/);
  assert.equal(err.retryAfterMs, 1000);
});

test('history seeds the counter: a restarted instance keeps the period spend; total never resets', async () => {
  const now = { t: at('2025-06-10T08:00:00Z') };
  const { budgets, state } = setup(now, 3.5);
  const key: ClientKey = { name: 'ever', source: 'config', budget: { usd: 3.5, per: 'total' } };
  const err = await refusal(budgets.check(key));
  assert.equal(err.retryAfterMs, undefined);
  assert.match(err.message, /\$3\.50 spent of \$3\.50 in total; it does not reset$/);
  now.t = at('2030-01-01T00:00:00Z');
  await refusal(budgets.check(key));
  // A spend on a counter that is gone (state lost) seeds from history, which holds that request.
  const fresh = new Budgets(new MemoryState(() => now.t), {
    now: () => now.t,
    history: { spendSince: async () => 0.25 },
  });
  const day: ClientKey = { name: 'd', source: 'config', budget: { usd: 1, per: 'day' } };
  await fresh.spend(day, 0.25);
  assert.equal(await fresh.spent(day), 0.25, 'not counted twice');
  assert.equal(state.shared, false);
});

test('static and stored keys of one name, and keys without a budget, do not share or need counters', async () => {
  const now = { t: at('2025-06-10T08:00:00Z') };
  const { budgets } = setup(now);
  const a: ClientKey = { name: 'same', source: 'config', budget: { usd: 1, per: 'day' } };
  const b: ClientKey = { name: 'same', source: 'store', budget: { usd: 1, per: 'day' } };
  await budgets.check(a);
  await budgets.check(b);
  await budgets.spend(a, 2);
  await refusal(budgets.check(a));
  await budgets.check(b);
  await budgets.check({ name: 'free', source: 'config' });
  await budgets.spend({ name: 'free', source: 'config' }, 100);
  await budgets.check(undefined);
});
