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
import {
  ADDED_KEY_COLUMNS,
  ADDED_USAGE_COLUMNS,
  USAGE_COLUMNS,
  limitsFromColumns,
  modelsColumn,
  summaryFromRow,
  summarySql,
  usageArgs,
  usageFromRow,
  type SummaryDbRow,
  type UsageDbRow,
} from './columns.ts';
import { generateSecret, sameDigest } from './secret.ts';
import { UsageInserter } from './usage-insert.js';
import { UsageThread, UsageThreadGone, type UsageThreadOptions } from './usage-thread.ts';
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

// No index on request_id: request ids are random, and keeping such an index cost about 4 µs of CPU
// per request, as much as the rest of the row (bench/RESULTS.md). The playground asks about a
// request that just finished: usageOf scans the newest RECENT_USAGE_ROWS rows (by rowid) instead.
// A database made by a sluice that had the index loses it on open.
const INDEXES = 'DROP INDEX IF EXISTS sluice_usage_request;';
/** How far back usageOf looks, in rows: a few milliseconds of scanning, minutes of traffic at 1000 requests/s. */
const RECENT_USAGE_ROWS = 200_000;
/** SQLite's default wal_autocheckpoint, this connection's again if the usage thread fails. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface SqliteStoreOptions {
  /** Usage written on a thread of its own (default), or `false` for this connection. */
  usageThread?: UsageThreadOptions | false;
  /** The usage thread failed and usage is written here again (said once). */
  onError?(err: Error): void;
}

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
  created_at: string;
  last_used_at: string | null;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  private db: DatabaseSync | undefined;
  /** Prepared once per SQL text: the key lookup runs on every authenticated request. */
  private readonly statements = new Map<string, StatementSync>();
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly opts: SqliteStoreOptions;
  /** Usage writes (store/usage-thread.ts); started by the first batch. */
  private usageThread: UsageThread | undefined;
  private usageThreadFailed = false;
  /** Usage written on this connection: without the thread, or after it failed. */
  private inserter: UsageInserter | undefined;

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.path = path;
    this.opts = opts;
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
        `INSERT INTO sluice_keys (name, hash, models, rpm, tpm, concurrency, budget_usd, budget_per, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        name,
        hashKey(secret),
        modelsColumn(limits),
        limits.rpm ?? null,
        limits.tpm ?? null,
        limits.concurrency ?? null,
        limits.budget?.usd ?? null,
        limits.budget?.per ?? null,
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
    const args = usageArgs(rows);
    const thread = this.thread(db);
    if (thread) {
      try {
        await thread.write(args);
        return;
      } catch (err) {
        // A thread that is gone wrote nothing: the batch is written here. A failed write (disk
        // full, …) is the caller's, as on this connection.
        if (!(err instanceof UsageThreadGone)) throw err;
      }
    }
    (this.inserter ??= new UsageInserter(db, USAGE_COLUMNS)).insert(args);
  }

  /** The usage thread, started on first use; undefined when usage is written on this connection. */
  private thread(db: DatabaseSync): UsageThread | undefined {
    if (this.usageThread || this.usageThreadFailed || this.opts.usageThread === false) return this.usageThread;
    try {
      this.usageThread = new UsageThread(this.path, (err) => this.usageThreadGone(err), this.opts.usageThread);
    } catch (err) {
      this.usageThreadGone(err as Error);
      return undefined;
    }
    // The thread's commits run the checkpoints (its connection keeps SQLite's default); this one's
    // rarer writes (keys, stored responses) only append to the log.
    db.exec('PRAGMA wal_autocheckpoint = 0');
    return this.usageThread;
  }

  private usageThreadGone(err: Error): void {
    this.usageThreadFailed = true;
    this.usageThread = undefined;
    this.db?.exec(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    this.opts.onError?.(new Error(`the usage thread failed (${err.message}); usage is written on the gateway's thread again`));
  }

  async recentUsage(limit: number): Promise<UsageRow[]> {
    const db = this.open(false);
    if (!db) return [];
    const rows = this.sql(db, 'SELECT * FROM sluice_usage ORDER BY id DESC LIMIT ?').all(limit) as unknown as UsageDbRow[];
    return rows.map(usageFromRow);
  }

  async usageOf(requestId: string): Promise<UsageRow | undefined> {
    const db = this.open(false);
    if (!db) return undefined;
    const recent = `SELECT * FROM sluice_usage WHERE id > (SELECT COALESCE(MAX(id), 0) - ${RECENT_USAGE_ROWS} FROM sluice_usage) AND request_id = ? ORDER BY id DESC LIMIT 1`;
    const row = this.sql(db, recent).get(requestId) as unknown as
      | UsageDbRow
      | undefined;
    return row ? usageFromRow(row) : undefined;
  }

  async usageSummary(since: Date, keyName?: string): Promise<UsageSummary[]> {
    const db = this.open(false);
    if (!db) return [];
    const stmt = this.sql(db, summarySql('?', keyName === undefined ? undefined : '?'));
    const args = keyName === undefined ? [since.toISOString()] : [since.toISOString(), keyName];
    return (stmt.all(...args) as unknown as SummaryDbRow[]).map(summaryFromRow);
  }

  async spendSince(keyName: string, since: Date): Promise<number> {
    const db = this.open(false);
    if (!db) return 0;
    const spend = 'SELECT COALESCE(SUM(cost_usd), 0) AS usd FROM sluice_usage WHERE key_name = ? AND time >= ?';
    const row = this.sql(db, spend).get(keyName, since.toISOString()) as { usd: number };
    return Number(row.usd);
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
    // Its writes finish and its connection closes first: this one, the last, removes the log.
    await this.usageThread?.close();
    this.usageThread = undefined;
    this.inserter = undefined;
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
    db.exec('PRAGMA busy_timeout = 5000');
    enableWal(db);
    db.exec('PRAGMA synchronous = NORMAL');
    // Schema, migration and indexes in one write transaction: two processes opening the same new or
    // old file at once (a gateway and `sluice keys`, two instances) would otherwise both see a column
    // missing and the second ALTER fail with "duplicate column name". BEGIN IMMEDIATE takes the
    // write lock first (waiting up to busy_timeout), so the second process reads the finished schema.
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(SCHEMA);
      migrate(db);
      db.exec(INDEXES);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      db.close();
      throw err;
    }
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

