// Allowances (src/cluster/state-server.ts, ipc-state.ts): far from its limits a key's admissions are
// decided in the worker from room the primary granted and reserved; near them, and whenever the
// primary would refuse while room sits in allowances, every admission is exact again. Two workers
// simulated with in-memory Link pairs, the clock injected, reports and lapses triggered by hand.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { IpcState } from '../../src/cluster/ipc-state.ts';
import { StateServer } from '../../src/cluster/state-server.ts';
import type { Lease, LimitCheck, LimitVerdict } from '../../src/state/types.ts';
import { estimate } from '../../src/state/window.ts';
import { linkPair, settle, type LinkPair } from './links.ts';
import { mulberry32 } from '../helpers/prng.ts';

const MINUTE = 60_000;

function cluster(workers: number, clock: { t: number }) {
  const server = new StateServer(() => clock.t);
  const pairs: LinkPair[] = [];
  const states: IpcState[] = [];
  for (let i = 0; i < workers; i++) {
    const pair = linkPair();
    server.attach(i + 1, pair.primary);
    pairs.push(pair);
    states.push(new IpcState(pair.worker, () => {}, { now: () => clock.t, reportMs: 0, lapseMs: 0 }));
  }
  return { server, pairs, states };
}

const random = mulberry32;

const rpmCheck = (limit: number): LimitCheck => ({ rpm: { name: 'rpm:k', windowMs: MINUTE, limit } });
const concCheck = (limit: number): LimitCheck => ({ concurrency: { name: 'conc:k', limit, ttlMs: 30_000 } });

