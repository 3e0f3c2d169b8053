// The primary's half of cross-worker state (ipc-state.ts is the workers' half): one MemoryState for
// the whole gateway, answered one operation at a time, so limits are exact across workers; the
// concurrency slots each worker holds, released at once when that worker exits; and allowances.
//
// Allowances (docs/operations.md, "Cross-worker state: allowances"): while a key's
// limits are far from reached, the answer to an admission also grants the worker a block of room
// — rpm units, concurrency slots, tpm headroom — that it spends on its own, with no call. The room
// granted stays reserved here until the worker reports it spent (rpm units with the fixed window
// they were spent in, so the sliding window counts them as if taken on time; tokens likewise) or
// hands it back, so the sum over the workers never exceeds a limit. Blocks are a quarter of the
// remaining room divided by the number of workers, at most MAX_*_BLOCK; near a limit there are none
// and every admission is a call, as without allowances. When an admission would be refused while
// room is reserved in allowances, the primary recalls those allowances first (each worker hands
// back what it has not spent and reports what it has), then decides: it refuses only what one
// process would refuse.

import { MemoryState } from '../state/memory.ts';
import type { Lease, LimitCheck, LimitVerdict } from '../state/types.ts';
import { ALLOWANCE_OPS, STATE_OPS, type AllowanceReport, type Grant } from './ipc-state.ts';
import type { Link } from './link.ts';

/** At most this much of each limit in one worker's allowance. */
export const MAX_RPM_BLOCK = 128;
export const MAX_SLOT_BLOCK = 16;
/** Smaller rpm blocks are not worth a grant: the key is near its limit, every admission is a call. */
export const MIN_RPM_BLOCK = 4;
/** A grant is at most 1/(SHARE × workers) of what is left of a limit. */
const SHARE = 4;
/** A worker that does not hand back a recalled allowance within this long is decided without it. */
export const RECALL_TIMEOUT_MS = 1000;

/** What one worker holds of one allowance, as the primary counts it (reserved in `state`). */
interface Held {
  check: LimitCheck;
  rpm: number;
  /** Slots held, the worker's in use among them. */
  slots: number;
  /**
   * Token headroom left, as the worker counts it once its reports are in: below zero when its
   * requests used more than granted (those tokens are in the window; only the positive part is
   * reserved). The worker keeps the same count, less what it has not reported.
   */
  tokens: number;
}

type AdmitReply =
  | { allowed: false; refused: 'tpm' | 'concurrency' | 'rpm'; waitMs: number }
  | { allowed: true; leased?: boolean; grant?: Grant };

export interface StateServerOptions {
  recallTimeoutMs?: number;
}

export class StateServer {
  private readonly state: MemoryState;
  private readonly now: () => number;
  private readonly recallTimeoutMs: number;
  /** worker id -> lease id -> slot. */
  private readonly leases = new Map<number, Map<number, Lease>>();
  private readonly links = new Map<number, Link>();
  /** worker id -> allowance signature (ipc-state.ts signatureOf) -> what it holds. */
  private readonly allowances = new Map<number, Map<string, Held>>();
  /** Counter name -> the recall under way for it: admissions of that counter wait for it. */
  private readonly recalling = new Map<string, Promise<void>>();

  constructor(now: () => number = Date.now, options: StateServerOptions = {}) {
    this.now = now;
    this.state = new MemoryState(now);
    this.recallTimeoutMs = options.recallTimeoutMs ?? RECALL_TIMEOUT_MS;
  }

