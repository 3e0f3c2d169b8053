// Shared by the router tests: a seeded random source and a config builder.

import { parseConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/types.ts';
import { mulberry32 } from '../helpers/prng.ts';

/** mulberry32 (test/helpers/prng.ts). */
export const seeded = mulberry32;

/** A manual clock. */
export function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

export interface ConfigOptions {
  /** `provider: weight` pairs, e.g. `a: 3, b: 1`. */
  targets?: string;
  retries?: string;
  breaker?: string;
  total?: string;
}

/** Providers a, b, c (openai type, never contacted) and one model per strategy over the same targets. */
export function config(opts: ConfigOptions = {}): Config {
  const list = (opts.targets ?? 'a: 1, b: 1')
    .split(',')
    .map((s) => s.trim().split(':'))
    .map(([p, w]) => `{ provider: ${p!.trim()}, model: m-${p!.trim()}, weight: ${w!.trim()} }`)
    .join(', ');
  const total = opts.total ?? '60s';
  return parseConfig(
    `
providers:
  a: { type: openai, base_url: http://127.0.0.1:9/v1, timeouts: { total: ${total} } }
  b: { type: openai, base_url: http://127.0.0.1:9/v1, timeouts: { total: ${total} } }
  c: { type: openai, base_url: http://127.0.0.1:9/v1, timeouts: { total: ${total} } }
models:
  weighted: { strategy: weighted, targets: [${list}] }
  fallback: { strategy: fallback, targets: [${list}] }
  least-busy: { strategy: least-busy, targets: [${list}] }
  latency: { strategy: latency, targets: [${list}] }
retries: ${opts.retries ?? '{ attempts: 2, backoff: 100ms, max_backoff: 2s }'}
breaker: ${opts.breaker ?? '{ failure_threshold: 5, cooldown: 500ms }'}
`,
    { env: {} },
  );
}
