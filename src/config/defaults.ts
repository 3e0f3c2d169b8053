// Every default of SPEC §2, §4.4 in one place. Consumers read resolved values from Config and
// never apply defaults of their own.

import type { BreakerConfig, RetryConfig, ServerConfig, Strategy, StreamingMode, Timeouts } from './types.ts';

export const DEFAULT_SERVER: Readonly<ServerConfig> = {
  host: '127.0.0.1',
  port: 4000,
  keepaliveMs: 15_000,
  maxBodyBytes: 20 * 1024 * 1024,
  drainTimeoutMs: 5 * 60_000,
  workers: 1,
};

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  connectMs: 10_000,
  firstByteMs: 120_000,
  idleMs: 60_000,
  totalMs: 15 * 60_000,
};

export const DEFAULT_STREAMING: StreamingMode = 'native';
export const DEFAULT_STRATEGY: Strategy = 'weighted';
export const DEFAULT_WEIGHT = 1;

export const DEFAULT_RETRIES: Readonly<RetryConfig> = { attempts: 2, backoffMs: 250, maxBackoffMs: 5000 };
export const DEFAULT_BREAKER: Readonly<BreakerConfig> = { failureThreshold: 5, cooldownMs: 30_000 };

export const DEFAULT_STORE = 'sqlite:./sluice.db';
export const DEFAULT_LOGGING = { level: 'info', tap: 0 } as const;

export const ZERO_CONFIG_SOURCE = '(zero-config)';
export const DEFAULT_CONFIG_FILE = 'sluice.yaml';
