// The per-provider store of Gemini cachedContents (src/protocols/gemini/context-cache.ts): one creation
// per prefix however many requests wait for it, each waiter bounded by its own attempt, refusals
// remembered, lifetimes extended from half-life on, expiry on the injected clock; lookups that never
// create, and background creations that belong to the store (kept whoever leaves, bounded by their
// own limit on injected timers). No HTTP: creation and refresh are deferred promises the test settles.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKGROUND_LIMIT_MS, ContextCaches, GAVE_UP, TOO_SLOW, type AcquireOptions, type CacheTimers, type CreateOutcome } from '../../../src/protocols/gemini/context-cache.ts';

const MIN = 60_000;

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Harness {
  caches: ContextCaches;
  now: { t: number };
  /** Runs the timers due by now.t. */
  tick(): void;
  creations: Array<{ signal: AbortSignal; done: ReturnType<typeof deferred<CreateOutcome>> }>;
  refreshes: Array<{ name: string; ttlMs: number; done: ReturnType<typeof deferred<boolean>> }>;
  opts(extra?: Partial<AcquireOptions>): AcquireOptions;
}

function harness(): Harness {
  const now = { t: 1_000_000 };
  const creations: Harness['creations'] = [];
  const refreshes: Harness['refreshes'] = [];
  const timers: Array<{ at: number; fn: () => void } | undefined> = [];
  const injected: CacheTimers = {
    set: (fn, ms) => timers.push({ at: now.t + ms, fn }) - 1,
    clear: (handle) => (timers[handle as number] = undefined),
  };
  const caches = new ContextCaches(() => now.t, injected);
  return {
    caches,
    now,
    tick() {
      timers.forEach((t, i) => {
        if (t !== undefined && t.at <= now.t) {
          timers[i] = undefined;
          t.fn();
        }
      });
    },
    creations,
    refreshes,
    opts: (extra = {}) => ({
      ttlMs: 5 * MIN,
      signal: new AbortController().signal,
      patience: new AbortController().signal,
      create(signal) {
        const done = deferred<CreateOutcome>();
        creations.push({ signal, done });
        return done.promise;
      },
      refresh(name, ttlMs) {
        const done = deferred<boolean>();
        refreshes.push({ name, ttlMs, done });
        return done.promise;
      },
      ...extra,
    }),
  };
}

const made = (name: string, expiresAtMs: number): CreateOutcome => ({ ok: true, cache: { name, expiresAtMs } });

