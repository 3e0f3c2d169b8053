// State that several sluice instances may share (SPEC §6): rate-limit counters, concurrency slots and
// circuit states. One in-memory implementation for a single instance, one over Redis for a fleet, and
// a wrapper that falls back from Redis to memory while Redis is unreachable.

import type { WindowSnapshot } from './window.ts';

export interface ConsumeResult {
  allowed: boolean;
  /** The window as it stood before this call (for retry-after on refusal). */
  window: WindowSnapshot;
}

/** A held concurrency slot. release() is idempotent and never throws. */
export interface Lease {
  release(): void;
}

export interface SharedCircuit {
  state: 'open' | 'closed';
  /** Wall-clock ms of the transition (last writer wins). */
  at: number;
}

/** The limits of one request, checked together in this order (limits/admission.ts). */
export interface LimitCheck {
  /** Admitted while the window holds less than `limit` (tokens are added after the request). */
  tpm?: { name: string; windowMs: number; limit: number };
  concurrency?: { name: string; limit: number; ttlMs: number };
  rpm?: { name: string; windowMs: number; limit: number };
}

export type LimitVerdict =
  | { allowed: true; lease?: Lease }
  /** `waitMs`: when the refused limit would admit the request (0 for concurrency: no natural wait). */
  | { allowed: false; refused: 'tpm' | 'concurrency' | 'rpm'; waitMs: number };

export interface SharedState {
  /** True when other instances see the same counters (Redis reachable). */
  readonly shared: boolean;
  /** Adds `cost` to the sliding window `name` if the estimate stays within `limit`; atomic. */
  consume(name: string, windowMs: number, limit: number, cost: number): Promise<ConsumeResult>;
  /** Adds `amount` unconditionally (tokens used, counted after the request). */
  add(name: string, windowMs: number, amount: number): Promise<void>;
  /** The window without changing it. */
  peek(name: string, windowMs: number): Promise<WindowSnapshot>;
  /** Takes one of `limit` slots; undefined when all are taken. Slots of a crashed holder lapse after ttlMs. */
  acquire(name: string, limit: number, ttlMs: number): Promise<Lease | undefined>;
  /**
   * Every limit of a request in one operation, where the state can (one answer from the cluster
   * primary instead of three). Same verdict as peek (tpm), acquire (concurrency), consume (rpm) in
   * that order, the slot given back when a later limit refuses.
   */
  admitAll?(check: LimitCheck): Promise<LimitVerdict>;
  /**
   * Counters that live for a period (budgets: USD spent per key and day, month or ever, in integer
   * units). Adds `amount` to an existing counter and returns its new value; undefined when the
   * counter does not exist (never seeded, lapsed, or lost with a Redis restart), so the caller can
   * seed it from the store first rather than start again from zero.
   */
  addToCounter(name: string, amount: number): Promise<number | undefined>;
  /** The counter's value; undefined when it does not exist. */
  readCounter(name: string): Promise<number | undefined>;
  /**
   * Creates the counter with `value` unless it exists (atomic: of two instances seeding at once,
   * one wins); returns its value afterwards. It lapses at `expiresAt` (wall-clock ms; 0: never).
   */
  seedCounter(name: string, value: number, expiresAt: number): Promise<number>;
  publishCircuit(target: string, circuit: SharedCircuit): Promise<void>;
  readCircuits(): Promise<Map<string, SharedCircuit>>;
  close(): Promise<void>;
}
