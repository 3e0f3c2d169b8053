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

/** Outcomes of attempts on a target, for a breaker kept by another process (CircuitBreaker.report). */
export type OutcomeSink = (target: string, ok: boolean, immediate: boolean) => void;

export class HealthRegistry {
  private readonly targets = new Map<string, TargetHealth>();
  /** One object shared by every breaker, so a reload's new settings reach them all (configure()). */
  private readonly opts: BreakerOptions;
  readonly now: () => number;
  private readonly listeners: CircuitChange[] = [];
  private readonly sink: OutcomeSink | undefined;

  constructor(breaker: { failureThreshold: number; cooldownMs: number }, now: () => number = Date.now, sink?: OutcomeSink) {
    this.opts = { ...ERROR_RATE_DEFAULTS, ...breaker };
    this.now = now;
    this.sink = sink;
  }

  /** New breaker settings (a config reload) for every target, states kept. */
  configure(breaker: { failureThreshold: number; cooldownMs: number }): void {
    this.opts.failureThreshold = breaker.failureThreshold;
    this.opts.cooldownMs = breaker.cooldownMs;
  }

  /** Forgets a target (its provider changed in a reload): it starts again closed and unmeasured. */
  forget(key: string): void {
    this.targets.delete(key);
  }

  get(key: string): TargetHealth {
    let h = this.targets.get(key);
    if (!h) {
      const breaker = new CircuitBreaker(this.opts, this.now);
      const sink = this.sink;
      if (sink) breaker.report = (ok, immediate) => sink(key, ok, immediate);
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
