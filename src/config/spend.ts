// The spend and telemetry sections of sluice.yaml (SPEC §2, §12): `pricing:` (USD per 1M tokens per
// model, over the built-in catalog), `telemetry:` (OTLP traces) and a key's `budget:`.

import { z } from 'zod';
import type { ConfigPath, ProblemList } from './errors.ts';
import type { BudgetConfig, BudgetPeriod, ModelPricing, TelemetryConfig } from './types.ts';

const NUMERIC = /^\d+(?:\.\d+)?$/;
const price = () => z.preprocess((v) => (typeof v === 'string' && NUMERIC.test(v.trim()) ? Number(v.trim()) : v), z.number().min(0).finite());
const bool = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).optional();

/** One model's prices, USD per 1M tokens. Unpriced kinds fall into their parent (docs/pricing.md). */
export const modelPricingSchema = z.strictObject({
  input: price(),
  output: price(),
  cached_input: price().optional(),
  cache_write: price().optional(),
  reasoning: price().optional(),
  /** USD per request, on top of the tokens. */
  request: price().optional(),
});

export const pricingSchema = z.record(z.string().trim().min(1), z.unknown());

const headerValue = z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string());

export const telemetrySchema = z.strictObject({
  otlp: z
    .strictObject({
      endpoint: z.string().trim().min(1),
      headers: z.record(z.string(), headerValue).optional(),
    })
    .optional(),
  /** Export prompts and answers as span events (off: never). */
  content: bool(),
  service_name: z.string().trim().min(1).optional(),
});

export const BUDGET_PERIODS = ['day', 'month', 'total'] as const satisfies readonly BudgetPeriod[];

/** `{ usd: 50, per: day }`, or the short form `50/day` (as `sluice keys create --budget` takes). */
// Not a z.union: a union that fails reports only "Invalid input" at `budget`, where `check` must say
// which field is wrong (`budget.per: must be one of day | month | total`).
export const budgetSchema = z.preprocess(
  (value, ctx) => {
    if (typeof value !== 'string') return value;
    const parsed = parseBudget(value);
    if (typeof parsed !== 'string') return parsed;
    ctx.addIssue({ code: 'custom', message: parsed, input: value });
    return z.NEVER;
  },
  z.strictObject({ usd: price().refine((n) => n > 0, 'must be greater than 0'), per: z.enum(BUDGET_PERIODS) }),
);

export type RawTelemetry = z.output<typeof telemetrySchema>;

/** `50/day`, `$12.5/month`, `100/total` → a budget; a string saying what is wrong otherwise. */
export function parseBudget(text: string): BudgetConfig | string {
  const m = /^\s*\$?(\d+(?:\.\d+)?)\s*\/\s*(day|month|total)\s*$/i.exec(text);
  if (!m) return `expected USD/PERIOD such as 50/day, 200/month or 1000/total (got "${text}")`;
  const usd = Number(m[1]);
  if (!(usd > 0)) return 'the amount must be greater than 0';
  return { usd, per: m[2]!.toLowerCase() as BudgetPeriod };
}

export function resolvePricing(
  raw: Record<string, unknown> | undefined,
  parse: (schema: typeof modelPricingSchema, value: unknown, path: ConfigPath) => z.output<typeof modelPricingSchema> | undefined,
  problems: ProblemList,
): Record<string, ModelPricing> {
  const out: Record<string, ModelPricing> = {};
  for (const [name, entry] of Object.entries(raw ?? {})) {
    const path: ConfigPath = ['pricing', name];
    if (name === '__proto__') {
      problems.add(path, 'reserved name');
      continue;
    }
    if (name.endsWith('/') || name.startsWith('/')) {
      problems.add(path, 'expected a model name, provider/model or provider/*');
      continue;
    }
    const p = parse(modelPricingSchema, entry, path);
    if (p === undefined) continue;
    const pricing: ModelPricing = { input: p.input, output: p.output };
    if (p.cached_input !== undefined) pricing.cachedInput = p.cached_input;
    if (p.cache_write !== undefined) pricing.cacheWrite = p.cache_write;
    if (p.reasoning !== undefined) pricing.reasoning = p.reasoning;
    if (p.request !== undefined) pricing.request = p.request;
    out[name] = pricing;
  }
  return out;
}

export function resolveTelemetry(raw: RawTelemetry | undefined, problems: ProblemList): TelemetryConfig {
  const telemetry: TelemetryConfig = { content: raw?.content ?? false, serviceName: raw?.service_name ?? 'sluice' };
  if (raw?.otlp) {
    const endpoint = raw.otlp.endpoint;
    // URL.canParse too: an unreadable port or host otherwise passed `check` and stopped `serve` with
    // the exporter's message, which quotes the whole URL (credentials included).
    if (!/^https?:\/\/[^/]/i.test(endpoint) || !URL.canParse(endpoint)) {
      problems.add(['telemetry', 'otlp', 'endpoint'], 'must be an http:// or https:// URL (the collector base URL, e.g. http://127.0.0.1:4318)');
    }
    telemetry.otlp = { endpoint, headers: raw.otlp.headers ?? {} };
  }
  return telemetry;
}