  /** Serves the state operations of one worker's link. */
  attach(workerId: number, link: Link): void {
    const held = new Map<number, Lease>();
    this.leases.set(workerId, held);
    this.links.set(workerId, link);
    this.allowances.set(workerId, new Map());
    link.handle(STATE_OPS.consume, ([name, windowMs, limit, cost]) =>
      this.state.consumeSync(name as string, windowMs as number, limit as number, cost as number),
    );
    link.handle(STATE_OPS.add, ([name, windowMs, amount]) => {
      void this.state.add(name as string, windowMs as number, amount as number);
      this.afterTokens(name as string);
    });
    link.handle(STATE_OPS.peek, ([name, windowMs]) => this.state.peek(name as string, windowMs as number));
    link.handle(STATE_OPS.acquire, ([name, limit, id]) => {
      const lease = this.state.acquireSync(name as string, limit as number);
      if (!lease) return false;
      held.set(id as number, lease);
      return true;
    });
    link.handle(STATE_OPS.admit, ([check, id, sig, inUse]) =>
      this.admit(workerId, check as LimitCheck, id as number, sig as string | undefined, (inUse as number | undefined) ?? 0),
    );
    link.handle(ALLOWANCE_OPS.more, ([check, sig, inUse]) => this.grant(workerId, check as LimitCheck, sig as string, inUse as number) ?? null);
    link.handle(ALLOWANCE_OPS.report, ([sig, report, check]) => this.apply(workerId, sig as string, report as AllowanceReport, check as LimitCheck));
    link.handle(STATE_OPS.counterAdd, ([name, amount]) => this.state.addToCounter(name as string, amount as number));
    link.handle(STATE_OPS.counterRead, ([name]) => this.state.readCounter(name as string));
    link.handle(STATE_OPS.counterSeed, ([name, value, expiresAt]) => this.state.seedCounter(name as string, value as number, expiresAt as number));
    link.handle(STATE_OPS.release, ([id]) => {
      const lease = held.get(id as number);
      if (!lease) return;
      held.delete(id as number);
      lease.release();
    });
  }

  /**
   * The worker is gone: every slot it held is free again, and so is the room of its allowances —
   * except rpm units, which the primary cannot tell spent from unspent (spends are reported every
   * REPORT_MS): they count as spent now and slide out of the window like any request, so a crash
   * never lets a key exceed its limit. Returns how many slots it held.
   */
  detach(workerId: number): number {
    const held = this.leases.get(workerId);
    this.leases.delete(workerId);
    this.links.delete(workerId);
    const allowances = this.allowances.get(workerId);
    this.allowances.delete(workerId);
    let slots = 0;
    for (const a of allowances?.values() ?? []) {
      slots += a.slots;
      this.drop(a, true);
    }
    if (!held) return slots;
    for (const lease of held.values()) lease.release();
    return slots + held.size;
  }

  /** Slots held per worker, allowances' included (tests, logs). */
  heldBy(workerId: number): number {
    let slots = this.leases.get(workerId)?.size ?? 0;
    for (const a of this.allowances.get(workerId)?.values() ?? []) slots += a.slots;
    return slots;
  }

  /** What a worker's allowances hold, summed (tests). */
  allowanceOf(workerId: number): { rpm: number; slots: number; tokens: number } {
    const sum = { rpm: 0, slots: 0, tokens: 0 };
    for (const a of this.allowances.get(workerId)?.values() ?? []) {
      sum.rpm += a.rpm;
      sum.slots += a.slots;
      sum.tokens += a.tokens;
    }
    return sum;
  }

  /** The shared store itself (tests: the windows as the primary counts them). */
  get memory(): MemoryState {
    return this.state;
  }

  private admit(workerId: number, check: LimitCheck, id: number, sig: string | undefined, inUse: number): AdmitReply | Promise<AdmitReply> {
    const wait = this.recallOf(check);
    if (wait) return wait.then(() => this.admit(workerId, check, id, sig, inUse));
    const verdict = this.state.admitSync(check);
    if (!verdict.allowed && this.heldElsewhere(check, verdict.refused)) {
      // Refused perhaps only because of room allowances hold: get it back, then decide.
      const recall = this.recall(check);
      return recall.then(() => this.finish(workerId, check, id, sig, inUse, this.state.admitSync(check)));
    }
    return this.finish(workerId, check, id, sig, inUse, verdict);
  }

  private finish(workerId: number, check: LimitCheck, id: number, sig: string | undefined, inUse: number, verdict: LimitVerdict): AdmitReply {
    if (!verdict.allowed) return verdict;
    let leased = false;
    if (verdict.lease) {
      const held = this.leases.get(workerId);
      // The worker died while its admission waited on a recall: nobody will release this slot.
      if (held) held.set(id, verdict.lease);
      else verdict.lease.release();
      leased = true;
    }
    const grant = sig === undefined ? undefined : this.grant(workerId, check, sig, inUse);
    return { allowed: true, ...(leased ? { leased } : {}), ...(grant ? { grant } : {}) };
  }

