// What the router knows about each target (`provider/model`), shared by every model that names it:
// its circuit breaker, requests in flight (least-busy), a moving average of time to first event
// (latency), and a retry-after cool-down the upstream asked for.

import { CircuitBreaker, ERROR_RATE_DEFAULTS, type BreakerOptions, type CircuitState } from './breaker.ts';

/** Weight of the newest sample in the time-to-first-event average. */
const LATENCY_ALPHA = 0.3;

export class TargetHealth {
  readonly key: string;
  readonly breaker: CircuitBreaker;
  inFlight = 0;
  /** Exponential moving average of ms to the first upstream event; undefined until measured. */
  latencyMs: number | undefined;
  /** Wall-clock ms before which the upstream asked not to be called again (retry-after). */
  notBefore = 0;

  constructor(key: string, breaker: CircuitBreaker) {
    this.key = key;
    this.breaker = breaker;
  }

  observeLatency(ms: number): void {
    this.latencyMs = this.latencyMs === undefined ? ms : this.latencyMs + LATENCY_ALPHA * (ms - this.latencyMs);
  }
}

export type CircuitChange = (target: string, state: CircuitState, at: number) => void;

export class HealthRegistry {
  private readonly targets = new Map<string, TargetHealth>();
  private readonly opts: BreakerOptions;
  readonly now: () => number;
  private readonly listeners: CircuitChange[] = [];

  constructor(breaker: { failureThreshold: number; cooldownMs: number }, now: () => number = Date.now) {
    this.opts = { ...ERROR_RATE_DEFAULTS, ...breaker };
    this.now = now;
  }

  get(key: string): TargetHealth {
    let h = this.targets.get(key);
    if (!h) {
      const breaker = new CircuitBreaker(this.opts, this.now);
      breaker.onChange = (state, at) => {
        for (const l of this.listeners) l(key, state, at);
      };
      h = new TargetHealth(key, breaker);
      this.targets.set(key, h);
    }
    return h;
  }

  /** Called on every local circuit transition (logs, sharing through Redis). */
  onCircuitChange(listener: CircuitChange): void {
    this.listeners.push(listener);
  }

  keys(): string[] {
    return [...this.targets.keys()];
  }
}
