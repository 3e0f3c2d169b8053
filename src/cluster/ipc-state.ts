// Shared state for cluster workers without Redis (SPEC §11): the primary owns one MemoryState for
// the whole gateway (state-server.ts) and every worker asks it over the IPC link — or decides
// from an allowance the primary granted and holds reserved (below) — so an rpm, tpm or
// concurrency limit holds exactly across workers: the primary answers one request at a time, the
// same check-and-count a single process does.
//
// A concurrency slot is held in the primary under the worker's name; when a worker dies the
// primary releases its slots at once (no TTL needed). Circuit states travel separately
// (circuits.ts): they are pushed, not polled.
//
// Allowances (state-server.ts has the primary's half; docs/operations.md, "Cross-worker state:
// allowances"): while a key is far from its limits, the primary's answer grants this
// worker a block of rpm units, concurrency slots and tpm headroom, and admissions the block covers
// are decided here, with no call. Spends (rpm units by the fixed window they fell in, tokens
// likewise) and slots given back travel in one-way reports at most every REPORT_MS; a slot freed
// stays here for the next request. When the block runs low, one call in the background tops it
// up; when it is empty (the key is near a limit) admissions are calls again. The primary may
// recall an allowance: this worker then hands back all it has not spent, with its spends. An
// allowance unused for LAPSE_MS is handed back on its own.
//
// The primary is this process's parent and answers within microseconds; should it not answer in
// CALL_TIMEOUT_MS (a primary stalled by something), the call falls back to this worker's own
// counters rather than hang the request, and says so once in the log.

import { MemoryState } from '../state/memory.ts';
import type { ConsumeResult, Lease, LimitCheck, LimitVerdict, SharedCircuit, SharedState } from '../state/types.ts';
import type { WindowSnapshot } from '../state/window.ts';
import type { Link } from './link.ts';

export const CALL_TIMEOUT_MS = 2000;
/** Spends and returns wait at most this long to be reported (with the fixed window they fell in). */
export const REPORT_MS = 50;
/** An allowance no request used for this long (one to two periods) is handed back. */
export const LAPSE_MS = 1000;

export const ALLOWANCE_OPS = {
  /** worker → primary call: top my allowance up; answers a Grant or null. */
  more: 'al.more',
  /** worker → primary post: signature, AllowanceReport, LimitCheck. */
  report: 'al.report',
  /** primary → worker call: hand back the allowance; answers an AllowanceReport. */
  recall: 'al.recall',
} as const;

/** Granted rpm units, slots, tpm tokens; then the levels under which to ask for more. */
export type Grant = [rpm: number, slots: number, tokens: number, lowRpm: number, lowSlots: number, lowTokens: number];

/** What a worker tells the primary about one allowance. */
export interface AllowanceReport {
  /** rpm units spent: [fixed window index (floor(time / windowMs)), count]. */
  spent: Array<[number, number]>;
  /** Tokens used by the key's requests on this worker: [fixed window index, tokens]. */
  tokens: Array<[number, number]>;
  /** Handed back unspent: rpm units, free slots, tokens (below zero: a debt cancelled). */
  returned: [number, number, number];
  /** Slots of the allowance freed and given back (after a recall or lapse). */
  released: number;
  /** The worker holds nothing more of it and forgets it: so does the primary. */
  done?: boolean;
}

/** This worker's side of one allowance. */
interface Allowance {
  sig: string;
  check: LimitCheck;
  /** Open: may admit (closed by a recall or a lapse until the next grant). */
  open: boolean;
  rpm: number;
  slots: number;
  inUse: number;
  /** Token headroom left; below zero when a request overshot it. */
  tokens: number;
  low: [number, number, number];
  asking: boolean;
  /** Calls in flight that may bring a grant: the allowance is not forgotten meanwhile. */
  calls: number;
  used: boolean;
  spent: Map<number, number>;
  tokensUsed: Map<number, number>;
  returned: [number, number, number];
  released: number;
}

export interface IpcStateOptions {
  now?: () => number;
  /** 0: no timers (tests call report() and lapse() themselves). */
  reportMs?: number;
  lapseMs?: number;
}

/** One allowance per distinct set of limits (a reload that changes a limit starts a new one). */
export function signatureOf(check: LimitCheck): string {
  const { tpm, concurrency: c, rpm } = check;
  return `${tpm ? `${tpm.name}/${tpm.limit}/${tpm.windowMs}` : ''}|${c ? `${c.name}/${c.limit}` : ''}|${rpm ? `${rpm.name}/${rpm.limit}/${rpm.windowMs}` : ''}`;
}

