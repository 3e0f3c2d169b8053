// Row <-> key limits, shared by both stores (NULL columns mean "no limit").

import type { KeyLimits } from './types.ts';

export interface LimitColumns {
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  concurrency: number | null;
}

export function limitsFromColumns(row: LimitColumns): KeyLimits {
  const limits: KeyLimits = {};
  if (row.models !== null) limits.models = JSON.parse(row.models) as string[];
  if (row.rpm !== null) limits.rpm = row.rpm;
  if (row.tpm !== null) limits.tpm = row.tpm;
  if (row.concurrency !== null) limits.concurrency = row.concurrency;
  return limits;
}

export function modelsColumn(limits: KeyLimits): string | null {
  return limits.models ? JSON.stringify(limits.models) : null;
}

/**
 * Usage columns added after the first schema: created with the table for new stores, added by
 * ALTER TABLE to stores made by an earlier sluice (NULL for their old rows).
 */
export const ADDED_USAGE_COLUMNS = ['cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'] as const;

/** The token-detail fields of a usage row, only those the row has (NULL columns are left out). */
export function tokenDetails(r: {
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
}): { cacheReadTokens?: number; cacheWriteTokens?: number; reasoningTokens?: number } {
  const out: { cacheReadTokens?: number; cacheWriteTokens?: number; reasoningTokens?: number } = {};
  if (r.cache_read_tokens !== null && r.cache_read_tokens !== undefined) out.cacheReadTokens = Number(r.cache_read_tokens);
  if (r.cache_write_tokens !== null && r.cache_write_tokens !== undefined) out.cacheWriteTokens = Number(r.cache_write_tokens);
  if (r.reasoning_tokens !== null && r.reasoning_tokens !== undefined) out.reasoningTokens = Number(r.reasoning_tokens);
  return out;
}
