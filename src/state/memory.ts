// Per-instance state: a Map of sliding windows and slot counts. The clock is injected for tests.
// Used alone by a single instance, and as the fallback while Redis is unreachable.

import type { ConsumeResult, Lease, LimitCheck, LimitVerdict, SharedCircuit, SharedState } from './types.ts';
import type { WindowSnapshot } from './window.ts';
import { estimate, fits, waitMs } from './window.ts';

interface Counter {
  /** Index of the current fixed window (floor(now / windowMs)). */
  index: number;
  curr: number;
  prev: number;
}

/** Counters untouched for this many windows are dropped on the next sweep, bounding the Map. */
const IDLE_WINDOWS = 2;
const SWEEP_EVERY = 1024;

export class MemoryState implements SharedState {
  readonly shared = false;
  private readonly now: () => number;
  private readonly windows = new Map<string, Counter & { windowMs: number }>();
  private readonly slots = new Map<string, number>();
  private readonly circuits = new Map<string, SharedCircuit>();
  private readonly counters = new Map<string, { value: number; expiresAt: number }>();
  /**
   * Room of a window set aside outside it (the cluster primary's allowances, state-server.ts): it
   * counts in full, as if just taken, until it is spent (addAt) or handed back (unreserve).
   */
  private readonly reserved = new Map<string, number>();
  private ops = 0;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  async consume(name: string, windowMs: number, limit: number, cost: number): Promise<ConsumeResult> {
    return this.consumeSync(name, windowMs, limit, cost);
  }

  consumeSync(name: string, windowMs: number, limit: number, cost: number): ConsumeResult {
    const { counter, window } = this.counter(name, windowMs);
    const allowed = fits(window, limit, cost);
    if (allowed) counter.curr += cost;
    return { allowed, window };
  }

  /** Sets aside `amount` of a window's room (an allowance granted); counts until spent or handed back. */
  reserve(name: string, amount: number): void {
    if (amount > 0) this.reserved.set(name, (this.reserved.get(name) ?? 0) + amount);
  }

  /** Gives back reserved room. */
  unreserve(name: string, amount: number): void {
    if (!(amount > 0)) return;
    const left = (this.reserved.get(name) ?? 0) - amount;
    if (left > 1e-9) this.reserved.set(name, left);
    else this.reserved.delete(name);
  }

  reservedOf(name: string): number {
    return this.reserved.get(name) ?? 0;
  }

  /**
   * Adds `amount` to the fixed window `index` (floor(time / windowMs) of when it was spent), as if
   * added then: the current window, or the previous one (where it weighs what it would weigh had it
   * been added on time); older ones are out of the sliding window already. A later index (a clock
   * ahead of this one) counts in the current window.
   */
  addAt(name: string, windowMs: number, amount: number, index: number): void {
    const { counter } = this.counter(name, windowMs);
    if (index >= counter.index) counter.curr += amount;
    else if (index === counter.index - 1) counter.prev += amount;
  }

  /** What a window still admits: limit minus its estimate, reserved room included. */
  roomOf(name: string, windowMs: number, limit: number): number {
    return limit - estimate(this.counter(name, windowMs).window);
  }

  /** Takes `n` slots at once if they fit under `limit` (an allowance's block). */
  acquireMany(name: string, limit: number, n: number): boolean {
    const held = this.slots.get(name) ?? 0;
    if (held + n > limit) return false;
    if (n > 0) this.slots.set(name, held + n);
    return true;
  }

  releaseMany(name: string, n: number): void {
    if (!(n > 0)) return;
    const left = (this.slots.get(name) ?? 0) - n;
    if (left <= 0) this.slots.delete(name);
    else this.slots.set(name, left);
  }

  slotsHeld(name: string): number {
    return this.slots.get(name) ?? 0;
  }

  async add(name: string, windowMs: number, amount: number): Promise<void> {
    this.counter(name, windowMs).counter.curr += amount;
  }

