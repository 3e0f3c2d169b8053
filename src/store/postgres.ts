// The fleet store: PostgreSQL through `pg` (SPEC §6, `store: postgres://…`). Same interface and
// schema as the SQLite store; the schema is created on first use, under an advisory lock so two
// instances starting together do not race on CREATE TABLE.

import pg from 'pg';
import { hashKey, type ClientKey } from '../server/auth.ts';
import { limitsFromColumns, modelsColumn, tokenDetails } from './columns.ts';
import { generateSecret, sameDigest } from './secret.ts';
import { KeyExistsError, LAST_USED_RESOLUTION_MS, type KeyLimits, type Store, type StoredKey, type UsageRow } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sluice_keys (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  models TEXT,
  rpm INTEGER,
  tpm INTEGER,
  concurrency INTEGER,
  created_at TIMESTAMPTZ NOT NULL,
  last_used_at TIMESTAMPTZ,
  revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX IF NOT EXISTS sluice_keys_active_name ON sluice_keys (name) WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS sluice_usage (
  id BIGSERIAL PRIMARY KEY,
  time TIMESTAMPTZ NOT NULL,
  request_id TEXT NOT NULL,
  key_name TEXT,
  model TEXT NOT NULL,
  target TEXT,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER NOT NULL,
  estimated BOOLEAN NOT NULL,
  end_reason TEXT NOT NULL,
  status INTEGER NOT NULL
);
ALTER TABLE sluice_usage ADD COLUMN IF NOT EXISTS cache_read_tokens INTEGER;
ALTER TABLE sluice_usage ADD COLUMN IF NOT EXISTS cache_write_tokens INTEGER;
ALTER TABLE sluice_usage ADD COLUMN IF NOT EXISTS reasoning_tokens INTEGER;
CREATE INDEX IF NOT EXISTS sluice_usage_time ON sluice_usage (time);
CREATE INDEX IF NOT EXISTS sluice_usage_key ON sluice_usage (key_name, time);
CREATE TABLE IF NOT EXISTS sluice_documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS sluice_documents_expiry ON sluice_documents (expires_at);
`;

/** Any constant: the advisory lock that serialises schema creation across instances. */
const SCHEMA_LOCK = 0x51_1c_e0;
const UNIQUE_VIOLATION = '23505';

const KEY_COLUMNS = 'name, hash, models, rpm, tpm, concurrency, created_at, last_used_at';

interface KeyRow {
  name: string;
  hash: string;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  concurrency: number | null;
  created_at: Date;
  last_used_at: Date | null;
}

export interface PostgresStoreOptions {
  /** Called for errors of idle pooled connections (which would otherwise crash the process). */
  onError?(err: Error): void;
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  private schema: Promise<void> | undefined;
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(url: string, opts: PostgresStoreOptions = {}) {
    this.pool = new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000 });
    this.pool.on('error', (err) => opts.onError?.(err));
  }

  async findByHash(hash: string): Promise<ClientKey | undefined> {
    const { rows } = await this.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM sluice_keys WHERE hash = $1 AND revoked_at IS NULL`, [hash]);
    const row = rows[0];
    if (!row || !sameDigest(row.hash, hash)) return undefined;
    this.touch(row.name);
    return { name: row.name, ...limitsFromColumns(row), source: 'store' };
  }

  async hasKeys(): Promise<boolean> {
    const { rows } = await this.query('SELECT 1 FROM sluice_keys WHERE revoked_at IS NULL LIMIT 1');
    return rows.length > 0;
  }

  async createKey(name: string, limits: KeyLimits): Promise<{ secret: string; key: StoredKey }> {
    const secret = generateSecret();
    const createdAt = new Date();
    try {
      await this.query(
        'INSERT INTO sluice_keys (name, hash, models, rpm, tpm, concurrency, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [
          name,
          hashKey(secret),
          modelsColumn(limits),
          limits.rpm ?? null,
          limits.tpm ?? null,
          limits.concurrency ?? null,
          createdAt,
        ],
      );
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new KeyExistsError(`a key named "${name}" already exists`);
      throw err;
    }
    return { secret, key: { name, ...limits, createdAt } };
  }

  async listKeys(): Promise<StoredKey[]> {
    const { rows } = await this.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM sluice_keys WHERE revoked_at IS NULL ORDER BY id`);
    return rows.map((row) => {
      const key: StoredKey = { name: row.name, ...limitsFromColumns(row), createdAt: row.created_at };
      if (row.last_used_at) key.lastUsedAt = row.last_used_at;
      return key;
    });
  }

  async get(kind: string, id: string): Promise<unknown> {
    const { rows } = await this.query<{ body: string }>('SELECT body FROM sluice_documents WHERE kind = $1 AND id = $2 AND expires_at > now()', [kind, id]);
    return rows[0] === undefined ? undefined : JSON.parse(rows[0].body);
  }

  async put(kind: string, id: string, value: unknown, ttlMs: number): Promise<void> {
    await this.query('DELETE FROM sluice_documents WHERE expires_at <= now()');
    await this.query(
      `INSERT INTO sluice_documents (kind, id, body, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
       ON CONFLICT (kind, id) DO UPDATE SET body = EXCLUDED.body, expires_at = EXCLUDED.expires_at`,
      [kind, id, JSON.stringify(value), ttlMs],
    );
  }

  async delete(kind: string, id: string): Promise<boolean> {
    const { rowCount } = await this.query('DELETE FROM sluice_documents WHERE kind = $1 AND id = $2 AND expires_at > now()', [kind, id]);
    return (rowCount ?? 0) > 0;
  }

  async revokeKey(name: string): Promise<boolean> {
    const result = await this.query('UPDATE sluice_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL', [name]);
    return (result.rowCount ?? 0) > 0;
  }

  async recordUsage(rows: UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const row of rows) {
      const n = values.length;
      tuples.push(`(${Array.from({ length: 13 }, (_, k) => `$${n + k + 1}`).join(', ')})`);
      values.push(row.time, row.requestId, row.keyName ?? null, row.model, row.target ?? null);
      values.push(row.tokensIn, row.tokensOut, row.estimated, row.endReason, row.status);
      values.push(row.cacheReadTokens ?? null, row.cacheWriteTokens ?? null, row.reasoningTokens ?? null);
    }
    await this.query(
      `INSERT INTO sluice_usage (time, request_id, key_name, model, target, tokens_in, tokens_out, estimated, end_reason, status,
         cache_read_tokens, cache_write_tokens, reasoning_tokens)
       VALUES ${tuples.join(', ')}`,
      values,
    );
  }

  async recentUsage(limit: number): Promise<UsageRow[]> {
    const { rows } = await this.query<{
      time: Date;
      request_id: string;
      key_name: string | null;
      model: string;
      target: string | null;
      tokens_in: number;
      tokens_out: number;
      estimated: boolean;
      end_reason: string;
      status: number;
      cache_read_tokens: number | null;
      cache_write_tokens: number | null;
      reasoning_tokens: number | null;
    }>('SELECT * FROM sluice_usage ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map((r) => ({
      time: r.time,
      requestId: r.request_id,
      keyName: r.key_name ?? undefined,
      model: r.model,
      target: r.target ?? undefined,
      tokensIn: r.tokens_in,
      tokensOut: r.tokens_out,
      estimated: r.estimated,
      endReason: r.end_reason,
      status: r.status,
      ...tokenDetails(r),
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    await this.ensureSchema();
    return this.pool.query<R>(text, values);
  }

  private ensureSchema(): Promise<void> {
    this.schema ??= this.createSchema().catch((err: unknown) => {
      // Try again on the next call (the database may have been starting up).
      this.schema = undefined;
      throw err;
    });
    return this.schema;
  }

  private async createSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await client.query(SCHEMA);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  private touch(name: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(name) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(name, now);
    // Bookkeeping only: never delays or fails the request that triggered it.
    this.pool.query('UPDATE sluice_keys SET last_used_at = now() WHERE name = $1 AND revoked_at IS NULL', [name]).catch(() => {});
  }
}
