// Circuit states across cluster workers (SPEC §11). Without Redis the primary keeps one breaker per
// target for the whole gateway and counts every worker's outcomes into it (CircuitBreaker.report),
// so `failure_threshold` consecutive failures open a circuit whichever workers saw them; the
// opening (and closing) is pushed to every worker at once, not polled. A half-open probe is taken by
// a worker locally (its verdict applies there at once and is pushed to the others through the
// primary), so after a cool-down each worker may send its own probe: at most one per worker.
//
// With Redis the workers share circuits through it like separate instances (router/circuit-sync.ts).

import type { CircuitState } from '../router/breaker.ts';
import { HealthRegistry } from '../router/health.ts';
import type { Link } from './link.ts';

export const CIRCUIT_OPS = { outcome: 'cb.outcome', state: 'cb.state' } as const;

export type CircuitEntry = [target: string, state: 'open' | 'closed', at: number];

export type CircuitLog = (target: string, state: 'open' | 'closed') => void;

/** The primary's breakers, fed by every worker. */
export class CircuitAuthority {
  readonly health: HealthRegistry;
  private readonly links = new Map<number, Link>();
  private readonly onTransition: CircuitLog;

  constructor(breaker: { failureThreshold: number; cooldownMs: number }, onTransition: CircuitLog, now: () => number = Date.now) {
    this.health = new HealthRegistry(breaker, now);
    this.onTransition = onTransition;
    this.health.onCircuitChange((target, state, at) => {
      if (state === 'half_open') return;
      this.onTransition(target, state);
      this.broadcast([target, state, at]);
    });
  }

  attach(workerId: number, link: Link): void {
    this.links.set(workerId, link);
    link.handle(CIRCUIT_OPS.outcome, ([target, ok, immediate]) => {
      const breaker = this.health.get(target as string).breaker;
      if (ok) breaker.success();
      else breaker.failure(immediate === true);
    });
    // A worker's own transition (a probe's verdict): adopt it and tell the other workers.
    link.handle(CIRCUIT_OPS.state, ([target, state, at]) => {
      const breaker = this.health.get(target as string).breaker;
      const before = breaker.changedAt;
      breaker.applyShared(state as 'open' | 'closed', at as number);
      if (breaker.changedAt === before) return;
      this.onTransition(target as string, state as 'open' | 'closed');
      this.broadcast([target as string, state as 'open' | 'closed', at as number], workerId);
    });
  }

  detach(workerId: number): void {
    this.links.delete(workerId);
  }

  /** Every circuit that is not closed-and-untouched, for a worker that starts now. */
  snapshot(): CircuitEntry[] {
    const out: CircuitEntry[] = [];
    for (const key of this.health.keys()) {
      const b = this.health.get(key).breaker;
      if (b.changedAt === 0) continue;
      const state: CircuitState = b.state;
      out.push([key, state === 'closed' ? 'closed' : 'open', state === 'closed' ? b.changedAt : b.openedAt]);
    }
    return out;
  }

  configure(breaker: { failureThreshold: number; cooldownMs: number }): void {
    this.health.configure(breaker);
  }

  private broadcast(entry: CircuitEntry, except?: number): void {
    for (const [id, link] of this.links) if (id !== except) link.post(CIRCUIT_OPS.state, ...entry);
  }
}

/**
 * A worker's health registry whose breakers report to the primary and adopt what it pushes.
 * `initial` is the primary's snapshot at the worker's start.
 */
export function workerHealth(
  breaker: { failureThreshold: number; cooldownMs: number },
  link: Link,
  initial: CircuitEntry[] = [],
): HealthRegistry {
  const health = new HealthRegistry(breaker, Date.now, (target, ok, immediate) => link.post(CIRCUIT_OPS.outcome, target, ok, immediate));
  health.onCircuitChange((target, state, at) => {
    if (state !== 'half_open') link.post(CIRCUIT_OPS.state, target, state, at);
  });
  link.handle(CIRCUIT_OPS.state, ([target, state, at]) => health.get(target as string).breaker.applyShared(state as 'open' | 'closed', at as number));
  for (const [target, state, at] of initial) health.get(target).breaker.applyShared(state, at);
  return health;
}
