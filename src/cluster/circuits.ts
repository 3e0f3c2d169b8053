// Circuit states across cluster workers (SPEC §11). Without Redis the primary keeps one breaker per
// target for the whole gateway and counts every worker's outcomes into it (CircuitBreaker.report),
// so `failure_threshold` consecutive failures open a circuit whichever workers saw them; the
// opening (and closing) is pushed to every worker at once, not polled. A half-open probe is taken by
// a worker locally (its verdict applies there at once and is pushed to the others through the
// primary), so after a cool-down each worker may send its own probe: at most one per worker.
//
// What crosses the IPC channel: every failure at once; successes at once only for a target the
// primary watches (one with a failure streak or a failure in the error-rate window, announced to
// every worker when its first failure arrives), else as one count per target a second — a healthy
// target then costs no message per request (docs/operations.md has the figures). A worker sends its
// pending count of a target before that target's next failure, so the primary sees them in order.
//
// With Redis the workers share circuits through it like separate instances (router/circuit-sync.ts).

import type { CircuitState } from '../router/breaker.ts';
import { HealthRegistry } from '../router/health.ts';
import type { Link } from './link.ts';

export const CIRCUIT_OPS = { outcome: 'cb.outcome', successes: 'cb.ok', state: 'cb.state', watch: 'cb.watch' } as const;

export type CircuitEntry = [target: string, state: 'open' | 'closed', at: number];

export type CircuitLog = (target: string, state: 'open' | 'closed') => void;

/** How often a worker sends its success counts for unwatched targets. */
export const SUCCESS_BATCH_MS = 1000;
/** How often the primary looks for watched targets that went quiet. */
const UNWATCH_EVERY_MS = 2000;

/** The primary's breakers, fed by every worker. */
export class CircuitAuthority {
  readonly health: HealthRegistry;
  private readonly links = new Map<number, Link>();
  private readonly onTransition: CircuitLog;
  private readonly watched = new Set<string>();
  private readonly timer: NodeJS.Timeout;

  constructor(breaker: { failureThreshold: number; cooldownMs: number }, onTransition: CircuitLog, now: () => number = Date.now) {
    this.health = new HealthRegistry(breaker, now);
    this.onTransition = onTransition;
    this.health.onCircuitChange((target, state, at) => {
      if (state === 'half_open') return;
      this.onTransition(target, state);
      this.broadcast(CIRCUIT_OPS.state, [target, state, at]);
    });
    this.timer = setInterval(() => this.unwatchQuiet(), UNWATCH_EVERY_MS);
    this.timer.unref();
  }

  attach(workerId: number, link: Link): void {
    this.links.set(workerId, link);
    link.handle(CIRCUIT_OPS.outcome, ([target, ok, immediate]) => {
      const t = target as string;
      const breaker = this.health.get(t).breaker;
      if (ok) breaker.success();
      else {
        this.watch(t);
        breaker.failure(immediate === true);
      }
    });
    link.handle(CIRCUIT_OPS.successes, ([target, n]) => this.health.get(target as string).breaker.countSuccesses(n as number));
    // A worker's own transition (a probe's verdict): adopt it and tell the other workers.
    link.handle(CIRCUIT_OPS.state, ([target, state, at]) => {
      const breaker = this.health.get(target as string).breaker;
      const before = breaker.changedAt;
      breaker.applyShared(state as 'open' | 'closed', at as number);
      if (breaker.changedAt === before) return;
      this.onTransition(target as string, state as 'open' | 'closed');
      this.broadcast(CIRCUIT_OPS.state, [target, state, at], workerId);
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

  /** Targets whose every outcome workers send at once. */
  watchedTargets(): string[] {
    return [...this.watched];
  }

  configure(breaker: { failureThreshold: number; cooldownMs: number }): void {
    this.health.configure(breaker);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private watch(target: string): void {
    if (this.watched.has(target)) return;
    this.watched.add(target);
    this.broadcast(CIRCUIT_OPS.watch, [target, true]);
  }

  private unwatchQuiet(): void {
    for (const target of this.watched) {
      if (!this.health.get(target).breaker.quiet()) continue;
      this.watched.delete(target);
      this.broadcast(CIRCUIT_OPS.watch, [target, false]);
    }
  }

  private broadcast(op: string, args: unknown[], except?: number): void {
    for (const [id, link] of this.links) if (id !== except) link.post(op, ...args);
  }
}

/**
 * A worker's health registry whose breakers report to the primary and adopt what it pushes.
 * `initial` and `watched` are the primary's circuit states and watched targets at the worker's start.
 */
export function workerHealth(
  breaker: { failureThreshold: number; cooldownMs: number },
  link: Link,
  initial: CircuitEntry[] = [],
  watchedAtStart: string[] = [],
): HealthRegistry {
  const watched = new Set(watchedAtStart);
  const pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  const flushAll = (): void => {
    timer = undefined;
    for (const [target, n] of pending) link.post(CIRCUIT_OPS.successes, target, n);
    pending.clear();
  };
  const health = new HealthRegistry(breaker, Date.now, (target, ok, immediate) => {
    if (ok && !watched.has(target)) {
      pending.set(target, (pending.get(target) ?? 0) + 1);
      if (!timer) {
        timer = setTimeout(flushAll, SUCCESS_BATCH_MS);
        timer.unref();
      }
      return;
    }
    // The successes before this outcome go first, so the primary counts them in order.
    const before = pending.get(target);
    if (before !== undefined) {
      pending.delete(target);
      link.post(CIRCUIT_OPS.successes, target, before);
    }
    link.post(CIRCUIT_OPS.outcome, target, ok, immediate);
  });
  health.onCircuitChange((target, state, at) => {
    if (state !== 'half_open') link.post(CIRCUIT_OPS.state, target, state, at);
  });
  link.handle(CIRCUIT_OPS.state, ([target, state, at]) => health.get(target as string).breaker.applyShared(state as 'open' | 'closed', at as number));
  link.handle(CIRCUIT_OPS.watch, ([target, on]) => {
    if (on) watched.add(target as string);
    else watched.delete(target as string);
  });
  for (const [target, state, at] of initial) health.get(target).breaker.applyShared(state, at);
  return health;
}