describe('ContextCaches', () => {
  test('concurrent requests for one prefix share one creation; another prefix gets its own', async () => {
    const h = harness();
    const a = h.caches.acquire('k1', h.opts());
    const b = h.caches.acquire('k1', h.opts());
    const c = h.caches.acquire('k2', h.opts());
    assert.equal(h.creations.length, 2);
    h.creations[0]!.done.resolve(made('cachedContents/one', h.now.t + 5 * MIN));
    h.creations[1]!.done.resolve(made('cachedContents/two', h.now.t + 5 * MIN));
    assert.deepEqual(await Promise.all([a, b, c]), ['cachedContents/one', 'cachedContents/one', 'cachedContents/two']);
    // Ready now: answered synchronously, nothing created.
    assert.equal(h.caches.acquire('k1', h.opts()), 'cachedContents/one');
    assert.equal(h.creations.length, 2);
  });

  test('a waiter whose attempt ends leaves with its reason; the creation goes on for the others', async () => {
    const h = harness();
    const gone = new AbortController();
    const a = h.caches.acquire('k', h.opts({ signal: gone.signal }));
    const b = h.caches.acquire('k', h.opts());
    gone.abort(new Error('client closed'));
    await assert.rejects(a as Promise<unknown>, /client closed/);
    assert.equal(h.creations[0]!.signal.aborted, false, 'still wanted by the other request');
    h.creations[0]!.done.resolve(made('cachedContents/x', h.now.t + 5 * MIN));
    assert.equal(await b, 'cachedContents/x');
  });

  test('when the last waiter goes, the creation is aborted and nothing is remembered', async () => {
    const h = harness();
    const gone = new AbortController();
    const a = h.caches.acquire('k', h.opts({ signal: gone.signal }));
    gone.abort(new Error('total_timeout'));
    await assert.rejects(a as Promise<unknown>, /total_timeout/);
    assert.equal(h.creations[0]!.signal.aborted, true);
    h.creations[0]!.done.reject(h.creations[0]!.signal.reason);
    await new Promise((r) => setImmediate(r));
    // The next request tries again.
    void h.caches.acquire('k', h.opts());
    assert.equal(h.creations.length, 2);
  });

  test('out of patience: the request goes uncached at once, and the last one aborts the creation with GAVE_UP', async () => {
    const h = harness();
    const impatient = new AbortController();
    const a = h.caches.acquire('k', h.opts({ patience: impatient.signal }));
    impatient.abort();
    assert.equal(await a, undefined);
    assert.equal(h.creations[0]!.signal.reason, GAVE_UP);
  });

  test('a refusal is remembered for as long as the creation says, then asked again', async () => {
    const h = harness();
    const a = h.caches.acquire('k', h.opts());
    h.creations[0]!.done.resolve({ ok: false, retryAfterMs: 5 * MIN });
    assert.equal(await a, undefined);
    assert.equal(h.caches.acquire('k', h.opts()), undefined);
    assert.equal(h.creations.length, 1, 'not asked again while refused');
    h.now.t += 5 * MIN;
    void h.caches.acquire('k', h.opts());
    assert.equal(h.creations.length, 2);
  });

  test('from half its life a use extends it (one refresh at a time); near expiry it is not used; gone means made anew', async () => {
    const h = harness();
    const start = h.now.t;
    const a = h.caches.acquire('k', h.opts());
    h.creations[0]!.done.resolve(made('cachedContents/x', start + 5 * MIN));
    assert.equal(await a, 'cachedContents/x');

    h.now.t = start + 2 * MIN;
    assert.equal(h.caches.acquire('k', h.opts()), 'cachedContents/x');
    assert.equal(h.refreshes.length, 0, 'not before half its life');

    h.now.t = start + 3 * MIN;
    assert.equal(h.caches.acquire('k', h.opts()), 'cachedContents/x');
    assert.equal(h.caches.acquire('k', h.opts()), 'cachedContents/x');
    assert.equal(h.refreshes.length, 1, 'one refresh in flight');
    assert.deepEqual([h.refreshes[0]!.name, h.refreshes[0]!.ttlMs], ['cachedContents/x', 5 * MIN]);
    h.refreshes[0]!.done.resolve(true);
    await new Promise((r) => setImmediate(r));

    // Extended to 3 + 5 minutes: still good at minute 7.
    h.now.t = start + 7 * MIN;
    assert.equal(h.caches.acquire('k', h.opts()), 'cachedContents/x');
    assert.equal(h.refreshes.length, 2);
    h.refreshes[1]!.done.resolve(false); // Google no longer has it
    await new Promise((r) => setImmediate(r));
    void h.caches.acquire('k', h.opts());
    assert.equal(h.creations.length, 2, 'a resource Google no longer has is made anew');
  });

  test('an unrefreshed resource within 30 s of its expiry is not used: a new one is made', async () => {
    const h = harness();
    const start = h.now.t;
    const a = h.caches.acquire('k', h.opts());
    h.creations[0]!.done.resolve(made('cachedContents/x', start + 5 * MIN));
    await a;
    h.now.t = start + 5 * MIN - 29_000;
    const b = h.caches.acquire('k', h.opts());
    assert.equal(h.creations.length, 2);
    h.creations[1]!.done.resolve(made('cachedContents/y', h.now.t + 5 * MIN));
    assert.equal(await b, 'cachedContents/y');
  });

  test('invalidate forgets a resource by name, and close aborts creations under way', async () => {
    const h = harness();
    const a = h.caches.acquire('k', h.opts());
    h.creations[0]!.done.resolve(made('cachedContents/x', h.now.t + 5 * MIN));
    await a;
    h.caches.invalidate('k', 'cachedContents/other');
    assert.equal(h.caches.acquire('k', h.opts()), 'cachedContents/x', 'another name leaves it');
    h.caches.invalidate('k', 'cachedContents/x');
    void h.caches.acquire('k', h.opts());
    assert.equal(h.creations.length, 2);
    h.caches.close();
    assert.equal(h.creations[1]!.signal.aborted, true);
    assert.equal(h.caches.size, 0);
  });

  test('lookup answers only a live resource and never creates', async () => {
    const h = harness();
    assert.equal(h.caches.lookup('k', h.opts()), undefined);
    assert.equal(h.creations.length, 0);
    const a = h.caches.acquire('k', h.opts());
    assert.equal(h.caches.lookup('k', h.opts()), undefined, 'under way is not live');
    h.creations[0]!.done.resolve(made('cachedContents/x', h.now.t + 5 * MIN));
    await a;
    assert.equal(h.caches.lookup('k', h.opts()), 'cachedContents/x');
    h.now.t += 5 * MIN - 29_000;
    assert.equal(h.caches.lookup('k', h.opts()), undefined, 'too near its expiry');
    assert.equal(h.creations.length, 1);
  });

  test('ensure starts one creation nobody waits for, and none while one is live, under way or refused', async () => {
    const h = harness();
    h.caches.ensure('k', h.opts());
    h.caches.ensure('k', h.opts());
    assert.equal(h.creations.length, 1, 'coalesced');
    // A request that can use the prefix joins it; its impatience does not abort the store's creation.
    const impatient = new AbortController();
    const waiting = h.caches.acquire('k', h.opts({ patience: impatient.signal }));
    impatient.abort();
    assert.equal(await waiting, undefined);
    assert.equal(h.creations[0]!.signal.aborted, false);
    h.creations[0]!.done.resolve(made('cachedContents/x', h.now.t + 5 * MIN));
    await new Promise((r) => setImmediate(r));
    assert.equal(h.caches.lookup('k', h.opts()), 'cachedContents/x');
    h.caches.ensure('k', h.opts());
    assert.equal(h.creations.length, 1, 'live: nothing made');

    h.caches.ensure('r', h.opts());
    h.creations[1]!.done.resolve({ ok: false, retryAfterMs: MIN });
    await new Promise((r) => setImmediate(r));
    h.caches.ensure('r', h.opts());
    assert.equal(h.creations.length, 2, 'refused: not asked again meanwhile');
  });

  test('ensure adopts a creation requests are waiting for: their leaving no longer aborts it', async () => {
    const h = harness();
    const impatient = new AbortController();
    const waiting = h.caches.acquire('k', h.opts({ patience: impatient.signal }));
    h.caches.ensure('k', h.opts());
    impatient.abort();
    assert.equal(await waiting, undefined);
    assert.equal(h.creations[0]!.signal.aborted, false);
    assert.equal(h.creations.length, 1);
  });

  test('a background creation silent for BACKGROUND_LIMIT_MS is aborted with TOO_SLOW; one that answered keeps no timer', async () => {
    const h = harness();
    h.caches.ensure('slow', h.opts());
    h.caches.ensure('quick', h.opts());
    h.creations[1]!.done.resolve(made('cachedContents/q', h.now.t + 5 * MIN));
    await new Promise((r) => setImmediate(r));
    h.now.t += BACKGROUND_LIMIT_MS - 1;
    h.tick();
    assert.equal(h.creations[0]!.signal.aborted, false);
    h.now.t += 1;
    h.tick();
    assert.equal(h.creations[0]!.signal.reason, TOO_SLOW);
    assert.equal(h.creations[1]!.signal.aborted, false);
    assert.equal(h.caches.lookup('quick', h.opts()), 'cachedContents/q');
  });
});

