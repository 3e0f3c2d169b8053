// The fleet store: PostgreSQL through `pg` (SPEC §6, `store: postgres://…`). Same interface and
// schema as the SQLite store; the schema is created on first use, under an advisory lock so two
// instances starting together do not race on CREATE TABLE.

import pg from 'pg';
import { hashKey, type ClientKey } from '../server/auth.ts';
import {
  ADDED_KEY_COLUMNS,
  ADDED_USAGE_COLUMNS,
  USAGE_COLUMNS,
  limitsFromColumns,
  modelsColumn,
  summaryFromRow,
  summarySql,
  usageFromRow,
  usageValues,
  type SummaryDbRow,
  type UsageDbRow,
} from './columns.ts';
import { generateSecret, sameDigest } from './secret.ts';
import {
  KeyExistsError,
  LAST_USED_RESOLUTION_MS,
  type KeyLimits,
  type Store,
  type StoredKey,
  type UsageRow,
  type UsageSummary,
} from './types.ts';

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
CREATE INDEX IF NOT EXISTS sluice_usage_time ON sluice_usage (time);
CREATE INDEX IF NOT EXISTS sluice_usage_key ON sluice_usage (key_name, time);
${ADDED_KEY_COLUMNS.map(([name, type]) => `ALTER TABLE sluice_keys ADD COLUMN IF NOT EXISTS ${name} ${pgType(type)};`).join('\n')}
${ADDED_USAGE_COLUMNS.map(([name, type]) => `ALTER TABLE sluice_usage ADD COLUMN IF NOT EXISTS ${name} ${pgType(type)};`).join('\n')}
CREATE INDEX IF NOT EXISTS sluice_usage_request ON sluice_usage (request_id);
CREATE TABLE IF NOT EXISTS sluice_documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS sluice_documents_expiry ON sluice_documents (expires_at);
`;

/** Columns added by later versions are added to existing tables (ADD COLUMN IF NOT EXISTS) in SCHEMA. */
function pgType(type: 'REAL' | 'TEXT' | 'INTEGER'): string {
  return type === 'REAL' ? 'DOUBLE PRECISION' : type === 'INTEGER' ? 'BIGINT' : 'TEXT';
}

/** Any constant: the advisory lock that serialises schema creation across instances. */
const SCHEMA_LOCK = 0x51_1c_e0;
const UNIQUE_VIOLATION = '23505';

const KEY_COLUMNS = 'name, hash, models, rpm, tpm, concurrency, budget_usd, budget_per, created_at, last_used_at';

interface KeyRow {
  name: string;
  hash: string;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  concurrency: number | null;
  budget_usd: number | null;
  budget_per: string | null;
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
        `INSERT INTO sluice_keys (name, hash, models, rpm, tpm, concurrency, budget_usd, budget_per, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          name,
          hashKey(secret),
          modelsColumn(limits),
          limits.rpm ?? null,
          limits.tpm ?? null,
          limits.concurrency ?? null,
          limits.budget?.usd ?? null,
          limits.budget?.per ?? null,
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
      tuples.push(`(${USAGE_COLUMNS.map((_, i) => `$${n + i + 1}`).join(', ')})`);
      values.push(...usageValues(row, row.time, row.estimated));
    }
    await this.query(`INSERT INTO sluice_usage (${USAGE_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, values);
  }

  async usageOf(requestId: string): Promise<UsageRow | undefined> {
    const { rows } = await this.query<UsageDbRow>('SELECT * FROM sluice_usage WHERE request_id = $1 ORDER BY id DESC LIMIT 1', [requestId]);
    return rows[0] ? usageFromRow(rows[0]) : undefined;
  }

  async usageSummary(since: Date, keyName?: string): Promise<UsageSummary[]> {
    const { rows } = await this.query<SummaryDbRow>(
      summarySql('$1', keyName === undefined ? undefined : '$2'),
      keyName === undefined ? [since] : [since, keyName],
    );
    return rows.map(summaryFromRow);
  }

  async spendSince(keyName: string, since: Date): Promise<number> {
    const { rows } = await this.query<{ usd: string | number }>(
      'SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM sluice_usage WHERE key_name = $1 AND time >= $2',
      [keyName, since],
    );
    return Number(rows[0]?.usd ?? 0);
  }

  async recentUsage(limit: number): Promise<UsageRow[]> {
    const { rows } = await this.query<UsageDbRow>('SELECT * FROM sluice_usage ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map(usageFromRow);
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