  /**
   * Tops a worker's allowance up to one block of each of the check's limits, or nothing when any
   * of them is near its limit (or being recalled). The block is reserved at once.
   */
  private grant(workerId: number, check: LimitCheck, sig: string, inUse: number): Grant | undefined {
    const mine = this.allowances.get(workerId);
    if (!mine || this.recallOf(check)) return undefined;
    const n = Math.max(1, this.links.size);
    const cur = mine.get(sig);
    let rpm = 0;
    let slots = 0;
    let tokens = 0;
    let blocks: [number, number, number] = [0, 0, 0];
    if (check.rpm) {
      const room = this.state.roomOf(check.rpm.name, check.rpm.windowMs, check.rpm.limit);
      const block = Math.min(MAX_RPM_BLOCK, Math.floor(room / (SHARE * n)));
      if (block < MIN_RPM_BLOCK) return undefined;
      rpm = Math.max(0, block - (cur?.rpm ?? 0));
      blocks[0] = block;
    }
    if (check.concurrency) {
      const free = check.concurrency.limit - this.state.slotsHeld(check.concurrency.name);
      const block = Math.min(MAX_SLOT_BLOCK, Math.floor(free / (SHARE * n)));
      if (block < 1) return undefined;
      // Enough for what the worker has in flight on its allowance, and a block more.
      slots = Math.min(block, Math.max(0, inUse + block - (cur?.slots ?? 0)));
      blocks[1] = block;
    }
    if (check.tpm) {
      const room = this.state.roomOf(check.tpm.name, check.tpm.windowMs, check.tpm.limit);
      const block = Math.floor(room / (SHARE * n));
      if (block < 1) return undefined;
      tokens = Math.max(0, block - (cur?.tokens ?? 0));
      blocks[2] = block;
    }
    if (rpm === 0 && slots === 0 && tokens === 0) return undefined;
    if (check.concurrency && slots > 0 && !this.state.acquireMany(check.concurrency.name, check.concurrency.limit, slots)) return undefined;
    if (check.rpm) this.state.reserve(check.rpm.name, rpm);
    const a = cur ?? { check, rpm: 0, slots: 0, tokens: 0 };
    a.check = check;
    a.rpm += rpm;
    a.slots += slots;
    this.setTokens(a, a.tokens + tokens);
    mine.set(sig, a);
    blocks = blocks.map((b) => Math.max(1, Math.floor(b / 2))) as [number, number, number];
    return [rpm, slots, tokens, ...blocks];
  }

  /** A worker's report (one-way, or the answer to a recall): spends counted, room handed back. */
  private apply(workerId: number, sig: string, r: AllowanceReport, check: LimitCheck, recalled = false): void {
    // A worker detached already (its rpm units counted as spent then) has nothing more to say.
    const mine = this.allowances.get(workerId);
    if (!mine) return;
    const a = mine.get(sig) ?? { check, rpm: 0, slots: 0, tokens: 0 };
    if (check.rpm) {
      for (const [index, n] of r.spent) {
        this.state.addAt(check.rpm.name, check.rpm.windowMs, n, index);
        const d = Math.min(a.rpm, n);
        a.rpm -= d;
        this.state.unreserve(check.rpm.name, d);
      }
      const back = Math.min(a.rpm, r.returned[0]);
      a.rpm -= back;
      this.state.unreserve(check.rpm.name, back);
    }
    if (check.concurrency) {
      const back = Math.min(a.slots, r.returned[1] + r.released);
      a.slots -= back;
      this.state.releaseMany(check.concurrency.name, back);
    }
    if (check.tpm) {
      for (const [index, amount] of r.tokens) {
        this.state.addAt(check.tpm.name, check.tpm.windowMs, amount, index);
        this.setTokens(a, a.tokens - amount);
      }
      this.setTokens(a, a.tokens - r.returned[2]);
    }
    if (recalled) {
      // The worker has reported every spend and handed back all it had: nothing else is reserved.
      if (check.rpm) this.state.unreserve(check.rpm.name, a.rpm);
      a.rpm = 0;
      this.setTokens(a, 0);
    }
    // The worker has forgotten it, holding nothing (until then it may still charge tokens to it).
    if (r.done) mine.delete(sig);
    // Used beyond the share: one request may overshoot, but then the others must wait.
    if (check.tpm && r.tokens.length > 0 && a.tokens < 1) this.afterTokens(check.tpm.name);
  }

