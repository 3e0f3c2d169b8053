// The cluster's shared state without processes (src/cluster/): workers' limits answered by the
// primary one at a time (exact under concurrency), slots released when a worker dies, circuits
// counted over every worker and pushed to all, and no IPC message per request for a healthy target.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcState } from '../../src/cluster/ipc-state.ts';
import { StateServer } from '../../src/cluster/state-server.ts';
import { CircuitAuthority, workerHealth } from '../../src/cluster/circuits.ts';
import { linkPair, settle } from './links.ts';

describe('limits', () => {
  test('an rpm limit is exact over concurrent requests from two workers', async () => {
    const server = new StateServer();
    const pairs = [linkPair(), linkPair()];
    pairs.forEach((p, i) => server.attach(i + 1, p.primary));
    const states = pairs.map((p) => new IpcState(p.worker));
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => states[i % 2]!.consume('rpm:config:k', 60_000, 15, 1)));
    assert.equal(results.filter((r) => r.allowed).length, 15);
  });

  test('every limit of a request in one call: exact, in order, the slot given back when rpm refuses', async () => {
    const server = new StateServer();
    const pairs = [linkPair(), linkPair()];
    pairs.forEach((p, i) => server.attach(i + 1, p.primary));
    const states = pairs.map((p) => new IpcState(p.worker));
    const check = { concurrency: { name: 'conc:k', limit: 5, ttlMs: 30_000 }, rpm: { name: 'rpm:k', windowMs: 60_000, limit: 7 } };
    const first = await Promise.all(Array.from({ length: 30 }, (_, i) => states[i % 2]!.admitAll(check)));
    const admitted = first.filter((v) => v.allowed);
    assert.equal(admitted.length, 5, 'five slots');
    assert.ok(first.every((v) => v.allowed || v.refused === 'concurrency'));
    for (const v of admitted) if (v.allowed) v.lease?.release();
    await settle();
    const second = await Promise.all(Array.from({ length: 5 }, (_, i) => states[i % 2]!.admitAll(check)));
    assert.deepEqual(second.map((v) => (v.allowed ? 'ok' : v.refused)).sort(), ['ok', 'ok', 'rpm', 'rpm', 'rpm'], 'two left of rpm 7');
    for (const v of second) if (v.allowed) v.lease?.release();
    await settle();
    assert.equal(server.heldBy(1) + server.heldBy(2), 0, 'refused by rpm: no slot kept');
  });

  test('a dead worker’s concurrency slots are free at once', async () => {
    const server = new StateServer();
    const a = linkPair();
    const b = linkPair();
    server.attach(1, a.primary);
    server.attach(2, b.primary);
    const sa = new IpcState(a.worker);
    const sb = new IpcState(b.worker);
    assert.ok(await sa.acquire('conc:k', 2, 30_000));
    assert.ok(await sa.acquire('conc:k', 2, 30_000));
    assert.equal(await sb.acquire('conc:k', 2, 30_000), undefined, 'both slots held by worker 1');
    a.cut();
    assert.equal(server.detach(1), 2);
    const lease = await sb.acquire('conc:k', 2, 30_000);
    assert.ok(lease, 'free again');
    lease.release();
    await settle();
    assert.equal(server.heldBy(2), 0, 'a release reaches the primary');
  });
});

describe('circuits', () => {
  const breaker = { failureThreshold: 3, cooldownMs: 60_000 };

  function cluster() {
    const log: string[] = [];
    const authority = new CircuitAuthority(breaker, (t, s) => log.push(`${t} ${s}`));
    const pairs = [linkPair(), linkPair()];
    pairs.forEach((p, i) => authority.attach(i + 1, p.primary));
    const workers = pairs.map((p) => workerHealth(breaker, p.worker));
    return { authority, pairs, workers, log, stop: () => authority.stop() };
  }

  test('the threshold counts failures of both workers; the opening reaches both at once', async () => {
    const c = cluster();
    try {
      c.workers[0]!.get('p/m').breaker.failure();
      c.workers[1]!.get('p/m').breaker.failure();
      c.workers[0]!.get('p/m').breaker.failure();
      await settle();
      assert.deepEqual(c.log, ['p/m open']);
      for (const w of c.workers) assert.equal(w.get('p/m').breaker.state, 'open');
    } finally {
      c.stop();
    }
  });

  test('a success on another worker ends the streak, in order', async () => {
    const c = cluster();
    try {
      c.workers[0]!.get('p/m').breaker.failure();
      await settle();
      // The first failure made the target watched: worker 2's success goes at once.
      c.workers[1]!.get('p/m').breaker.success();
      await settle();
      c.workers[0]!.get('p/m').breaker.failure();
      c.workers[0]!.get('p/m').breaker.failure();
      await settle();
      assert.deepEqual(c.log, [], 'two failures since the success: below the threshold');
      c.workers[1]!.get('p/m').breaker.failure();
      await settle();
      assert.deepEqual(c.log, ['p/m open']);
    } finally {
      c.stop();
    }
  });

  test('a healthy target costs no message per request', async () => {
    const c = cluster();
    try {
      for (let i = 0; i < 500; i++) c.workers[i % 2]!.get('p/ok').breaker.success();
      await settle();
      assert.equal(c.pairs[0]!.sent.toPrimary + c.pairs[1]!.sent.toPrimary, 0, 'successes wait for the batch');
    } finally {
      c.stop();
    }
  });
});