export const STATE_OPS = {
  consume: 'st.consume',
  add: 'st.add',
  peek: 'st.peek',
  acquire: 'st.acquire',
  release: 'st.release',
  admit: 'st.admit',
  counterAdd: 'st.cadd',
  counterRead: 'st.cread',
  counterSeed: 'st.cseed',
} as const;

export class IpcState implements SharedState {
  readonly shared = true;
  private readonly link: Link;
  private readonly local = new MemoryState();
  private readonly onFallback: (err: Error) => void;
  private leases = 0;
  private readonly now: () => number;
  private readonly reportMs: number;
  private readonly allowances = new Map<string, Allowance>();
  /** tpm counter name -> the allowance its tokens are charged to. */
  private readonly byTpm = new Map<string, Allowance>();
  private readonly dirty = new Set<Allowance>();
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly lapseTimer: NodeJS.Timeout | undefined;

  constructor(link: Link, onFallback: (err: Error) => void = () => {}, options: IpcStateOptions = {}) {
    this.link = link;
    this.onFallback = onFallback;
    this.now = options.now ?? Date.now;
    this.reportMs = options.reportMs ?? REPORT_MS;
    const lapseMs = options.lapseMs ?? LAPSE_MS;
    if (lapseMs > 0) {
      this.lapseTimer = setInterval(() => this.lapse(), lapseMs);
      this.lapseTimer.unref();
    }
    link.handle(ALLOWANCE_OPS.recall, ([sig]) => this.recalled(sig as string));
  }

  async consume(name: string, windowMs: number, limit: number, cost: number): Promise<ConsumeResult> {
    try {
      return await this.link.call<ConsumeResult>(STATE_OPS.consume, [name, windowMs, limit, cost], CALL_TIMEOUT_MS);
    } catch (err) {
      this.onFallback(err as Error);
      return this.local.consume(name, windowMs, limit, cost);
    }
  }

  async add(name: string, windowMs: number, amount: number): Promise<void> {
    const a = this.byTpm.get(name);
    if (!a || !a.open) {
      this.link.post(STATE_OPS.add, name, windowMs, amount);
      return;
    }
    // Charged to this worker's share of the minute's headroom; reported with the window it fell in.
    const index = Math.floor(this.now() / windowMs);
    a.tokensUsed.set(index, (a.tokensUsed.get(index) ?? 0) + amount);
    a.tokens -= amount;
    // Beyond the share: the primary must know now (it may have to stop the other workers' shares).
    if (a.tokens < 1) this.reportNow(a);
    else this.changed(a);
  }

  async peek(name: string, windowMs: number): Promise<WindowSnapshot> {
    try {
      return await this.link.call<WindowSnapshot>(STATE_OPS.peek, [name, windowMs], CALL_TIMEOUT_MS);
    } catch (err) {
      this.onFallback(err as Error);
      return this.local.peek(name, windowMs);
    }
  }

