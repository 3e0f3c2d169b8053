// `context_cache:` of a `gemini` (or `vertex`) provider: cache breakpoints of other dialects become
// explicit Gemini cachedContents resources (cache-prepare.ts; docs/protocols/gemini.md §9).
//
//   context_cache: { enabled: true, ttl: 5m, min_tokens: 1024 }

import { z } from 'zod';
import { bool, duration, int } from '../../config/fields.ts';
import type { UpstreamEndpoint } from '../../core/protocol.ts';

/** Anthropic's default breakpoint lifetime, so a translated breakpoint lives as long as it would there. */
export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
/** Gemini 2.5 Flash's minimum cache size (gemini.md §9); Pro models need more (their 400 falls back). */
export const DEFAULT_CACHE_MIN_TOKENS = 1024;
/** Shorter lifetimes would spend more on refreshes and creations than a cache saves. */
const MIN_TTL_MS = 60_000;

export interface ContextCacheSettings {
  enabled: boolean;
  /** Lifetime of a cache when the breakpoints give none. */
  ttlMs: number;
  /** Prefixes estimated below this are sent uncached without asking Google. */
  minTokens: number;
}

const schema = z
  .strictObject({
    enabled: bool(),
    ttl: duration().refine((v) => v === undefined || v >= MIN_TTL_MS, { message: 'must be at least 1m' }),
    min_tokens: int(0, 100_000_000),
  })
  .transform(
    (v): ContextCacheSettings => ({
      enabled: v.enabled ?? true,
      ttlMs: v.ttl ?? DEFAULT_CACHE_TTL_MS,
      minTokens: v.min_tokens ?? DEFAULT_CACHE_MIN_TOKENS,
    }),
  );

/** The setting field, for ProviderType.settingFields. */
export const contextCacheField = { context_cache: schema.optional() };

/** The provider's context cache settings when caching is on, else undefined. */
export function contextCacheOf(endpoint: UpstreamEndpoint): ContextCacheSettings | undefined {
  const s = (endpoint.settings as { contextCache?: ContextCacheSettings } | undefined)?.contextCache;
  return s !== undefined && s.enabled ? s : undefined;
}
