// The resolved, typed configuration the rest of sluice consumes (SPEC §2). Every default is already
// applied and every duration/size is a number of milliseconds/bytes, so consumers never re-parse.
// The YAML shape (snake_case) lives in schema.ts; this file is the camelCase result.

import type { UpstreamEndpoint } from '../core/protocol.ts';

/** A provider type name: one the protocol registry declares (src/protocols/index.ts). */
export type ProviderType = string;
export type StreamingMode = 'native' | 'simulate' | 'always';
export type Strategy = 'weighted' | 'fallback' | 'least-busy' | 'latency';

/** Per-provider time limits in milliseconds (SPEC §4.4). */
export interface Timeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
  totalMs: number;
}

/**
 * One provider: what its codec sees (UpstreamEndpoint: base URL, key, headers, quirks and settings
 * as its provider type declares them) plus what the gateway applies around it.
 */
export interface ProviderConfig extends UpstreamEndpoint {
  type: ProviderType;
  settings: Readonly<Record<string, unknown>>;
  timeouts: Timeouts;
  streaming: StreamingMode;
  models?: string[];
  preset?: string; // name of the preset it was built from, if any
  /** True for the demo provider sluice adds by itself (not written in the config file). */
  builtin?: boolean;
  /**
   * The configured provider this one is a per-request copy of (a retry's clamped time limits): its
   * Upstream, with the auth caches in it, is the original's.
   */
  origin?: ProviderConfig;
}

export interface TargetConfig {
  provider: string;
  model: string;
  weight: number;
}

export interface ModelConfig {
  name: string;
  strategy: Strategy;
  targets: TargetConfig[];
  /** A stream broken after the commit point continues on the next target (SPEC §4.6; docs/continuation.md). */
  continueOnFailure?: boolean;
  /** True for the demo model sluice adds by itself (zero-config, or a file with no models). */
  builtin?: boolean;
}

export interface StaticKeyConfig {
  name: string;
  key: string;
  models?: string[];
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  budget?: BudgetConfig;
}

/** Calendar periods are UTC: a day budget resets at 00:00 UTC, a month budget on the 1st (docs/budgets.md). */
export type BudgetPeriod = 'day' | 'month' | 'total';

export interface BudgetConfig {
  usd: number;
  per: BudgetPeriod;
}

/** `pricing:` entries: USD per 1M tokens (docs/pricing.md); unpriced kinds fall into their parent. */
export interface ModelPricing {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
  reasoning?: number;
  /** USD per request on top of the tokens. */
  request?: number;
}

export interface TelemetryConfig {
  /** OTLP/HTTP trace export; absent: no tracing at all. */
  otlp?: { endpoint: string; headers: Record<string, string> };
  /** Export prompts and answers on spans (SPEC §12: never unless asked for). */
  content: boolean;
  serviceName: string;
}

export interface ServerConfig {
  host: string;
  port: number;
  keepaliveMs: number;
  maxBodyBytes: number;
  /** On SIGTERM/SIGINT, how long in-flight requests may finish before they are ended (SPEC §11). */
  drainTimeoutMs: number;
  /** Processes serving the port; 'auto' = one per core (SPEC §11). */
  workers: number | 'auto';
}

/** `attempts` counts retries after the first try: 2 means at most 3 tries in all. */
export interface RetryConfig {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export interface BreakerConfig {
  failureThreshold: number;
  cooldownMs: number;
}

export interface Config {
  server: ServerConfig;
  providers: Record<string, ProviderConfig>;
  models: Record<string, ModelConfig>;
  retries: RetryConfig;
  breaker: BreakerConfig;
  auth: { keys: StaticKeyConfig[]; adminKey?: string };
  store: string; // default 'sqlite:./sluice.db'
  redis?: string;
  logging: { level: string; tap: number };
  /** Per upstream model name, `provider/model` or `provider/*`: prices over the catalog (§12). */
  pricing: Record<string, ModelPricing>;
  telemetry: TelemetryConfig;
  /** Top-level sections owned by protocols (e.g. `responses:`), resolved by their SettingsSection. */
  sections: Record<string, unknown>;
  source: string; // file path, or '(zero-config)'
}
