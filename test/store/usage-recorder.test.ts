// Usage rows are batched, written in order, kept and retried while the store fails, within a bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageRecorder, type Store, type UsageRow } from '../../src/store/index.ts';

function row(i: number): UsageRow {
  return { time: new Date(i), requestId: `r${i}`, model: 'm', tokensIn: 1, tokensOut: 1, estimated: false, endReason: 'completed', status: 200 };
}

function fakeStore(): { store: Store; batches: UsageRow[][]; failing: { on: boolean } } {
  const batches: UsageRow[][] = [];
  const failing = { on: false };
  const store = {
    async recordUsage(rows: UsageRow[]) {
      await new Promise((r) => setImmediate(r));
      if (failing.on) throw new Error('store down');
      batches.push(rows);
    },
  } as unknown as Store;
  return { store, batches, failing };
}

async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 1));
  }
}

test('rows wait for the batch size or the flush interval, and arrive in order', async () => {
  const { store, batches } = fakeStore();
  const recorder = new UsageRecorder(store, { batch: 3, flushMs: 50 });
  for (let i = 0; i < 3; i++) recorder.add(row(i));
  await until(() => batches.length === 1);
  assert.deepEqual(batches[0]!.map((r) => r.requestId), ['r0', 'r1', 'r2'], 'a full batch goes at once');
  const added = Date.now();
  recorder.add(row(3));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(batches.length, 1, 'a lone row waits');
  await until(() => batches.length === 2);
  assert.ok(Date.now() - added >= 45, 'for the flush interval');
  assert.deepEqual(batches[1]!.map((r) => r.requestId), ['r3']);
  await recorder.close();
});

test('a failing store keeps rows (bounded, oldest dropped) and they are written once it is back', async () => {
  const { store, batches, failing } = fakeStore();
  const errors: number[] = [];
  const recorder = new UsageRecorder(store, { batch: 100, flushMs: 1000, maxQueued: 5, onError: (_e, dropped) => errors.push(dropped) });
  failing.on = true;
  for (let i = 0; i < 8; i++) recorder.add(row(i));
  await recorder.flush();
  assert.ok(errors.length >= 1);
  assert.equal(errors.at(-1), 3, 'three oldest rows dropped to stay within 5');
  failing.on = false;
  await recorder.close();
  assert.deepEqual(batches.flat().map((r) => r.requestId), ['r3', 'r4', 'r5', 'r6', 'r7']);
});
