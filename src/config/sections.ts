// The scalar sections of sluice.yaml: server, retries, breaker, logging, store, redis.
// Each takes validated YAML (or undefined when absent or invalid) and returns resolved values
// with SPEC §2 defaults, adding cross-field problems.

import {
  DEFAULT_BREAKER,
  DEFAULT_LOGGING,
  DEFAULT_RETRIES,
  DEFAULT_SERVER,
  DEFAULT_STORE,
} from './defaults.ts';
import type { ProblemList } from './errors.ts';
import type { RawBreaker, RawLogging, RawRetries, RawServer } from './schema.ts';
import type { BreakerConfig, Config, RetryConfig, ServerConfig } from './types.ts';
import { formatDuration } from './units.ts';
import { parseRedisUrl } from '../state/redis-url.ts';

export function resolveServer(raw: RawServer | undefined, problems: ProblemList): ServerConfig {
  const server: ServerConfig = {
    host: raw?.host ?? DEFAULT_SERVER.host,
    port: raw?.port ?? DEFAULT_SERVER.port,
    keepaliveMs: raw?.keepalive ?? DEFAULT_SERVER.keepaliveMs,
    maxBodyBytes: raw?.max_body ?? DEFAULT_SERVER.maxBodyBytes,
    drainTimeoutMs: raw?.drain_timeout ?? DEFAULT_SERVER.drainTimeoutMs,
    workers: raw?.workers ?? DEFAULT_SERVER.workers,
  };
  // A zero keepalive would spin the SSE comment timer (§4.4); a zero body limit rejects everything.
  if (server.keepaliveMs <= 0) problems.add(['server', 'keepalive'], 'must be greater than 0');
  if (server.maxBodyBytes <= 0) problems.add(['server', 'max_body'], 'must be greater than 0');
  return server;
}

export function resolveRetries(raw: RawRetries | undefined, problems: ProblemList): RetryConfig {
  const backoffMs = raw?.backoff ?? DEFAULT_RETRIES.backoffMs;
  // Raising only `backoff` above the default ceiling should not be an error: the ceiling follows.
  const maxBackoffMs = raw?.max_backoff ?? Math.max(DEFAULT_RETRIES.maxBackoffMs, backoffMs);
  if (backoffMs > maxBackoffMs) {
    problems.add(['retries', 'backoff'], `${formatDuration(backoffMs)} is above max_backoff ${formatDuration(maxBackoffMs)}`);
  }
  return { attempts: raw?.attempts ?? DEFAULT_RETRIES.attempts, backoffMs, maxBackoffMs };
}

export function resolveBreaker(raw: RawBreaker | undefined, problems: ProblemList): BreakerConfig {
  const breaker: BreakerConfig = {
    failureThreshold: raw?.failure_threshold ?? DEFAULT_BREAKER.failureThreshold,
    cooldownMs: raw?.cooldown ?? DEFAULT_BREAKER.cooldownMs,
  };
  if (breaker.cooldownMs <= 0) problems.add(['breaker', 'cooldown'], 'must be greater than 0');
  return breaker;
}

export function resolveLogging(raw: RawLogging | undefined): Config['logging'] {
  return { level: raw?.level ?? DEFAULT_LOGGING.level, tap: raw?.tap ?? DEFAULT_LOGGING.tap };
}

// SPEC §6: embedded SQLite by default, PostgreSQL for fleets. Only the scheme is named in
// messages: these URLs often carry a password.
const STORE_SCHEMES = /^(sqlite:|postgres:\/\/|postgresql:\/\/)/i;

function schemeOf(url: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url);
  return m === null ? 'no scheme' : `"${m[0]}"`;
}

export function resolveStore(raw: string | undefined, problems: ProblemList): string {
  const store = raw ?? DEFAULT_STORE;
  if (!STORE_SCHEMES.test(store)) {
    problems.add(['store'], `unsupported store (${schemeOf(store)}); use sqlite:PATH or postgres://…`);
  }
  return store;
}

export function resolveRedis(raw: string | undefined, problems: ProblemList): string | undefined {
  if (raw === undefined) return raw;
  try {
    parseRedisUrl(raw);
  } catch (err) {
    // The parser's messages never echo the URL (it may carry a password); the scheme is safe to name.
    problems.add(['redis'], `${(err as Error).message} (got ${schemeOf(raw)})`);
  }
  return raw;
}
