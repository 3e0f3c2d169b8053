// Model name -> ordered candidate targets. The strategy picks the order per request; the pipeline
// walks it, one attempt at a time, until one succeeds or the attempt budget is spent.
//
// Each `next()` walks the strategy's order from after the last target tried (so retries rotate),
// skipping targets whose circuit is open and preferring those not in a retry-after cool-down.
// When every target of the model is circuit-open, one attempt still goes to the target whose circuit
// opened longest ago (the closest to its probe): refusing outright would turn a brief outage of every
// upstream into certain failure, while one forced attempt costs a single upstream call and closes the
// circuit early if the target is back. Its failure re-opens that circuit, so the next forced attempt
// rotates to another target.

import { GatewayError } from '../core/errors.ts';
import type { Config, ModelConfig, ProviderConfig } from '../config/types.ts';
import type { ResolvedTarget } from '../gateway/attempt.ts';
import { HealthRegistry, type TargetHealth } from './health.ts';
import { clampToDeadline, retryDelay } from './retry.ts';
import { STRATEGIES, type Candidate } from './strategies/index.ts';

export interface RoutePlan {
  /** The model name as configured (or `provider/model`). */
  model: string;
  strategy: ModelConfig['strategy'] | 'direct';
  /** Next target to try, or undefined when the plan is exhausted. */
  next(): ResolvedTarget | undefined;
  /** Reports how an attempt went (health, latency). */
  report(target: ResolvedTarget, outcome: AttemptReport): void;
  /**
   * Marks an attempt on `target` (just returned by next()) as under way, for in-flight counts; the
   * returned function ends it and must always be called, whatever happened.
   */
  begin?(target: ResolvedTarget): () => void;
  /** ms to wait before the attempt on `target` just returned by next() (backoff, retry-after). */
  delayMs?(target: ResolvedTarget): number;
  /** The model's `continue_on_failure` (SPEC §4.6): a stream broken after the commit point continues on the next target. */
  continueOnFailure?: boolean;
  /**
   * ms until the soonest of the plan's usable targets may be called again after a retry-after it
   * asked for; 0 when one may be called now (SPEC §4.6, honest 429s).
   */
  coolingMs?(): number;
}

export interface AttemptReport {
  ok: boolean;
  error?: GatewayError;
  firstEventMs?: number;
}

export interface Router {
  /**
   * The plan for `model`. `accept` leaves out targets that cannot serve this kind of request (an
   * embeddings request's targets whose upstream cannot embed): they are never tried, so they spend
   * none of the attempts.
   */
  plan(model: string, accept?: (target: ResolvedTarget) => boolean): RoutePlan;
  /** Every model name a client may ask for (for /v1/models). */
  modelNames(): string[];
  /** Problems for /readyz: one line per model whose every target is circuit-open (SPEC §3). */
  readiness(): string[];
  /** Per-target health (breakers, in-flight counts, latency), shared by every model naming a target. */
  readonly health: HealthRegistry;
}

export interface RouterOptions {
  /** Random source in [0, 1) for strategies and jitter (tests pin it). */
  random?: () => number;
  /** Wall clock in ms (tests drive it). */
  now?: () => number;
  /** Health to share with other components (e.g. the Redis circuit sync). */
  health?: HealthRegistry;
}

/**
 * For a bare name that no model maps: how to reach a provider's model directly (SPEC §2), naming a
 * configured provider. Zero-config with OPENAI_API_KEY set has no model "gpt-4.1", only openai/gpt-4.1.
 */
function directHint(config: Config, name: string): string {
  if (name.includes('/') || name.length > 200) return '';
  const provider = Object.values(config.providers).find((p) => p.type !== 'demo');
  return provider ? `; ask for PROVIDER/MODEL to reach a provider's model directly (e.g. ${provider.name}/${name})` : '';
}