  async peek(name: string, windowMs: number): Promise<WindowSnapshot> {
    return this.counter(name, windowMs).window;
  }

  /** No TTL needed: slots live and die with this process. */
  async acquire(name: string, limit: number, _ttlMs?: number): Promise<Lease | undefined> {
    return this.acquireSync(name, limit);
  }

  acquireSync(name: string, limit: number): Lease | undefined {
    if (!this.acquireMany(name, limit, 1)) return undefined;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.releaseMany(name, 1);
      },
    };
  }

  async admitAll(check: LimitCheck): Promise<LimitVerdict> {
    return this.admitSync(check);
  }

  /** LimitCheck in one synchronous step: what the cluster primary answers for its workers. */
  admitSync(check: LimitCheck): LimitVerdict {
    if (check.tpm) {
      const wait = waitMs(this.counter(check.tpm.name, check.tpm.windowMs).window, check.tpm.limit, 1);
      if (wait > 0) return { allowed: false, refused: 'tpm', waitMs: wait };
    }
    let lease: Lease | undefined;
    if (check.concurrency) {
      lease = this.acquireSync(check.concurrency.name, check.concurrency.limit);
      if (!lease) return { allowed: false, refused: 'concurrency', waitMs: 0 };
    }
    if (check.rpm) {
      const r = this.consumeSync(check.rpm.name, check.rpm.windowMs, check.rpm.limit, 1);
      if (!r.allowed) {
        lease?.release();
        return { allowed: false, refused: 'rpm', waitMs: waitMs(r.window, check.rpm.limit, 1) };
      }
    }
    return lease ? { allowed: true, lease } : { allowed: true };
  }

  async addToCounter(name: string, amount: number): Promise<number | undefined> {
    const c = this.liveCounter(name);
    if (!c) return undefined;
    c.value += amount;
    return c.value;
  }

  async readCounter(name: string): Promise<number | undefined> {
    return this.liveCounter(name)?.value;
  }

  async seedCounter(name: string, value: number, expiresAt: number): Promise<number> {
    const c = this.liveCounter(name);
    if (c) return c.value;
    this.counters.set(name, { value, expiresAt });
    return value;
  }

  private liveCounter(name: string): { value: number; expiresAt: number } | undefined {
    const c = this.counters.get(name);
    if (c && c.expiresAt !== 0 && c.expiresAt <= this.now()) {
      this.counters.delete(name);
      return undefined;
    }
    return c;
  }

  async publishCircuit(target: string, circuit: SharedCircuit): Promise<void> {
    this.circuits.set(target, circuit);
  }

  async readCircuits(): Promise<Map<string, SharedCircuit>> {
    return new Map(this.circuits);
  }

  async close(): Promise<void> {}

  private counter(name: string, windowMs: number): { counter: Counter; window: WindowSnapshot } {
    const now = this.now();
    const index = Math.floor(now / windowMs);
    if (++this.ops % SWEEP_EVERY === 0) this.sweep(now);
    let c = this.windows.get(name);
    if (!c || c.windowMs !== windowMs) {
      c = { index, curr: 0, prev: 0, windowMs };
      this.windows.set(name, c);
    } else if (c.index !== index) {
      c.prev = c.index === index - 1 ? c.curr : 0;
      c.curr = 0;
      c.index = index;
    }
    // Reserved room weighs in full, as the current window's would: it may be spent at any moment.
    const curr = c.curr + (this.reserved.get(name) ?? 0);
    return { counter: c, window: { prev: c.prev, curr, elapsedMs: now - index * windowMs, windowMs } };
  }

  private sweep(now: number): void {
    for (const [name, c] of this.windows) {
      if (Math.floor(now / c.windowMs) - c.index > IDLE_WINDOWS) this.windows.delete(name);
    }
    for (const [name, c] of this.counters) {
      if (c.expiresAt !== 0 && c.expiresAt <= now) this.counters.delete(name);
    }
  }
}
