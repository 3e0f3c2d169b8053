// The store (SPEC §6): client keys created with `sluice keys` and per-request usage. Embedded SQLite
// by default, PostgreSQL for a fleet; both implement this interface. Only SHA-256 digests of secrets
// are kept; a secret exists in clear only in the `keys create` output.

import type { DocumentStore } from '../core/protocol.ts';
import type { KeyStore } from '../server/auth.ts';
import type { BudgetConfig } from '../config/types.ts';

export interface KeyLimits {
  /** Allowed model names (undefined: all). */
  models?: string[];
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  /** Spend limit (docs/budgets.md). */
  budget?: BudgetConfig;
}

export interface StoredKey extends KeyLimits {
  name: string;
  createdAt: Date;
  lastUsedAt?: Date;
}

export interface UsageRow {
  time: Date;
  requestId: string;
  keyName?: string;
  model: string;
  /** `provider/model` that served (or last failed). */
  target?: string;
  /** All prompt tokens, cached ones included (SPEC §5: OpenAI semantics). */
  tokensIn: number;
  /** All output tokens, reasoning included. */
  tokensOut: number;
  /** Of tokensIn: read from / written to the prompt cache; of tokensOut: reasoning. Absent when not reported. */
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  estimated: boolean;
  endReason: string;
  status: number;
  /** USD (SPEC §12); undefined when no price is known for the target. */
  costUsd?: number;
}

/** Requests, tokens and cost of one key and model over a period (`sluice keys usage`, the playground). */
export interface UsageSummary {
  keyName?: string;
  model: string;
  requests: number;
  tokensIn: number;
  tokensOut: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Requests whose token counts sluice estimated (the upstream reported none). */
  estimatedRequests: number;
  /** Requests no price was known for (counted as $0 in costUsd). */
  unpricedRequests: number;
  costUsd: number;
}

/**
 * Also small JSON documents with an expiry (DocumentStore): state a front keeps across requests,
 * such as stored Responses for previous_response_id. Table `sluice_documents`; an expired document
 * reads as absent and is deleted by a later write.
 */
export interface Store extends KeyStore, DocumentStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates a key; the secret is returned here and never again. Throws if the name is taken. */
  createKey(name: string, limits: KeyLimits): Promise<{ secret: string; key: StoredKey }>;
  /** Active keys, oldest first. */
  listKeys(): Promise<StoredKey[]>;
  /** Revokes the active key of that name; false when there is none. */
  revokeKey(name: string): Promise<boolean>;
  /** Appends usage rows, all or none. */
  recordUsage(rows: UsageRow[]): Promise<void>;
  /** Most recent usage rows first. */
  recentUsage(limit: number): Promise<UsageRow[]>;
  /** The usage row of one request (the most recent, should a client reuse an id); SQLite looks among the newest 200 000 rows only. */
  usageOf(requestId: string): Promise<UsageRow | undefined>;
  /** Per key and model since `since`, most expensive first; only `keyName`'s rows when given. */
  usageSummary(since: Date, keyName?: string): Promise<UsageSummary[]>;
  /** USD spent by a key since `since` (budgets count from it when their shared counter is gone). */
  spendSince(keyName: string, since: Date): Promise<number>;
  close(): Promise<void>;
}

export class KeyExistsError extends Error {}

/** last_used_at is written at most this often per key: a write per request would be wasteful. */
export const LAST_USED_RESOLUTION_MS = 60_000;
