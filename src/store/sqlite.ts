// The embedded store: one SQLite file through node:sqlite (SPEC §6: `./sluice.db` in the working
// directory by default, created on first use). WAL mode lets `sluice keys` write while a gateway
// reads; busy_timeout makes either side wait for the other's short write lock instead of failing.
//
// "Created on first use": reads against a file that does not exist yet answer "nothing" without
// creating it, so a gateway that never stores anything leaves no file behind until a key or a usage
// row is written.

import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { hashKey, type ClientKey } from '../server/auth.ts';
import { ADDED_USAGE_COLUMNS, limitsFromColumns, modelsColumn, tokenDetails } from './columns.ts';
import { generateSecret, sameDigest } from './secret.ts';
import { KeyExistsError, LAST_USED_RESOLUTION_MS, type KeyLimits, type Store, type StoredKey, type UsageRow } from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sluice_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  models TEXT,
  rpm INTEGER,
  tpm INTEGER,
  concurrency INTEGER,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS sluice_keys_active_name ON sluice_keys (name) WHERE revoked_at IS NULL;
CREATE TABLE IF NOT EXISTS sluice_usage (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time TEXT NOT NULL,
  request_id TEXT NOT NULL,
  key_name TEXT,
  model TEXT NOT NULL,
  target TEXT,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER NOT NULL,
  estimated INTEGER NOT NULL,
  end_reason TEXT NOT NULL,
  status INTEGER NOT NULL,
  cache_read_tokens INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens INTEGER
);
CREATE INDEX IF NOT EXISTS sluice_usage_time ON sluice_usage (time);
CREATE INDEX IF NOT EXISTS sluice_usage_key ON sluice_usage (key_name, time);
CREATE TABLE IF NOT EXISTS sluice_documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS sluice_documents_expiry ON sluice_documents (expires_at);
`;

const KEY_COLUMNS = 'name, hash, models, rpm, tpm, concurrency, created_at, last_used_at';

interface KeyRow {
  name: string;
  hash: string;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  concurrency: number | null;
  created_at: string;
  last_used_at: string | null;
}

interface UsageDbRow {
  time: string;
  request_id: string;
  key_name: string | null;
  model: string;
  target: string | null;
  tokens_in: number;
  tokens_out: number;
  estimated: number;
  end_reason: string;
  status: number;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  private db: DatabaseSync | undefined;
  /** Prepared once per SQL text: the key lookup runs on every authenticated request. */
  private readonly statements = new Map<string, StatementSync>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(path: string) {
    this.path = path;
  }

  async findByHash(hash: string): Promise<ClientKey | undefined> {
    const db = this.open(false);
    if (!db) return undefined;
    const row = this.sql(db, `SELECT ${KEY_COLUMNS} FROM sluice_keys WHERE hash = ? AND revoked_at IS NULL`).get(hash) as
      | KeyRow
      | undefined;
    if (!row || !sameDigest(row.hash, hash)) return undefined;
    this.touch(db, row.name);
    return toClientKey(row);
  }

  async hasKeys(): Promise<boolean> {
    const db = this.open(false);
    if (!db) return false;
    return this.sql(db, 'SELECT 1 FROM sluice_keys WHERE revoked_at IS NULL LIMIT 1').get() !== undefined;
  }

  async createKey(name: string, limits: KeyLimits): Promise<{ secret: string; key: StoredKey }> {
    const db = this.open(true)!;
    const secret = generateSecret();
    const createdAt = new Date();
    try {
      this.sql(
        db,
        'INSERT INTO sluice_keys (name, hash, models, rpm, tpm, concurrency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        name,
        hashKey(secret),
        modelsColumn(limits),
        limits.rpm ?? null,
        limits.tpm ?? null,
        limits.concurrency ?? null,
        createdAt.toISOString(),
      );
    } catch (err) {
      if (/UNIQUE constraint failed: sluice_keys\.name/.test((err as Error).message)) {
        throw new KeyExistsError(`a key named "${name}" already exists`);
      }
      throw err;
    }
    return { secret, key: { name, ...limits, createdAt } };
  }

  async listKeys(): Promise<StoredKey[]> {
    const db = this.open(false);
    if (!db) return [];
    const list = `SELECT ${KEY_COLUMNS} FROM sluice_keys WHERE revoked_at IS NULL ORDER BY id`;
    const rows = this.sql(db, list).all() as unknown as KeyRow[];
    return rows.map(toStoredKey);
  }

  async revokeKey(name: string): Promise<boolean> {
    const db = this.open(false);
    if (!db) return false;
    const revoke = 'UPDATE sluice_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL';
    const result = this.sql(db, revoke).run(new Date().toISOString(), name);
    return Number(result.changes) > 0;
  }

  async recordUsage(rows: UsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    const db = this.open(true)!;
    const insert = this.sql(
      db,
      `INSERT INTO sluice_usage (time, request_id, key_name, model, target, tokens_in, tokens_out, estimated, end_reason, status,
         cache_read_tokens, cache_write_tokens, reasoning_tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.exec('BEGIN');
    try {
      for (const row of rows) {
        insert.run(
          row.time.toISOString(),
          row.requestId,
          row.keyName ?? null,
          row.model,
          row.target ?? null,
          row.tokensIn,
          row.tokensOut,
          row.estimated ? 1 : 0,
          row.endReason,
          row.status,
          row.cacheReadTokens ?? null,
          row.cacheWriteTokens ?? null,
          row.reasoningTokens ?? null,
        );
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  async recentUsage(limit: number): Promise<UsageRow[]> {
    const db = this.open(false);
    if (!db) return [];
    const rows = this.sql(db, 'SELECT * FROM sluice_usage ORDER BY id DESC LIMIT ?').all(limit) as unknown as UsageDbRow[];
    return rows.map((r) => ({
      time: new Date(r.time),
      requestId: r.request_id,
      keyName: r.key_name ?? undefined,
      model: r.model,
      target: r.target ?? undefined,
      tokensIn: r.tokens_in,
      tokensOut: r.tokens_out,
      estimated: r.estimated === 1,
      endReason: r.end_reason,
      status: r.status,
      ...tokenDetails(r),
    }));
  }

  async get(kind: string, id: string): Promise<unknown> {
    const db = this.open(false);
    if (!db) return undefined;
    const row = this.sql(db, 'SELECT body FROM sluice_documents WHERE kind = ? AND id = ? AND expires_at > ?').get(kind, id, Date.now()) as
      | { body: string }
      | undefined;
    return row === undefined ? undefined : JSON.parse(row.body);
  }

  async put(kind: string, id: string, value: unknown, ttlMs: number): Promise<void> {
    const db = this.open(true)!;
    const now = Date.now();
    this.sql(db, 'DELETE FROM sluice_documents WHERE expires_at <= ?').run(now);
    this.sql(db, 'INSERT OR REPLACE INTO sluice_documents (kind, id, body, expires_at) VALUES (?, ?, ?, ?)').run(kind, id, JSON.stringify(value), now + ttlMs);
  }

  async delete(kind: string, id: string): Promise<boolean> {
    const db = this.open(false);
    if (!db) return false;
    const result = this.sql(db, 'DELETE FROM sluice_documents WHERE kind = ? AND id = ? AND expires_at > ?').run(kind, id, Date.now());
    return Number(result.changes) > 0;
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }

  private open(create: boolean): DatabaseSync | undefined {
    if (this.db) return this.db;
    const existed = existsSync(this.path);
    if (!existed && !create) return undefined;
    if (!existed) mkdirSync(dirname(this.path), { recursive: true });
    const db = new DatabaseSync(this.path);
    // busy_timeout first: switching to WAL needs a lock another process (a gateway creating the file,
    // `sluice keys`) may hold for a moment.
    db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    db.exec(SCHEMA);
    const have = new Set((db.prepare('PRAGMA table_info(sluice_usage)').all() as Array<{ name: string }>).map((c) => c.name));
    for (const column of ADDED_USAGE_COLUMNS) if (!have.has(column)) db.exec(`ALTER TABLE sluice_usage ADD COLUMN ${column} INTEGER`);
    // Key digests and usage are nobody else's business on a shared machine.
    if (!existed) chmodSync(this.path, 0o600);
    this.db = db;
    return db;
  }

  private sql(db: DatabaseSync, text: string): StatementSync {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  private touch(db: DatabaseSync, name: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(name) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(name, now);
    const touch = 'UPDATE sluice_keys SET last_used_at = ? WHERE name = ? AND revoked_at IS NULL';
    this.sql(db, touch).run(new Date(now).toISOString(), name);
  }
}

function toClientKey(row: KeyRow): ClientKey {
  return { name: row.name, ...limitsFromColumns(row), source: 'store' };
}

function toStoredKey(row: KeyRow): StoredKey {
  const key: StoredKey = { name: row.name, ...limitsFromColumns(row), createdAt: new Date(row.created_at) };
  if (row.last_used_at !== null) key.lastUsedAt = new Date(row.last_used_at);
  return key;
}