describe('allowances', () => {
  test('far from the limit, admissions are decided in the worker: no message per request', async () => {
    const clock = { t: 1_000 };
    const { server, pairs, states } = cluster(2, clock);
    const check: LimitCheck = { ...rpmCheck(10_000), ...concCheck(1_000), tpm: { name: 'tpm:k', windowMs: MINUTE, limit: 1e9 } };
    const first = await states[0]!.admitAll(check);
    assert.ok(first.allowed);
    const held = states[0]!.allowance(check);
    assert.ok(held && held.rpm > 10 && held.slots > 10 && held.tokens > 1000, `a block was granted: ${JSON.stringify(held)}`);
    assert.deepEqual(server.allowanceOf(1), { rpm: held.rpm, slots: held.slots, tokens: held.tokens }, 'and reserved in the primary');
    const before = { ...pairs[0]!.sent };
    for (let i = 0; i < 10; i++) {
      const v = await states[0]!.admitAll(check);
      assert.ok(v.allowed);
      v.lease?.release();
      await states[0]!.add('tpm:k', MINUTE, 100);
      await settle();
    }
    assert.deepEqual(pairs[0]!.sent, before, 'ten admissions, ten releases, ten token counts: no message');
    states[0]!.report();
    await settle();
    const window = await server.memory.peek('rpm:k', MINUTE);
    assert.equal(window.curr - server.memory.reservedOf('rpm:k'), 11, 'the reported spends are in the window');
  });

  test('near the limit there is no allowance: every admission asks the primary', async () => {
    const clock = { t: 1_000 };
    const { pairs, states } = cluster(2, clock);
    for (let i = 0; i < 10; i++) assert.ok((await states[i % 2]!.admitAll(rpmCheck(10))).allowed);
    assert.equal(states[0]!.allowance(rpmCheck(10)), undefined);
    assert.equal(pairs[0]!.sent.toPrimary + pairs[1]!.sent.toPrimary, 10);
    assert.equal((await states[0]!.admitAll(rpmCheck(10))).allowed, false);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    test(`rpm exact under interleavings of two workers (seed ${seed}): never more, never fewer than the limit`, async () => {
      const clock = { t: 5_000 };
      const { states } = cluster(2, clock);
      const rand = random(seed);
      const limit = 150 + Math.floor(rand() * 100);
      const pending: Promise<LimitVerdict>[] = [];
      /** Verdicts in the order the workers learn them. */
      const learnt: boolean[] = [];
      // Bursts of 1–8 requests on one worker, so each often keeps part of its block while the
      // other works; messages delivered between bursts, or not yet. In the second half worker 1
      // takes most of the traffic: worker 0 sits on what it holds when the limit comes.
      while (pending.length < limit + 10) {
        const w = rand() < (pending.length < limit / 2 ? 0.5 : 0.1) ? 0 : 1;
        const burst = 1 + Math.floor(rand() * 8);
        for (let i = 0; i < burst; i++) {
          const v = states[w]!.admitAll(rpmCheck(limit));
          void v.then((x) => learnt.push(x.allowed));
          pending.push(v);
        }
        const r = rand();
        if (r < 0.5) await settle(1 + Math.floor(rand() * 4));
        else if (r < 0.6) states[w]!.report();
      }
      const verdicts = await Promise.all(pending);
      assert.equal(verdicts.filter((v) => v.allowed).length, limit, 'never more');
      // The first refusal comes only once every unit is spent, wherever it was held.
      assert.equal(learnt.indexOf(false), limit, 'never fewer: nothing refused before the limit was reached');
      assert.ok(verdicts.every((v) => v.allowed || v.refused === 'rpm'));
    });
  }

  test('recall: room one worker holds is handed back when the other needs it', async () => {
    const clock = { t: 5_000 };
    const { server, states } = cluster(2, clock);
    const check = rpmCheck(100);
    assert.ok((await states[0]!.admitAll(check)).allowed);
    const block = states[0]!.allowance(check)!.rpm;
    assert.ok(block >= 4, 'worker 1 holds a block');
    // Worker 1 spends part of it and tells no one yet.
    for (let i = 0; i < 3; i++) assert.ok((await states[0]!.admitAll(check)).allowed);
    let admitted = 4;
    for (;;) {
      const v = await states[1]!.admitAll(check);
      if (!v.allowed) {
        assert.equal(v.refused, 'rpm');
        break;
      }
      admitted++;
    }
    assert.equal(admitted, 100, 'worker 2 got every unit worker 1 had not spent');
    assert.equal(states[0]!.allowance(check)?.open ?? false, false, 'worker 1 gave its allowance back');
    assert.equal((await states[0]!.admitAll(check)).allowed, false);
    assert.equal(server.memory.reservedOf('rpm:k'), 0);
    assert.equal((await server.memory.peek('rpm:k', MINUTE)).curr, 100, 'worker 1’s unreported spends came with the recall');
  });

  test('rpm: spends reported a window later count in the window they were spent in', async () => {
    const clock = { t: 10_000 };
    const { server, states } = cluster(1, clock);
    const check = rpmCheck(1_000);
    for (let i = 0; i < 21; i++) assert.ok((await states[0]!.admitAll(check)).allowed);
    assert.ok(server.allowanceOf(1).rpm > 0, 'spent from an allowance');
    // Half-way through the next fixed window the primary hears of them.
    clock.t = MINUTE + 30_000;
    states[0]!.lapse();
    states[0]!.lapse();
    states[0]!.report();
    await settle();
    assert.equal(server.memory.reservedOf('rpm:k'), 0, 'the rest lapsed back');
    const w = await server.memory.peek('rpm:k', MINUTE);
    assert.deepEqual([w.prev, w.curr], [21, 0], 'counted in the previous window, where they were spent');
    assert.equal(estimate(w), 10.5, 'weighing what they would had they been counted at once');
    // And the sliding window admits exactly what one process would: 1000 − 10.5.
    let admitted = 0;
    while ((await states[0]!.admitAll(check)).allowed) admitted++;
    assert.equal(admitted, 989);
  });

  test('rpm: the primary counts unreported spends in full, so a late report never lets a limit be exceeded', async () => {
    const clock = { t: 50_000 };
    const { server, states } = cluster(2, clock);
    const check = rpmCheck(200);
    assert.ok((await states[0]!.admitAll(check)).allowed);
    const block = states[0]!.allowance(check)!.rpm;
    for (let i = 0; i < block; i++) assert.ok((await states[0]!.admitAll(check)).allowed, 'spent locally');
    // The next fixed window starts; worker 1's spends (window 0) are still unreported.
    clock.t = MINUTE + 1;
    let admitted = 1 + block;
    while ((await states[1]!.admitAll(check)).allowed) admitted++;
    const w = await server.memory.peek('rpm:k', MINUTE);
    assert.equal(server.memory.reservedOf('rpm:k'), 0);
    // What one process would allow at this instant: everything counted where it was spent.
    assert.ok(estimate(w) <= 200 && estimate(w) > 199, `the window is full, not over: ${estimate(w)}`);
    assert.equal(w.prev, 1 + block + (admitted - 1 - block - w.curr), 'worker 1’s spends in the previous window');
  });

  test('concurrency exact across two workers: never more in flight than the limit, no refusal below it', async () => {
    const clock = { t: 1_000 };
    const { server, states } = cluster(2, clock);
    const limit = 48;
    const check = concCheck(limit);
    const rand = random(7);
    const held: Lease[] = [];
    let refusals = 0;
    for (let step = 0; step < 600; step++) {
      const w = rand() < 0.5 ? 0 : 1;
      if (rand() < 0.55) {
        const inFlight = held.length;
        const v = await states[w]!.admitAll(check);
        if (v.allowed) {
          held.push(v.lease!);
          assert.ok(held.length <= limit, 'never more than the limit');
        } else {
          refusals++;
          assert.equal(inFlight, limit, 'refused only when every slot is taken');
        }
      } else if (held.length > 0) {
        held.splice(Math.floor(rand() * held.length), 1)[0]!.release();
      }
      if (rand() < 0.1) states[w]!.report();
      if (rand() < 0.3) await settle(2);
    }
    assert.ok(refusals > 0, 'the limit was reached');
    for (const l of held.splice(0)) l.release();
    for (const s of states) {
      s.lapse();
      s.lapse();
      s.report();
    }
    await settle();
    assert.equal(server.heldBy(1) + server.heldBy(2), 0, 'every slot back');
    assert.equal(server.memory.slotsHeld('conc:k'), 0);
  });

  test('a dead worker’s allowance: slots free at once, rpm units it may have spent counted', async () => {
    const clock = { t: 1_000 };
    const { server, pairs, states } = cluster(2, clock);
    const check: LimitCheck = { ...concCheck(40), ...rpmCheck(1_000) };
    const first = await states[0]!.admitAll(check);
    assert.ok(first.allowed);
    const mine = server.allowanceOf(1);
    assert.ok(mine.slots >= 2 && mine.rpm >= 4, `worker 1 holds a block: ${JSON.stringify(mine)}`);
    pairs[0]!.cut();
    assert.equal(server.detach(1), mine.slots + 1, 'its allowance’s slots and its exact one');
    assert.equal(server.memory.slotsHeld('conc:k'), 0, 'free at once');
    assert.equal(server.memory.reservedOf('rpm:k'), 0);
    assert.equal((await server.memory.peek('rpm:k', MINUTE)).curr, 1 + mine.rpm, 'what it could have spent counts as spent');
    const leases: Lease[] = [];
    for (;;) {
      const v = await states[1]!.admitAll(check);
      if (!v.allowed) {
        assert.equal(v.refused, 'concurrency');
        break;
      }
      leases.push(v.lease!);
    }
    assert.equal(leases.length, 40, 'worker 2 gets every slot');
  });

  test('tpm: a share admits until used up; an overshoot that fills the minute recalls the other worker’s share', async () => {
    const clock = { t: 1_000 };
    const { server, states } = cluster(2, clock);
    const check: LimitCheck = { tpm: { name: 'tpm:k', windowMs: MINUTE, limit: 80_000 } };
    assert.ok((await states[0]!.admitAll(check)).allowed);
    assert.ok((await states[1]!.admitAll(check)).allowed);
    const share = states[1]!.allowance(check)!.tokens;
    assert.ok(share > 1000, 'worker 2 holds a share of the minute');
    assert.ok((await states[1]!.admitAll(check)).allowed, 'admitted from it');
    // Worker 1's request used far more than its share: the minute is full.
    await states[0]!.add('tpm:k', MINUTE, 80_000);
    await settle();
    assert.equal(states[1]!.allowance(check)?.open ?? false, false, 'worker 2’s share was recalled');
    const v = await states[1]!.admitAll(check);
    assert.equal(v.allowed, false);
    assert.equal(!v.allowed && v.refused, 'tpm');
    assert.equal(server.memory.reservedOf('tpm:k'), 0);
  });

  // A request that overshoots its worker's share is known to the others once its report and the
  // recall have crossed the channel (docs/operations.md): here every count has arrived before the
  // next admission, as it has with one process.
  test('tpm: with each count arrived, exact: admitted while the minute has room, the request after it fills refused', async () => {
    const clock = { t: 1_000 };
    const { states } = cluster(2, clock);
    const check: LimitCheck = { tpm: { name: 'tpm:k', windowMs: MINUTE, limit: 10_000 } };
    let used = 0;
    let admitted = 0;
    for (let i = 0; ; i++) {
      const s = states[i % 2]!;
      const v = await s.admitAll(check);
      if (!v.allowed) break;
      admitted++;
      await s.add('tpm:k', MINUTE, 100);
      used += 100;
      if (i % 7 === 0) s.report();
      await settle();
    }
    assert.equal(used, 10_000, 'admitted while the minute had room, the last one filling it');
    assert.equal(admitted, 100);
  });

  test('an unused allowance lapses back to the primary', async () => {
    const clock = { t: 1_000 };
    const { server, states } = cluster(2, clock);
    const check: LimitCheck = { ...concCheck(100), ...rpmCheck(1_000) };
    const exact = await states[0]!.admitAll(check);
    assert.ok(exact.allowed);
    exact.lease!.release();
    const v = await states[0]!.admitAll(check);
    assert.ok(v.allowed);
    assert.equal(states[0]!.allowance(check)?.inUse, 1, 'from the allowance');
    assert.ok(server.allowanceOf(1).rpm > 0);
    states[0]!.lapse();
    assert.ok(states[0]!.allowance(check)?.open, 'used in the last period: kept');
    states[0]!.lapse();
    await settle();
    assert.deepEqual(server.allowanceOf(1), { rpm: 0, slots: 1, tokens: 0 }, 'all back but the slot in use');
    v.lease!.release();
    await settle();
    assert.deepEqual(server.allowanceOf(1), { rpm: 0, slots: 0, tokens: 0 });
    assert.equal(server.memory.slotsHeld('conc:k'), 0);
  });
});