/** How long opening waits for other processes switching a new file to WAL (busy_timeout's bound). */
const WAL_SWITCH_WAIT_MS = 5000;
const WAL_SWITCH_RETRY_MS = 10;

/**
 * Puts the file in WAL mode (persistent: once one process did, every later connection is). SQLite
 * answers SQLITE_BUSY to the switch at once, without calling the busy handler, while another
 * connection has the file open in the middle of its own switch: several processes opening one new
 * file together (cluster workers, a gateway and `sluice keys`) failed with "database is locked".
 * So the switch is retried for up to busy_timeout, and done when the file reads as WAL already.
 */
function enableWal(db: DatabaseSync): void {
  const deadline = Date.now() + WAL_SWITCH_WAIT_MS;
  for (;;) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
    }
    try {
      if ((db.prepare('PRAGMA journal_mode').get() as { journal_mode?: string } | undefined)?.journal_mode === 'wal') return;
    } catch (err) {
      if (!isBusy(err)) throw err;
    }
    // A synchronous wait, as SQLite's own busy handler waits: opening is synchronous.
    Atomics.wait(WAIT_CELL, 0, 0, WAL_SWITCH_RETRY_MS);
  }
}

const SQLITE_BUSY = 5;
/** SQLITE_BUSY or one of its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT). */
const isBusy = (err: unknown): boolean => (((err as { errcode?: number }).errcode ?? 0) & 0xff) === SQLITE_BUSY;
const WAIT_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Adds the columns a database made by an older sluice lacks (NULL in old rows: no budget, no price). */
function migrate(db: DatabaseSync): void {
  for (const [table, columns] of [['sluice_keys', ADDED_KEY_COLUMNS], ['sluice_usage', ADDED_USAGE_COLUMNS]] as const) {
    const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
    for (const [name, type] of columns) {
      if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
    }
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

