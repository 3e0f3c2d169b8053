// The YAML shape of sluice.yaml (SPEC §2), snake_case, validated with zod. Objects are strict:
// an unknown field is an error, never silently ignored. Sections are separate schemas so the
// builder can validate each provider, model and key on its own and report every problem at once.

import { z } from 'zod';
import { bool, duration, headerValue, int, number, size, text } from './fields.ts';
import { budgetSchema } from './spend.ts';

export const STREAMING_MODES = ['native', 'simulate', 'always'] as const;
export const STRATEGIES = ['weighted', 'fallback', 'least-busy', 'latency'] as const;
// pino's levels; `silent` turns request logs off.
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const serverSchema = z.strictObject({
  host: text(),
  port: int(0, 65535),
  keepalive: duration(),
  max_body: size(),
  drain_timeout: duration(),
  // A process count, or `auto` for one per core (SPEC §11).
  workers: z
    .unknown()
    .transform((v, ctx): number | 'auto' => {
      if (v === 'auto') return 'auto';
      const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
      if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1024) return n;
      ctx.addIssue({ code: 'custom', message: 'expected a number of processes from 1 to 1024, or auto', input: v });
      return z.NEVER;
    })
    .optional(),
});

export const timeoutsSchema = z.strictObject({
  connect: duration(),
  first_byte: duration(),
  idle: duration(),
  total: duration(),
});

/**
 * The provider fields every type accepts. A provider is validated against these plus the fields its
 * type declares (ProviderType.quirkFields, settingFields; config/provider-schema.ts), so a field of
 * another type is an unknown field with a "did you mean".
 */
export const providerCommonFields = {
  type: z.string().trim().min(1).optional(),
  preset: text(),
  base_url: text(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), headerValue).optional(),
  timeouts: timeoutsSchema.optional(),
  streaming: z.enum(STREAMING_MODES).optional(),
  default_max_tokens: int(1),
  models: z.array(z.string().trim().min(1)).optional(),
};

export const targetSchema = z.strictObject({
  provider: z.string().trim().min(1),
  model: z.string().trim().min(1),
  weight: number(0),
});

export const modelSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).optional(),
  targets: z.array(targetSchema).min(1),
  // SPEC §4.6: a stream broken after the commit point continues on the next target (docs/continuation.md).
  continue_on_failure: bool(),
});

export const retriesSchema = z.strictObject({
  attempts: int(0, 100),
  backoff: duration(),
  max_backoff: duration(),
});

export const breakerSchema = z.strictObject({
  failure_threshold: int(1),
  cooldown: duration(),
});

export const keySchema = z.strictObject({
  name: z.string().trim().min(1),
  key: z.string().min(1),
  models: z.array(z.string().trim().min(1)).optional(),
  rpm: int(1),
  tpm: int(1),
  concurrency: int(1),
  budget: budgetSchema.optional(),
});

export const authSchema = z.strictObject({
  // For /admin/* (POST /admin/reload); without it (or empty: `${SLUICE_ADMIN_KEY:-}`) they are off.
  admin_key: z.string().optional(),
  keys: z.array(z.unknown()).optional(),
});

export const loggingSchema = z.strictObject({
  level: z.enum(LOG_LEVELS).optional(),
  tap: int(0),
});

/** Top level: sections are checked by their own schemas; here only which sections exist. */
export const rootSchema = z.strictObject({
  server: z.unknown().optional(),
  providers: z.record(z.string(), z.unknown()).optional(),
  models: z.record(z.string(), z.unknown()).optional(),
  retries: z.unknown().optional(),
  breaker: z.unknown().optional(),
  auth: z.unknown().optional(),
  store: z.unknown().optional(),
  redis: z.unknown().optional(),
  logging: z.unknown().optional(),
  pricing: z.unknown().optional(),
  telemetry: z.unknown().optional(),
});

export const urlSchema = z.string().trim().min(1).optional();

export type RawServer = z.output<typeof serverSchema>;
export type RawTimeouts = z.output<typeof timeoutsSchema>;
export type RawProvider = z.output<z.ZodObject<typeof providerCommonFields>> & Record<string, unknown>;
export type RawModel = z.output<typeof modelSchema>;
export type RawRetries = z.output<typeof retriesSchema>;
export type RawBreaker = z.output<typeof breakerSchema>;
export type RawKey = z.output<typeof keySchema>;
export type RawLogging = z.output<typeof loggingSchema>;