  /** Sets a share's tokens; only the positive part is reserved. */
  private setTokens(a: Held, tokens: number): void {
    if (!a.check.tpm) return;
    const before = Math.max(0, a.tokens);
    const after = Math.max(0, tokens);
    a.tokens = tokens;
    if (after > before) this.state.reserve(a.check.tpm.name, after - before);
    else this.state.unreserve(a.check.tpm.name, before - after);
  }

  /**
   * Tokens were counted beyond a worker's share (one request may overshoot, limits/admission.ts):
   * if the minute is now full, the other workers' shares must not admit more — recall them.
   */
  private afterTokens(name: string): void {
    if (this.state.reservedOf(name) <= 0 || this.recalling.has(name)) return;
    for (const mine of this.allowances.values()) {
      for (const a of mine.values()) {
        if (a.check.tpm?.name !== name) continue;
        if (this.state.roomOf(name, a.check.tpm.windowMs, a.check.tpm.limit) < 1) void this.recall(a.check);
        return;
      }
    }
  }

  private drop(a: Held, dead: boolean): void {
    const { check } = a;
    if (check.rpm) {
      this.state.unreserve(check.rpm.name, a.rpm);
      if (dead) this.state.addAt(check.rpm.name, check.rpm.windowMs, a.rpm, Math.floor(this.now() / check.rpm.windowMs));
    }
    if (check.concurrency) this.state.releaseMany(check.concurrency.name, a.slots);
    if (check.tpm) this.state.unreserve(check.tpm.name, Math.max(0, a.tokens));
  }

  private namesOf(check: LimitCheck): string[] {
    const names: string[] = [];
    if (check.tpm) names.push(check.tpm.name);
    if (check.concurrency) names.push(check.concurrency.name);
    if (check.rpm) names.push(check.rpm.name);
    return names;
  }

  private recallOf(check: LimitCheck): Promise<void> | undefined {
    for (const name of this.namesOf(check)) {
      const p = this.recalling.get(name);
      if (p) return p;
    }
    return undefined;
  }

  /** Whether allowances hold room of the limit that refused (slots: free or not, the primary cannot tell). */
  private heldElsewhere(check: LimitCheck, refused: 'tpm' | 'concurrency' | 'rpm'): boolean {
    if (refused === 'rpm') return this.state.reservedOf(check.rpm!.name) > 0;
    if (refused === 'tpm') return this.state.reservedOf(check.tpm!.name) > 0;
    const name = check.concurrency!.name;
    for (const mine of this.allowances.values()) {
      for (const a of mine.values()) if (a.check.concurrency?.name === name && a.slots > 0) return true;
    }
    return false;
  }

  /**
   * Asks every worker holding an allowance on one of the check's counters to hand it back (and
   * report its spends); resolves when all have answered, or after recallTimeoutMs. Admissions of
   * those counters wait for it, in the order they came.
   */
  private recall(check: LimitCheck): Promise<void> {
    const names = new Set(this.namesOf(check));
    const calls: Promise<void>[] = [];
    for (const [workerId, mine] of this.allowances) {
      const link = this.links.get(workerId);
      if (!link) continue;
      for (const [sig, a] of mine) {
        if (!this.namesOf(a.check).some((n) => names.has(n))) continue;
        // Holding nothing here means holding nothing there, and nothing unreported.
        if (a.rpm <= 0 && a.slots <= 0 && a.tokens <= 0) continue;
        calls.push(
          link.call<AllowanceReport>(ALLOWANCE_OPS.recall, [sig], this.recallTimeoutMs).then(
            (report) => this.apply(workerId, sig, report, a.check, true),
            () => {},
          ),
        );
      }
    }
    const done = Promise.all(calls).then(() => {
      for (const name of names) if (this.recalling.get(name) === done) this.recalling.delete(name);
    });
    for (const name of names) this.recalling.set(name, done);
    return done;
  }
}