export function createRouter(config: Config, options: RouterOptions | (() => number) = {}): Router {
  const opts: RouterOptions = typeof options === 'function' ? { random: options } : options;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const health = opts.health ?? new HealthRegistry(config.breaker, now);
  const maxAttempts = 1 + Math.max(0, config.retries.attempts);

  function candidatesFor(name: string): { candidates: Candidate[]; model: ModelConfig | undefined } {
    const model = config.models[name];
    if (model) {
      const candidates: Candidate[] = [];
      for (const t of model.targets) {
        const provider = config.providers[t.provider];
        if (!provider) continue;
        const key = `${t.provider}/${t.model}`;
        candidates.push({ target: { provider, model: t.model, key }, weight: t.weight, health: health.get(key) });
      }
      return { candidates, model };
    }
    const slash = name.indexOf('/');
    if (slash > 0) {
      const provider: ProviderConfig | undefined = config.providers[name.slice(0, slash)];
      const upstreamModel = name.slice(slash + 1);
      if (provider && upstreamModel) {
        const target = { provider, model: upstreamModel, key: name };
        return { candidates: [{ target, weight: 1, health: health.get(name) }], model: undefined };
      }
    }
    return { candidates: [], model: undefined };
  }

  return {
    health,
    plan(name: string, accept?: (target: ResolvedTarget) => boolean): RoutePlan {
      const { candidates: all, model } = candidatesFor(name);
      if (all.length === 0) {
        throw new GatewayError('model_not_found', `model "${name}" is not configured on this gateway${directHint(config, name)}`, { param: 'model' });
      }
      const candidates = accept ? all.filter((c) => accept(c.target)) : all;
      const order = model && candidates.length > 0 ? STRATEGIES[model.strategy](candidates, random) : candidates;
      const plan = new Plan(name, model?.strategy ?? 'direct', order, { config, maxAttempts, random, now });
      if (model?.continueOnFailure) plan.continueOnFailure = true;
      return plan;
    },
    modelNames(): string[] {
      return Object.keys(config.models);
    },
    readiness(): string[] {
      const problems: string[] = [];
      const at = now();
      for (const [name, model] of Object.entries(config.models)) {
        const states = model.targets.map((t) => ({ key: `${t.provider}/${t.model}`, h: health.get(`${t.provider}/${t.model}`) }));
        if (states.length === 0 || states.some((s) => s.h.breaker.state !== 'open')) continue;
        const detail = states
          .map((s) => `${s.key} open, probe in ${Math.max(0, Math.ceil((s.h.breaker.openedAt + config.breaker.cooldownMs - at) / 1000))}s`)
          .join('; ');
        problems.push(`model "${name}": every target is circuit-open (${detail})`);
      }
      return problems;
    },
  };
}

interface PlanContext {
  config: Config;
  maxAttempts: number;
  random: () => number;
  now: () => number;
}

/** Whether an error says something about the target's health (SPEC §4.6). */
function verdict(error: GatewayError | undefined): 'failure' | 'unusable' | 'answered' | 'none' {
  if (!error) return 'failure';
  // 401/403 from the upstream: sluice's credentials for it are wrong; no request will succeed.
  if (error.code === 'upstream_auth') return 'unusable';
  if (error.retryable || error.code === 'total_timeout') return 'failure';
  // 400/404/422 as the upstream saw them: the request was wrong, the target is up.
  if (error.code === 'upstream_client_error' || error.code === 'invalid_request' || error.code === 'unsupported') return 'answered';
  return 'none';
}

class Plan implements RoutePlan {
  readonly model: string;
  continueOnFailure = false;
  readonly strategy: ModelConfig['strategy'] | 'direct';
  private readonly order: Candidate[];
  private readonly ctx: PlanContext;
  private attempts = 0;
  private cursor = 0;
  private last: Candidate | undefined;
  private forcedUsed = false;
  private deadline = Infinity;
  private pendingDelay = 0;
  /** The target holding this plan's half-open probe slot until its report (or its end). */
  private probe: TargetHealth | undefined;

  constructor(model: string, strategy: ModelConfig['strategy'] | 'direct', order: Candidate[], ctx: PlanContext) {
    this.model = model;
    this.strategy = strategy;
    this.order = order;
    this.ctx = ctx;
  }