  async acquire(name: string, limit: number, ttlMs: number): Promise<Lease | undefined> {
    const id = ++this.leases;
    let taken: boolean;
    try {
      taken = await this.link.call<boolean>(STATE_OPS.acquire, [name, limit, id], CALL_TIMEOUT_MS);
    } catch (err) {
      // The slot may have been taken after all: give it back (a no-op otherwise).
      this.link.post(STATE_OPS.release, id);
      this.onFallback(err as Error);
      return this.local.acquire(name, limit, ttlMs);
    }
    if (!taken) return undefined;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.link.post(STATE_OPS.release, id);
      },
    };
  }

  /** Every limit of a request in one call to the primary (one round trip instead of three). */
  async admitAll(check: LimitCheck): Promise<LimitVerdict> {
    const sig = signatureOf(check);
    const mine = this.allowances.get(sig);
    if (mine && this.covers(mine)) return this.spend(mine);
    const id = check.concurrency ? ++this.leases : 0;
    if (mine && this.dirty.delete(mine)) this.post(mine);
    if (mine) mine.calls++;
    let verdict: { allowed: boolean; refused?: 'tpm' | 'concurrency' | 'rpm'; waitMs?: number; leased?: boolean; grant?: Grant };
    try {
      verdict = await this.link.call(STATE_OPS.admit, [check, id, sig, mine?.inUse ?? 0], CALL_TIMEOUT_MS);
      if (mine) mine.calls--;
    } catch (err) {
      if (mine) mine.calls--;
      if (id !== 0) this.link.post(STATE_OPS.release, id);
      this.onFallback(err as Error);
      return this.local.admitSync(check);
    }
    if (verdict.grant) this.granted(sig, check, verdict.grant);
    if (!verdict.allowed) return { allowed: false, refused: verdict.refused!, waitMs: verdict.waitMs ?? 0 };
    if (!verdict.leased) return { allowed: true };
    let released = false;
    const lease: Lease = {
      release: () => {
        if (released) return;
        released = true;
        this.link.post(STATE_OPS.release, id);
      },
    };
    return { allowed: true, lease };
  }

  /** Sends every pending report now (the timer's work; tests call it). */
  report(): void {
    if (this.reportTimer) clearTimeout(this.reportTimer);
    this.reportTimer = undefined;
    for (const a of this.dirty) this.post(a);
    this.dirty.clear();
  }

  /** Hands back the allowances no request used since the last call (the lapse timer's work). */
  lapse(): void {
    let gave = false;
    for (const a of this.allowances.values()) {
      if (a.used) {
        a.used = false;
        continue;
      }
      if (a.open) {
        this.giveBack(a);
        gave = true;
      }
      if (this.idle(a)) this.forget(a);
    }
    if (gave) this.report();
  }

  /** What this worker's allowances hold (tests). */
  allowance(check: LimitCheck): { rpm: number; slots: number; inUse: number; tokens: number; open: boolean } | undefined {
    const a = this.allowances.get(signatureOf(check));
    return a && { rpm: a.rpm, slots: a.slots, inUse: a.inUse, tokens: a.tokens, open: a.open };
  }

  private covers(a: Allowance): boolean {
    const { check } = a;
    return a.open && (!check.rpm || a.rpm >= 1) && (!check.concurrency || a.slots - a.inUse >= 1) && (!check.tpm || a.tokens >= 1);
  }

  /** An admission decided here, from the allowance. */
  private spend(a: Allowance): LimitVerdict {
    const { check } = a;
    a.used = true;
    if (check.rpm) {
      a.rpm--;
      const index = Math.floor(this.now() / check.rpm.windowMs);
      a.spent.set(index, (a.spent.get(index) ?? 0) + 1);
      this.changed(a);
    }
    if (this.low(a)) this.askMore(a);
    if (!check.concurrency) return { allowed: true };
    a.inUse++;
    let released = false;
    return {
      allowed: true,
      lease: {
        release: () => {
          if (released) return;
          released = true;
          a.inUse--;
          // Recalled or lapsed: the slot goes back to the primary now (near a limit, another
          // worker may be waiting for it); otherwise it stays for this worker's next request.
          if (!a.open) {
            a.slots--;
            a.released++;
            this.reportNow(a);
          }
        },
      },
    };
  }

  private low(a: Allowance): boolean {
    const { check } = a;
    return (!!check.rpm && a.rpm < a.low[0]) || (!!check.concurrency && a.slots - a.inUse < a.low[1]) || (!!check.tpm && a.tokens < a.low[2]);
  }

  private askMore(a: Allowance): void {
    if (a.asking) return;
    a.asking = true;
    a.calls++;
    // The spends first, in the same message: the primary tops up from what is really left.
    if (this.dirty.delete(a)) this.post(a);
    this.link.call<Grant | null>(ALLOWANCE_OPS.more, [a.check, a.sig, a.inUse], CALL_TIMEOUT_MS).then(
      (grant) => {
        a.asking = false;
        a.calls--;
        if (grant) this.granted(a.sig, a.check, grant);
      },
      () => {
        a.asking = false;
        a.calls--;
      },
    );
  }

  private granted(sig: string, check: LimitCheck, [rpm, slots, tokens, ...low]: Grant): void {
    let a = this.allowances.get(sig);
    if (!a) {
      a = {
        sig,
        check,
        open: true,
        rpm: 0,
        slots: 0,
        inUse: 0,
        tokens: 0,
        low: [0, 0, 0],
        asking: false,
        calls: 0,
        used: true,
        spent: new Map(),
        tokensUsed: new Map(),
        returned: [0, 0, 0],
        released: 0,
      };
      this.allowances.set(sig, a);
    }
    if (check.tpm) this.byTpm.set(check.tpm.name, a);
    a.open = true;
    a.rpm += rpm;
    a.slots += slots;
    a.tokens += tokens;
    a.low = low as [number, number, number];
  }

  /** The primary recalls the allowance: everything unspent goes back, with every spend. */
  private recalled(sig: string): AllowanceReport {
    const a = this.allowances.get(sig);
    if (!a) return { spent: [], tokens: [], returned: [0, 0, 0], released: 0 };
    this.giveBack(a);
    this.dirty.delete(a);
    const report = this.take(a);
    if (this.idle(a)) {
      this.drop(a);
      report.done = true;
    }
    return report;
  }

  /** Closes the allowance and hands back all it has not spent (reported with the next report). */
  private giveBack(a: Allowance): void {
    a.open = false;
    a.returned[0] += a.rpm;
    a.returned[1] += a.slots - a.inUse;
    // Below zero (tokens used beyond the share, already counted in the window): the debt is
    // cancelled on both sides, so the next share starts from zero.
    a.returned[2] += a.tokens;
    a.rpm = 0;
    a.slots = a.inUse;
    a.tokens = 0;
    this.changed(a);
  }

  /** Holds nothing and expects nothing: the primary forgets it too on the report that says so. */
  private idle(a: Allowance): boolean {
    return a.rpm === 0 && a.slots === 0 && a.inUse === 0 && a.tokens === 0 && a.calls === 0;
  }

  private forget(a: Allowance): void {
    this.dirty.delete(a);
    this.link.post(ALLOWANCE_OPS.report, a.sig, { ...this.take(a), done: true }, a.check);
    this.drop(a);
  }

  private drop(a: Allowance): void {
    this.allowances.delete(a.sig);
    if (a.check.tpm && this.byTpm.get(a.check.tpm.name) === a) this.byTpm.delete(a.check.tpm.name);
  }

  private changed(a: Allowance): void {
    this.dirty.add(a);
    if (this.reportTimer || this.reportMs <= 0) return;
    this.reportTimer = setTimeout(() => this.report(), this.reportMs);
    this.reportTimer.unref();
  }

  private reportNow(a: Allowance): void {
    this.dirty.delete(a);
    this.post(a);
  }

  private post(a: Allowance): void {
    this.link.post(ALLOWANCE_OPS.report, a.sig, this.take(a), a.check);
  }

  /** The allowance's report so far, cleared. */
  private take(a: Allowance): AllowanceReport {
    const report: AllowanceReport = { spent: [...a.spent], tokens: [...a.tokensUsed], returned: a.returned, released: a.released };
    a.spent.clear();
    a.tokensUsed.clear();
    a.returned = [0, 0, 0];
    a.released = 0;
    return report;
  }

  // Budget counters (limits/budget.ts): kept by the primary too, so a budget holds across workers.
  // Should the primary not answer, this worker's own counter stands in (the budget then seeds it
  // from the store, as after a Redis restart).

  async addToCounter(name: string, amount: number): Promise<number | undefined> {
    try {
      return (await this.link.call<number | null>(STATE_OPS.counterAdd, [name, amount], CALL_TIMEOUT_MS)) ?? undefined;
    } catch (err) {
      this.onFallback(err as Error);
      return this.local.addToCounter(name, amount);
    }
  }

  async readCounter(name: string): Promise<number | undefined> {
    try {
      return (await this.link.call<number | null>(STATE_OPS.counterRead, [name], CALL_TIMEOUT_MS)) ?? undefined;
    } catch (err) {
      this.onFallback(err as Error);
      return this.local.readCounter(name);
    }
  }

  async seedCounter(name: string, value: number, expiresAt: number): Promise<number> {
    try {
      return await this.link.call<number>(STATE_OPS.counterSeed, [name, value, expiresAt], CALL_TIMEOUT_MS);
    } catch (err) {
      this.onFallback(err as Error);
      return this.local.seedCounter(name, value, expiresAt);
    }
  }

  /** Circuit states go through circuits.ts (pushed by the primary); nothing to publish here. */
  async publishCircuit(_target: string, _circuit: SharedCircuit): Promise<void> {}

  async readCircuits(): Promise<Map<string, SharedCircuit>> {
    return new Map();
  }

  async close(): Promise<void> {
    if (this.lapseTimer) clearInterval(this.lapseTimer);
    // Spends not yet reported still count; what is unspent goes back.
    for (const a of this.allowances.values()) if (a.open) this.giveBack(a);
    this.report();
    await this.local.close();
  }
}
