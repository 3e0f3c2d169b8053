// A circuit breaker for one target (`provider/model`), SPEC §4.6: a target that keeps failing is
// taken out of rotation for a cool-down and probed back in.
//
//   closed ──(threshold consecutive failures, or error rate over the window, or upstream 401/403)──▶ open
//   open ──(cooldown elapsed; the next request takes the probe slot)──▶ half_open
//   half_open ──(probe succeeds)──▶ closed        half_open ──(probe fails)──▶ open (cool-down restarts)
//
// Time comes from an injected clock (wall-clock ms), so tests drive it and instances sharing circuit
// states through Redis compare timestamps on one scale.

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit (config `breaker.failure_threshold`, default 5). */
  failureThreshold: number;
  /** How long an open circuit refuses traffic before one probe (config `breaker.cooldown`). */
  cooldownMs: number;
  /** Error-rate trip: over the last `windowMs`, with at least `minRequests` outcomes… */
  windowMs: number;
  minRequests: number;
  /** …a failure share at or above this opens the circuit. */
  errorRate: number;
}

/** The error-rate trip is not in the config file (SPEC §2 names only threshold and cooldown). */
export const ERROR_RATE_DEFAULTS = { windowMs: 10_000, minRequests: 20, errorRate: 0.5 } as const;

/** What a plan may do with the target right now. */
export type Admit = 'pass' | 'probe' | 'deny';

export type CircuitListener = (state: CircuitState, at: number) => void;

/** Outcomes are counted in this many buckets across the window (a rolling count, O(1) memory). */
const BUCKETS = 10;

export class CircuitBreaker {
  private readonly opts: BreakerOptions;
  private readonly now: () => number;
  private stateValue: CircuitState = 'closed';
  /** When the circuit last opened (0: never). */
  openedAt = 0;
  /** When the state last changed, for last-writer-wins merging of shared states. */
  changedAt = 0;
  private consecutive = 0;
  /** When the half-open probe was handed out (0: none in flight). */
  private probeSince = 0;
  private readonly okCounts = new Array<number>(BUCKETS).fill(0);
  private readonly failCounts = new Array<number>(BUCKETS).fill(0);
  private readonly bucketStart = new Array<number>(BUCKETS).fill(0);
  /** Local transitions (not those applied from shared state), for logs and for sharing. */
  onChange?: CircuitListener;
  /**
   * Where outcomes go when another process counts them (cluster workers: the primary holds one
   * breaker per target for every worker, src/cluster/circuits.ts). Set, a closed circuit never
   * trips on this process's own count: the authority opens it for all workers at once, so the
   * threshold counts every worker's failures, not each worker's. A probe's verdict (the circuit is
   * not closed) still applies here at once.
   */
  report?: (ok: boolean, immediate: boolean) => void;

  constructor(opts: BreakerOptions, now: () => number = Date.now) {
    this.opts = opts;
    this.now = now;
  }

  /** The state as a reader sees it: an open circuit whose cool-down elapsed is ready for its probe. */
  get state(): CircuitState {
    if (this.stateValue === 'open' && this.now() - this.openedAt >= this.opts.cooldownMs) return 'half_open';
    return this.stateValue;
  }

  /** Whether a request may use the target now, without taking anything. */
  peek(): Admit {
    const s = this.state;
    if (s === 'closed') return 'pass';
    if (s === 'open') return 'deny';
    return this.probeFree() ? 'probe' : 'deny';
  }

  /** Takes the target for one attempt: 'probe' hands out the single half-open probe slot. */
  acquire(): Admit {
    const admit = this.peek();
    if (admit === 'probe') {
      this.stateValue = 'half_open';
      this.probeSince = this.now();
    }
    return admit;
  }

  /** The probe ended without a verdict (the client left): the next request may probe instead. */
  releaseProbe(): void {
    this.probeSince = 0;
  }

  success(): void {
    this.count(true);
    this.consecutive = 0;
    this.probeSince = 0;
    this.report?.(true, false);
    // A success while open comes from a forced attempt (every target open): the target is back.
    if (this.stateValue !== 'closed') this.transition('closed');
  }

  /**
   * Successes counted elsewhere and reported together (cluster workers, for a target with no recent
   * failure): they fill the error-rate window and end a failure streak, but never close a circuit —
   * they may predate its opening.
   */
  countSuccesses(n: number): void {
    this.count(true, n);
    if (this.stateValue === 'closed') this.consecutive = 0;
  }

  /** Closed, no failure streak, no failure in the error-rate window: nothing to watch closely. */
  quiet(): boolean {
    if (this.stateValue !== 'closed' || this.consecutive > 0) return false;
    const width = this.opts.windowMs / BUCKETS;
    const oldest = Math.floor(this.now() / width) - BUCKETS + 1;
    for (let i = 0; i < BUCKETS; i++) if (this.bucketStart[i]! >= oldest && this.failCounts[i]! > 0) return false;
    return true;
  }

  /** `immediate`: a failure that says the target is unusable as configured (upstream 401/403). */
  failure(immediate = false): void {
    this.count(false);
    this.consecutive++;
    this.probeSince = 0;
    this.report?.(false, immediate);
    if (this.stateValue !== 'closed') {
      // A failed probe (or forced attempt) re-opens: the cool-down starts again.
      this.transition('open');
      return;
    }
    if (this.report) return;
    if (immediate || this.consecutive >= this.opts.failureThreshold || this.rateTripped()) this.transition('open');
  }

  /** Applies a state another instance published (no listener call: it is not a local change). */
  applyShared(state: 'open' | 'closed', at: number): void {
    if (at <= this.changedAt) return;
    this.changedAt = at;
    if (state === 'open') {
      this.stateValue = 'open';
      this.openedAt = at;
    } else {
      this.stateValue = 'closed';
      this.consecutive = 0;
      this.resetWindow();
    }
    this.probeSince = 0;
  }

  private transition(to: 'open' | 'closed'): void {
    const at = this.now();
    this.stateValue = to;
    this.changedAt = at;
    if (to === 'open') this.openedAt = at;
    else {
      this.consecutive = 0;
      this.resetWindow();
    }
    this.onChange?.(to, at);
  }

  /**
   * One probe at a time. A probe that never reports (a bug, a lost process) would block the target
   * forever, so its slot lapses after one cool-down: at most one probe per cool-down period.
   */
  private probeFree(): boolean {
    return this.probeSince === 0 || this.now() - this.probeSince >= this.opts.cooldownMs;
  }

  private count(ok: boolean, n = 1): void {
    const width = this.opts.windowMs / BUCKETS;
    const now = this.now();
    const slot = Math.floor(now / width);
    const i = slot % BUCKETS;
    if (this.bucketStart[i] !== slot) {
      this.bucketStart[i] = slot;
      this.okCounts[i] = 0;
      this.failCounts[i] = 0;
    }
    if (ok) this.okCounts[i]! += n;
    else this.failCounts[i]! += n;
  }

  private rateTripped(): boolean {
    const width = this.opts.windowMs / BUCKETS;
    const oldest = Math.floor(this.now() / width) - BUCKETS + 1;
    let ok = 0;
    let failed = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.bucketStart[i]! < oldest) continue;
      ok += this.okCounts[i]!;
      failed += this.failCounts[i]!;
    }
    const total = ok + failed;
    return total >= this.opts.minRequests && failed / total >= this.opts.errorRate;
  }

  private resetWindow(): void {
    this.okCounts.fill(0);
    this.failCounts.fill(0);
  }
}
