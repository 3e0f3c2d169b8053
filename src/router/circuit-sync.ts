// Circuit states shared by a fleet (SPEC §6): each instance runs its own breakers on what it sees,
// publishes its transitions (open / closed, with their time) to the shared state, and polls the
// others' — last writer wins by transition time. Routing never waits on Redis: plans read the local
// breakers, which this loop keeps in step. While Redis is down the poll returns nothing and each
// instance keeps its own circuit states (state/resilient.ts).
//
// Half-open is local: each instance sends its own probe after the cool-down, so a fleet sends at most
// one probe per instance per cool-down.

import type { SharedState } from '../state/types.ts';
import type { HealthRegistry } from './health.ts';

export const CIRCUIT_POLL_MS = 500;

export interface CircuitSync {
  /** One poll now (tests; the timer polls every CIRCUIT_POLL_MS). */
  poll(): Promise<void>;
  stop(): void;
}

export function syncCircuits(health: HealthRegistry, state: SharedState, pollMs = CIRCUIT_POLL_MS): CircuitSync {
  let stopped = false;
  health.onCircuitChange((target, circuit, at) => {
    if (stopped || circuit === 'half_open') return;
    state.publishCircuit(target, { state: circuit, at }).catch(() => {});
  });
  const poll = async (): Promise<void> => {
    const shared = await state.readCircuits().catch(() => new Map());
    for (const [target, c] of shared) health.get(target).breaker.applyShared(c.state, c.at);
  };
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    poll().finally(() => {
      running = false;
    });
  }, pollMs);
  timer.unref();
  return {
    poll,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
