// callsInParallel (src/gateway/parallel.ts), the bound on an attempt's upstream calls: driven by
// promises the test settles itself, so how many calls are open at each step is exact.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { callsInParallel } from '../../src/gateway/parallel.ts';

interface Pending {
  part: number;
  signal: AbortSignal;
  resolve(v: string): void;
  reject(e: unknown): void;
}

function harness() {
  const open: Pending[] = [];
  const started: number[] = [];
  const call = (part: number, signal: AbortSignal): Promise<string> =>
    new Promise((resolve, reject) => {
      started.push(part);
      open.push({ part, signal, resolve, reject });
    });
  /** Lets the workers run up to their next await. */
  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
  const settle = async (part: number, how: 'ok' | Error): Promise<void> => {
    const i = open.findIndex((p) => p.part === part);
    const [p] = open.splice(i, 1);
    if (how === 'ok') p!.resolve(`r${part}`);
    else p!.reject(how);
    await turn();
  };
  return { open, started, call, turn, settle };
}

describe('callsInParallel', () => {
  test('never more than the bound open; the next starts as one ends; results in part order', async () => {
    const h = harness();
    const parts = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const done = callsInParallel(parts, 4, new AbortController().signal, h.call);
    await h.turn();
    assert.deepEqual(h.started, [0, 1, 2, 3]);
    // Out of order: the 3rd ends first, the 5th starts.
    await h.settle(2, 'ok');
    assert.deepEqual(h.started, [0, 1, 2, 3, 4]);
    assert.equal(h.open.length, 4);
    for (let guard = 0; h.open.length > 0 && guard < 20; guard++) {
      await h.settle(h.open.at(-1)!.part, 'ok');
      assert.ok(h.open.length <= 4);
    }
    assert.deepEqual(await done, parts.map((p) => `r${p}`));
    assert.equal(h.started.length, parts.length);
  });

  test('the first failure aborts the open calls, starts no more and is what rejects', async () => {
    const h = harness();
    const done = callsInParallel([0, 1, 2, 3, 4, 5, 6, 7], 3, new AbortController().signal, h.call);
    await h.turn();
    const signals = h.open.map((p) => p.signal);
    const boom = new Error('throttled');
    await h.settle(1, boom);
    assert.ok(signals.every((s) => s.aborted));
    // The aborted calls now fail too (as a real request would): not what the caller sees.
    for (const p of h.open.splice(0)) p.reject(new Error('aborted'));
    await assert.rejects(done, (e) => e === boom);
    assert.deepEqual(h.started, [0, 1, 2]);
  });

  test("the caller's abort reaches every open call", async () => {
    const h = harness();
    const outer = new AbortController();
    const done = callsInParallel([0, 1, 2], 2, outer.signal, h.call);
    await h.turn();
    outer.abort(new Error('client gone'));
    assert.ok(h.open.every((p) => p.signal.aborted));
    for (const p of h.open.splice(0)) p.reject(p.signal.reason);
    await assert.rejects(done, /client gone/);
    assert.deepEqual(h.started, [0, 1]);
  });
});
