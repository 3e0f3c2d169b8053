// Shared by the router tests: a seeded random source and a config builder.

import { parseConfig } from '../../src/config/index.ts';
import type { Config } from '../../src/config/types.ts';

/** mulberry32: a small seeded PRNG, so statistical tests are deterministic and still honest. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
