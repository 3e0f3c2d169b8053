import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache, type AccessToken } from '../../../src/protocols/vertex/token-cache.ts';

/** A fetcher whose answers the test releases one by one, on a clock the test drives. */
function harness(lifetimeMs = 3_600_000) {
  let now = 1_000_000;
  let n = 0;
  const pending: Array<{ resolve: (t: AccessToken) => void; reject: (e: Error) => void }> = [];
  const cache = new TokenCache(
    () =>
      new Promise<AccessToken>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
    { now: () => now },
  );
  return {
    cache,
    pending,
    advance(ms: number) {
      now += ms;
    },
    release() {
      const p = pending.shift();
      assert.ok(p, 'no fetch pending');
      n++;
      p.resolve({ token: `t${n}`, expiresAtMs: now + lifetimeMs });
    },
    fail(message: string) {
      pending.shift()!.reject(new Error(message));
    },
  };
}

test('concurrent callers share one fetch', async () => {
  const h = harness();
  const a = h.cache.get();
  const b = h.cache.get();
  const c = h.cache.get();
  assert.equal(h.pending.length, 1);
  h.release();
  assert.deepEqual(await Promise.all([a, b, c]), ['t1', 't1', 't1']);
  // Cached: synchronous, no new fetch.
  assert.equal(h.cache.get(), 't1');
  assert.equal(h.pending.length, 0);
});

test('a token near expiry is still served while one background refresh replaces it', async () => {
  const h = harness();
  const first = h.cache.get();
  h.release();
  await first;
  h.advance(3_600_000 - 4 * 60_000); // 4 min left: inside the 5 min refresh window
  assert.equal(h.cache.get(), 't1');
  assert.equal(h.cache.get(), 't1');
  assert.equal(h.pending.length, 1, 'exactly one background refresh');
  h.release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(h.cache.get(), 't2');
});

test('an expired token makes callers wait for the new one', async () => {
  const h = harness();
  const first = h.cache.get();
  h.release();
  await first;
  h.advance(3_600_000 + 1);
  const got = h.cache.get();
  assert.equal(typeof got, 'object', 'must not return the expired token');
  h.release();
  assert.equal(await got, 't2');
});

test('a failed refresh is retried by the next caller; the valid token keeps serving', async () => {
  const h = harness();
  const first = h.cache.get();
  h.release();
  await first;
  h.advance(3_600_000 - 60_000 * 2);
  assert.equal(h.cache.get(), 't1');
  h.fail('token endpoint down');
  await new Promise((r) => setImmediate(r));
  assert.equal(h.cache.get(), 't1');
  assert.equal(h.pending.length, 1, 'a new background refresh');
  h.release();
  await new Promise((r) => setImmediate(r));
  assert.equal(h.cache.get(), 't2');
});

test('a failed fetch rejects the waiting callers, and the next call fetches again', async () => {
  const h = harness();
  const a = h.cache.get();
  h.fail('invalid_grant');
  await assert.rejects(Promise.resolve(a), /invalid_grant/);
  const b = h.cache.get();
  assert.equal(h.pending.length, 1);
  h.release();
  assert.equal(await b, 't1');
});

test('short-lived tokens scale the margins down instead of refreshing on every call', async () => {
  const h = harness(60_000); // one minute tokens
  const first = h.cache.get();
  h.release();
  await first;
  h.advance(20_000);
  assert.equal(h.cache.get(), 't1');
  assert.equal(h.pending.length, 0, 'no refresh with 40 s of 60 s left');
  h.advance(15_000); // 25 s left: under half the lifetime
  assert.equal(h.cache.get(), 't1');
  assert.equal(h.pending.length, 1);
});

test('an aborted caller stops waiting; the shared fetch still completes for the others', async () => {
  const h = harness();
  const ac = new AbortController();
  const a = h.cache.get(ac.signal);
  const b = h.cache.get();
  ac.abort(new Error('client gone'));
  await assert.rejects(Promise.resolve(a), /client gone/);
  h.release();
  assert.equal(await b, 't1');
});

test('invalidate drops only the token it names', async () => {
  const h = harness();
  const first = h.cache.get();
  h.release();
  await first;
  h.cache.invalidate('other');
  assert.equal(h.cache.get(), 't1');
  h.cache.invalidate('t1');
  const next = h.cache.get();
  assert.notEqual(typeof next, 'string');
  h.release();
  assert.equal(await next, 't2');
});
