// Redis when it answers, per-instance memory when it does not (SPEC §6; issue 4 item 6): a Redis
// outage degrades limits and circuit states to per-instance ones, never fails a request. One warning
// when Redis goes away, one info line when it is back.
//
// A command that fails or times out also marks Redis down for RETRY_AFTER_FAILURE_MS: a Redis that
// hangs (still connected, not answering) would otherwise cost every request a command timeout.

import type { Logger } from 'pino';
import { MemoryState } from './memory.ts';
import { RedisState, type RedisStateOptions } from './redis.ts';
import type { ConsumeResult, Lease, SharedCircuit, SharedState } from './types.ts';
import type { WindowSnapshot } from './window.ts';
import { describeRedisTarget, parseRedisUrl } from './redis-url.ts';

const RETRY_AFTER_FAILURE_MS = 2000;

export type StateLog = Pick<Logger, 'warn' | 'info'>;

export class ResilientState implements SharedState {
  private readonly redis: RedisState;
  private readonly local: MemoryState;
  private readonly log: StateLog;
  private readonly where: string;
  private degraded = false;
  private closing = false;
  private quietUntil = 0;

  constructor(url: string, log: StateLog, opts: Omit<RedisStateOptions, 'onStatus'> = {}, local = new MemoryState()) {
    this.log = log;
    this.local = local;
    this.where = describeRedis(url);
    this.redis = new RedisState(url, {
      ...opts,
      onStatus: (up, reason) => (up ? this.recovered() : this.degrade(reason)),
    });
  }

  /** Whether limits are currently shared with the fleet. */
  get shared(): boolean {
    return this.usable();
  }

  /** Waits up to timeoutMs for the first connection; logs the warning if there is none. */
  async start(timeoutMs = 1000): Promise<void> {
    try {
      await this.redis.waitReady(timeoutMs);
    } catch (err) {
      this.degrade((err as Error).message);
    }
  }

  consume(name: string, windowMs: number, limit: number, cost: number): Promise<ConsumeResult> {
    return this.use((s) => s.consume(name, windowMs, limit, cost));
  }

  add(name: string, windowMs: number, amount: number): Promise<void> {
    return this.use((s) => s.add(name, windowMs, amount));
  }

  peek(name: string, windowMs: number): Promise<WindowSnapshot> {
    return this.use((s) => s.peek(name, windowMs));
  }

  acquire(name: string, limit: number, ttlMs: number): Promise<Lease | undefined> {
    return this.use((s) => s.acquire(name, limit, ttlMs));
  }

  addToCounter(name: string, amount: number): Promise<number | undefined> {
    return this.use((s) => s.addToCounter(name, amount));
  }

  readCounter(name: string): Promise<number | undefined> {
    return this.use((s) => s.readCounter(name));
  }

  seedCounter(name: string, value: number, expiresAt: number): Promise<number> {
    return this.use((s) => s.seedCounter(name, value, expiresAt));
  }

  async publishCircuit(target: string, circuit: SharedCircuit): Promise<void> {
    if (!this.usable()) return;
    try {
      await this.redis.publishCircuit(target, circuit);
    } catch (err) {
      this.failed(err);
    }
  }

  /** Empty while Redis is down: each instance keeps its own circuit states meanwhile. */
  async readCircuits(): Promise<Map<string, SharedCircuit>> {
    if (!this.usable()) return new Map();
    try {
      return await this.redis.readCircuits();
    } catch (err) {
      this.failed(err);
      return new Map();
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.redis.close();
    await this.local.close();
  }

  private usable(): boolean {
    return this.redis.ready && Date.now() >= this.quietUntil;
  }

  private async use<T>(op: (s: SharedState) => Promise<T>): Promise<T> {
    if (this.usable()) {
      try {
        const result = await op(this.redis);
        if (this.degraded) this.recovered();
        return result;
      } catch (err) {
        this.failed(err);
      }
    }
    return op(this.local);
  }

  private failed(err: unknown): void {
    this.quietUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
    this.degrade((err as Error)?.message ?? String(err));
  }

  private degrade(reason: string): void {
    if (this.degraded || this.closing) return;
    this.degraded = true;
    this.log.warn(
      { redis: this.where, reason },
      'redis unreachable: rate limits, concurrency, budgets and circuit states are per instance until it is back',
    );
  }

  private recovered(): void {
    this.quietUntil = 0;
    if (!this.degraded) return;
    this.degraded = false;
    this.log.info({ redis: this.where }, 'redis reachable again: limits and circuit states are shared again');
  }
}

/** host:port only (or a cluster's seeds): a redis URL may carry a password. */
export function describeRedis(url: string): string {
  try {
    return describeRedisTarget(parseRedisUrl(url));
  } catch {
    return '(unparsable url)';
  }
}
