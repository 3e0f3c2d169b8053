// Row <-> key limits, shared by both stores (NULL columns mean "no limit").

import type { BudgetPeriod } from '../config/types.ts';
import type { KeyLimits, UsageRow, UsageSummary } from './types.ts';

export interface LimitColumns {
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  concurrency: number | null;
  budget_usd: number | null;
  budget_per: string | null;
}

/** Columns added after the first schema: name and SQL type, added to existing tables on open. */
export const ADDED_KEY_COLUMNS: ReadonlyArray<[string, 'REAL' | 'TEXT' | 'INTEGER']> = [
  ['budget_usd', 'REAL'],
  ['budget_per', 'TEXT'],
];
export const ADDED_USAGE_COLUMNS: ReadonlyArray<[string, 'REAL' | 'TEXT' | 'INTEGER']> = [
  ['cache_read_tokens', 'INTEGER'],
  ['cache_write_tokens', 'INTEGER'],
  ['reasoning_tokens', 'INTEGER'],
  ['cost_usd', 'REAL'],
];

/** The columns of sluice_usage in insert order, and one row's values in that order. */
export const USAGE_COLUMNS = [
  'time',
  'request_id',
  'key_name',
  'model',
  'target',
  'tokens_in',
  'tokens_out',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'estimated',
  'end_reason',
  'status',
  'cost_usd',
] as const;

export function usageValues(row: UsageRow, time: string | Date, estimated: number | boolean): Array<string | number | boolean | Date | null> {
  return [
    time,
    row.requestId,
    row.keyName ?? null,
    row.model,
    row.target ?? null,
    row.tokensIn,
    row.tokensOut,
    row.cacheReadTokens ?? null,
    row.cacheWriteTokens ?? null,
    row.reasoningTokens ?? null,
    estimated,
    row.endReason,
    row.status,
    row.costUsd ?? null,
  ];
}

/** Many rows' values, row after row, as the usage INSERT takes them (and as the usage thread receives them). */
export function usageArgs(rows: UsageRow[]): Array<string | number | null> {
  const args: Array<string | number | null> = [];
  for (const row of rows) {
    for (const v of usageValues(row, row.time.toISOString(), row.estimated ? 1 : 0) as Array<string | number | null>) args.push(v);
  }
  return args;
}

export interface UsageDbRow {
  time: string | Date;
  request_id: string;
  key_name: string | null;
  model: string;
  target: string | null;
  tokens_in: number;
  tokens_out: number;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  estimated: number | boolean;
  end_reason: string;
  status: number;
  cost_usd: number | null;
}

export function usageFromRow(r: UsageDbRow): UsageRow {
  const row: UsageRow = {
    time: r.time instanceof Date ? r.time : new Date(r.time),
    requestId: r.request_id,
    keyName: r.key_name ?? undefined,
    model: r.model,
    target: r.target ?? undefined,
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    estimated: r.estimated === 1 || r.estimated === true,
    endReason: r.end_reason,
    status: r.status,
  };
  if (r.cache_read_tokens !== null) row.cacheReadTokens = Number(r.cache_read_tokens);
  if (r.cache_write_tokens !== null) row.cacheWriteTokens = Number(r.cache_write_tokens);
  if (r.reasoning_tokens !== null) row.reasoningTokens = Number(r.reasoning_tokens);
  if (r.cost_usd !== null) row.costUsd = Number(r.cost_usd);
  return row;
}

/** One GROUP BY key_name, model over sluice_usage; both stores run it, with their own placeholders. */
export function summarySql(since: string, key: string | undefined): string {
  return `SELECT key_name, model, COUNT(*) AS requests,
      COALESCE(SUM(tokens_in), 0) AS tokens_in, COALESCE(SUM(tokens_out), 0) AS tokens_out,
      COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens, COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens,
      COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
      SUM(CASE WHEN estimated THEN 1 ELSE 0 END) AS estimated_requests,
      SUM(CASE WHEN cost_usd IS NULL THEN 1 ELSE 0 END) AS unpriced_requests,
      COALESCE(SUM(cost_usd), 0) AS cost_usd
    FROM sluice_usage WHERE time >= ${since}${key === undefined ? '' : ` AND key_name = ${key}`}
    GROUP BY key_name, model ORDER BY cost_usd DESC, requests DESC, key_name, model`;
}

export interface SummaryDbRow {
  key_name: string | null;
  model: string;
  requests: number | string;
  tokens_in: number | string;
  tokens_out: number | string;
  cache_read_tokens: number | string;
  cache_write_tokens: number | string;
  reasoning_tokens: number | string;
  estimated_requests: number | string;
  unpriced_requests: number | string;
  cost_usd: number | string;
}

/** PostgreSQL returns SUM/COUNT of integers as text (bigint/numeric); both arrive here as numbers. */
export function summaryFromRow(r: SummaryDbRow): UsageSummary {
  const s: UsageSummary = {
    model: r.model,
    requests: Number(r.requests),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    reasoningTokens: Number(r.reasoning_tokens),
    estimatedRequests: Number(r.estimated_requests),
    unpricedRequests: Number(r.unpriced_requests),
    costUsd: Number(r.cost_usd),
  };
  if (r.key_name !== null) s.keyName = r.key_name;
  return s;
}

export function limitsFromColumns(row: LimitColumns): KeyLimits {
  const limits: KeyLimits = {};
  if (row.models !== null) limits.models = JSON.parse(row.models) as string[];
  if (row.rpm !== null) limits.rpm = row.rpm;
  if (row.tpm !== null) limits.tpm = row.tpm;
  if (row.concurrency !== null) limits.concurrency = row.concurrency;
  if (row.budget_usd !== null && (row.budget_per === 'day' || row.budget_per === 'month' || row.budget_per === 'total')) {
    limits.budget = { usd: Number(row.budget_usd), per: row.budget_per as BudgetPeriod };
  }
  return limits;
}

export function modelsColumn(limits: KeyLimits): string | null {
  return limits.models ? JSON.stringify(limits.models) : null;
}

/** A usage summary row as `keys usage --json` and the playground's spend page print it (one shape for both). */
export function summaryJson(r: UsageSummary): Record<string, unknown> {
  return {
    key: r.keyName ?? null,
    model: r.model,
    requests: r.requests,
    tokens_in: r.tokensIn,
    tokens_out: r.tokensOut,
    tokens_cache_read: r.cacheReadTokens,
    tokens_cache_write: r.cacheWriteTokens,
    tokens_reasoning: r.reasoningTokens,
    estimated_requests: r.estimatedRequests,
    unpriced_requests: r.unpricedRequests,
    cost_usd: r.costUsd,
  };
}
