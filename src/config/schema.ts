// The YAML shape of sluice.yaml (SPEC §2), snake_case, validated with zod. Objects are strict:
// an unknown field is an error, never silently ignored. Sections are separate schemas so the
// builder can validate each provider, model and key on its own and report every problem at once.
//
// Numbers and booleans also accept their string spelling, because `${VAR}` substitution always
// yields strings (`port: ${PORT:-4000}` must work whatever the quoting).

import { z } from 'zod';
import { parseDuration, parseSize } from './units.ts';

const NUMERIC = /^-?\d+(?:\.\d+)?$/;

function fromNumericString(v: unknown): unknown {
  return typeof v === 'string' && NUMERIC.test(v.trim()) ? Number(v.trim()) : v;
}

function fromBooleanString(v: unknown): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(fromNumericString, z.number().int().min(min).max(max)).optional();
const number = (min: number) => z.preprocess(fromNumericString, z.number().min(min)).optional();
const bool = () => z.preprocess(fromBooleanString, z.boolean()).optional();
const text = () => z.string().trim().min(1).optional();

/** A `string | number` field converted by `parse`; absent stays undefined. */
function unitField(parse: (v: string | number) => number, what: string) {
  const converted = z.unknown().transform((v, ctx): number => {
    if (typeof v !== 'string' && typeof v !== 'number') {
      ctx.addIssue({ code: 'custom', message: `expected a ${what}`, input: v });
      return z.NEVER;
    }
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: v });
      return z.NEVER;
    }
  });
  return converted.optional();
}

const duration = () => unitField(parseDuration, 'duration such as 250ms, 15s or 10m');
const size = () => unitField(parseSize, 'size such as 512kb or 20mb');

// YAML reads `x-extra: 1` as a number; a header value is text either way.
const headerValue = z.preprocess(
  (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
  z.string(),
);

export const PROVIDER_TYPES = ['openai', 'anthropic', 'gemini', 'demo'] as const;
export const STREAMING_MODES = ['native', 'simulate', 'always'] as const;
export const STRATEGIES = ['weighted', 'fallback', 'least-busy', 'latency'] as const;
export const AUTH_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'] as const;
export const MAX_TOKENS_FIELDS = ['max_tokens', 'max_completion_tokens'] as const;
// pino's levels; `silent` turns request logs off.
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const serverSchema = z.strictObject({
  host: text(),
  port: int(0, 65535),
  keepalive: duration(),
  max_body: size(),
  drain_timeout: duration(),
  // A process count, or `auto` for one per core (SPEC §11).
  workers: z.union([z.literal('auto'), int(1, 1024).unwrap()]).optional(),
});

export const timeoutsSchema = z.strictObject({
  connect: duration(),
  first_byte: duration(),
  idle: duration(),
  total: duration(),
});

export const providerSchema = z.strictObject({
  type: z.enum(PROVIDER_TYPES).optional(),
  preset: text(),
  base_url: text(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), headerValue).optional(),
  timeouts: timeoutsSchema.optional(),
  streaming: z.enum(STREAMING_MODES).optional(),
  default_max_tokens: int(1),
  models: z.array(z.string().trim().min(1)).optional(),
  // Quirk flags (upstream-quirks.md, translation.md), inline so a provider reads as one block.
  inline_think_tags: bool(),
  buffer_tool_calls: bool(),
  supports_prefill: bool(),
  max_tokens_field: z.enum(MAX_TOKENS_FIELDS).optional(),
  auth_header: z.enum(AUTH_HEADERS).optional(),
  strip_strict: bool(),
  reasoning_effort: bool(),
  temperature_range: z.tuple([number(0).unwrap(), number(0).unwrap()]).optional(),
});

export const targetSchema = z.strictObject({
  provider: z.string().trim().min(1),
  model: z.string().trim().min(1),
  weight: number(0),
});

export const modelSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).optional(),
  targets: z.array(targetSchema).min(1),
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
});

export const urlSchema = z.string().trim().min(1).optional();

export type RawServer = z.output<typeof serverSchema>;
export type RawTimeouts = z.output<typeof timeoutsSchema>;
export type RawProvider = z.output<typeof providerSchema>;
export type RawModel = z.output<typeof modelSchema>;
export type RawRetries = z.output<typeof retriesSchema>;
export type RawBreaker = z.output<typeof breakerSchema>;
export type RawKey = z.output<typeof keySchema>;
export type RawLogging = z.output<typeof loggingSchema>;
