// Shared state for cluster workers without Redis (SPEC §11): the primary owns one MemoryState for
// the whole gateway (state-server.ts) and every worker asks it over the IPC link, so an rpm,
// tpm or concurrency limit holds exactly across workers — the primary answers one request at a
// time, the same check-and-count a single process does.
//
// A concurrency slot is held in the primary under the worker's name; when a worker dies the
// primary releases its slots at once (no TTL needed). Circuit states travel separately
// (circuits.ts): they are pushed, not polled.
//
// The primary is this process's parent and answers within microseconds; should it not answer in
// CALL_TIMEOUT_MS (a primary stalled by something), the call falls back to this worker's own
// counters rather than hang the request, and says so once in the log.

import { MemoryState } from '../state/memory.ts';
import type { ConsumeResult, Lease, LimitCheck, LimitVerdict, SharedCircuit, SharedState } from '../state/types.ts';
import type { WindowSnapshot } from '../state/window.ts';
import type { Link } from './link.ts';

export const CALL_TIMEOUT_MS = 2000;

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

  constructor(link: Link, onFallback: (err: Error) => void = () => {}) {
    this.link = link;
    this.onFallback = onFallback;
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
    this.link.post(STATE_OPS.add, name, windowMs, amount);
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
    const id = check.concurrency ? ++this.leases : 0;
    let verdict: { allowed: boolean; refused?: 'tpm' | 'concurrency' | 'rpm'; waitMs?: number; leased?: boolean };
    try {
      verdict = await this.link.call(STATE_OPS.admit, [check, id], CALL_TIMEOUT_MS);
    } catch (err) {
      if (id !== 0) this.link.post(STATE_OPS.release, id);
      this.onFallback(err as Error);
      return this.local.admitSync(check);
    }
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
    await this.local.close();
  }
}