  next(): ResolvedTarget | undefined {
    if (this.attempts >= this.ctx.maxAttempts) return undefined;
    const now = this.ctx.now();
    const n = this.order.length;
    let cooling: { index: number; delay: number } | undefined;
    let chosen: { index: number; delay: number } | undefined;
    let anyAdmitted = false;
    for (let i = 0; i < n; i++) {
      const index = (this.cursor + i) % n;
      const c = this.order[index]!;
      if (c.health.breaker.peek() === 'deny') continue;
      anyAdmitted = true;
      const delay = this.delayFor(c, now);
      if (delay === undefined) continue;
      if (c.health.notBefore <= now) {
        chosen = { index, delay };
        break;
      }
      if (!cooling) cooling = { index, delay };
    }
    chosen ??= cooling;
    if (!chosen) {
      if (anyAdmitted || this.forcedUsed) return undefined;
      chosen = this.leastRecentlyOpened(now);
      if (!chosen) return undefined;
      this.forcedUsed = true;
    } else if (this.order[chosen.index]!.health.breaker.acquire() === 'probe') {
      this.probe = this.order[chosen.index]!.health;
    }
    const c = this.order[chosen.index]!;
    if (this.attempts === 0) this.deadline = now + c.target.provider.timeouts.totalMs;
    this.attempts++;
    this.cursor = chosen.index + 1;
    this.last = c;
    this.pendingDelay = chosen.delay;
    return this.attempts === 1 ? c.target : clampToDeadline(c.target, this.deadline - now - chosen.delay);
  }

  delayMs(): number {
    return this.pendingDelay;
  }

  coolingMs(): number {
    const now = this.ctx.now();
    let soonest = Infinity;
    for (const c of this.order) {
      if (c.health.breaker.peek() === 'deny') continue;
      soonest = Math.min(soonest, Math.max(0, c.health.notBefore - now));
    }
    return soonest === Infinity ? 0 : soonest;
  }

  begin(target: ResolvedTarget): () => void {
    const h = this.healthOf(target);
    if (!h) return () => {};
    h.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      h.inFlight--;
      // A probe that ended without a report (the client left) gives its slot back.
      if (this.probe === h) {
        this.probe = undefined;
        h.breaker.releaseProbe();
      }
    };
  }

  report(target: ResolvedTarget, outcome: AttemptReport): void {
    const h = this.healthOf(target);
    if (!h) return;
    const heldProbe = this.probe === h;
    if (heldProbe) this.probe = undefined;
    if (outcome.ok) {
      h.breaker.success();
      if (outcome.firstEventMs !== undefined && outcome.firstEventMs >= 0) h.observeLatency(outcome.firstEventMs);
      return;
    }
    const error = outcome.error;
    if (error?.retryAfterMs !== undefined && error.retryAfterMs > 0) h.notBefore = this.ctx.now() + error.retryAfterMs;
    switch (verdict(error)) {
      case 'unusable':
        h.breaker.failure(true);
        break;
      case 'failure':
        h.breaker.failure();
        break;
      case 'answered':
        h.breaker.success();
        break;
      case 'none':
        if (heldProbe) h.breaker.releaseProbe();
        break;
    }
  }

  private delayFor(c: Candidate, now: number): number | undefined {
    return retryDelay(
      this.ctx.config.retries,
      {
        attempts: this.attempts,
        sameTarget: c === this.last,
        coolingMs: c.health.notBefore - now,
        remainingMs: this.deadline - now,
      },
      this.ctx.random,
    );
  }

  private leastRecentlyOpened(now: number): { index: number; delay: number } | undefined {
    let best: { index: number; delay: number; openedAt: number } | undefined;
    for (let index = 0; index < this.order.length; index++) {
      const c = this.order[index]!;
      const delay = this.delayFor(c, now);
      if (delay === undefined) continue;
      if (!best || c.health.breaker.openedAt < best.openedAt) best = { index, delay, openedAt: c.health.breaker.openedAt };
    }
    return best;
  }

  private healthOf(target: ResolvedTarget): TargetHealth | undefined {
    for (const c of this.order) if (c.target.key === target.key) return c.health;
    return undefined;
  }
}
