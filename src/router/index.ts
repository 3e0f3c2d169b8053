// Model name -> ordered candidate targets. The strategy picks the order per request; the pipeline
// walks it, one attempt at a time, until one succeeds or the attempt budget is spent.

import { GatewayError } from '../core/errors.ts';
import type { Config, ModelConfig, ProviderConfig } from '../config/types.ts';
import type { ResolvedTarget } from '../gateway/attempt.ts';

export interface RoutePlan {
  /** The model name as configured (or `provider/model`). */
  model: string;
  strategy: ModelConfig['strategy'] | 'direct';
  /** Next target to try, or undefined when the plan is exhausted. */
  next(): ResolvedTarget | undefined;
  /** Reports how an attempt went (health, latency). */
  report(target: ResolvedTarget, outcome: AttemptReport): void;
}

export interface AttemptReport {
  ok: boolean;
  error?: GatewayError;
  firstEventMs?: number;
}

export interface Router {
  plan(model: string): RoutePlan;
  /** Every model name a client may ask for (for /v1/models). */
  modelNames(): string[];
}

export function createRouter(config: Config, random: () => number = Math.random): Router {
  const maxAttempts = 1 + Math.max(0, config.retries.attempts);

  function targetsFor(name: string): { targets: ResolvedTarget[]; model: ModelConfig | undefined } {
    const model = config.models[name];
    if (model) {
      const targets: ResolvedTarget[] = [];
      for (const t of model.targets) {
        const provider = config.providers[t.provider];
        if (provider) targets.push({ provider, model: t.model, key: `${t.provider}/${t.model}` });
      }
      return { targets, model };
    }
    const slash = name.indexOf('/');
    if (slash > 0) {
      const provider: ProviderConfig | undefined = config.providers[name.slice(0, slash)];
      const upstreamModel = name.slice(slash + 1);
      if (provider && upstreamModel) return { targets: [{ provider, model: upstreamModel, key: name }], model: undefined };
    }
    return { targets: [], model: undefined };
  }

  return {
    plan(name: string): RoutePlan {
      const { targets, model } = targetsFor(name);
      if (targets.length === 0) {
        throw new GatewayError('model_not_found', `model "${name}" is not configured on this gateway`, { param: 'model' });
      }
      const order = model?.strategy === 'fallback' ? targets : weightedOrder(model, targets, random);
      let attempts = 0;
      return {
        model: name,
        strategy: model?.strategy ?? 'direct',
        next() {
          if (attempts >= maxAttempts) return undefined;
          // Walk the order, then start over on it (a retry of the same target is allowed, SPEC §4.6).
          return order[attempts++ % order.length];
        },
        report() {},
      };
    },
    modelNames(): string[] {
      return Object.keys(config.models);
    },
  };
}

/** A weighted random permutation: each pick is proportional to weight among those not yet picked. */
function weightedOrder(model: ModelConfig | undefined, targets: ResolvedTarget[], random: () => number): ResolvedTarget[] {
  if (targets.length < 2 || !model) return targets;
  const pool = targets.map((t, i) => ({ t, w: Math.max(0, model.targets[i]?.weight ?? 1) }));
  const out: ResolvedTarget[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((s, p) => s + p.w, 0);
    let r = random() * total;
    let pick = pool.length - 1;
    if (total > 0) {
      for (let i = 0; i < pool.length; i++) {
        r -= pool[i]!.w;
        if (r < 0) {
          pick = i;
          break;
        }
      }
    }
    out.push(pool[pick]!.t);
    pool.splice(pick, 1);
  }
  return out;
}
