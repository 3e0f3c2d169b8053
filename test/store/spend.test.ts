// Cost and budgets in both stores (SPEC §12): a database made by an older sluice (no cost or budget
// columns) is migrated on open and keeps its rows; usage rows carry cost and cached/reasoning tokens;
// the per-key, per-model summary and a key's spend since a date; stored keys keep their budget.
// PostgreSQL runs against a real server (skips without one unless SLUICE_REQUIRE_SYSTEM=1).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { hashKey } from '../../src/server/auth.ts';
import { PostgresStore, SqliteStore, type Store, type UsageRow } from '../../src/store/index.ts';
import { startPostgres, type PostgresProcess } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/tmp.ts';

// The schema sluice created before costs and budgets existed.
const OLD_TABLES = `
CREATE TABLE sluice_keys (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, models TEXT,
  rpm INTEGER, tpm INTEGER, concurrency INTEGER, created_at TEXT NOT NULL, last_used_at TEXT, revoked_at TEXT);
CREATE TABLE sluice_usage (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, request_id TEXT NOT NULL, key_name TEXT,
  model TEXT NOT NULL, target TEXT, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, estimated INTEGER NOT NULL,
  end_reason TEXT NOT NULL, status INTEGER NOT NULL);
`;

const T0 = new Date('2025-06-10T12:00:00Z');

function row(over: Partial<UsageRow>): UsageRow {
  return { time: T0, requestId: 'r', keyName: 'team-a', model: 'fast', target: 'p/m', tokensIn: 100, tokensOut: 10, estimated: false, endReason: 'completed', status: 200, ...over };
}

async function exercise(store: Store, oldRequest: string): Promise<void> {
  // The old row is still there, without a cost.
  const old = await store.usageOf(oldRequest);
  assert.equal(old?.tokensIn, 5);
  assert.equal(old?.costUsd, undefined);

  await store.recordUsage([
    row({ requestId: 'a1', costUsd: 0.25, cacheReadTokens: 40, reasoningTokens: 3 }),
    row({ requestId: 'a2', costUsd: 0.5, tokensIn: 200, tokensOut: 20, cacheReadTokens: 60, cacheWriteTokens: 7, estimated: true }),
    row({ requestId: 'a3', model: 'slow', costUsd: undefined }),
    row({ requestId: 'b1', keyName: 'team-b', costUsd: 2 }),
    row({ requestId: 'a0', time: new Date('2025-06-09T23:59:59Z'), costUsd: 100 }),
  ]);
  const a2 = await store.usageOf('a2');
  assert.deepEqual(
    { cost: a2?.costUsd, read: a2?.cacheReadTokens, write: a2?.cacheWriteTokens, reasoning: a2?.reasoningTokens, estimated: a2?.estimated },
    { cost: 0.5, read: 60, write: 7, reasoning: undefined, estimated: true },
  );
  assert.equal(await store.usageOf('nope'), undefined);

  const since = new Date('2025-06-10T00:00:00Z');
  assert.equal(await store.spendSince('team-a', since), 0.75);
  assert.equal(await store.spendSince('team-a', new Date(0)), 100.75);
  assert.equal(await store.spendSince('nobody', since), 0);

  const summary = await store.usageSummary(since);
  assert.deepEqual(
    summary.map((s) => [s.keyName, s.model, s.requests, s.tokensIn, s.tokensOut, s.cacheReadTokens, s.cacheWriteTokens, s.reasoningTokens, s.estimatedRequests, s.unpricedRequests, s.costUsd]),
    [
      ['team-b', 'fast', 1, 100, 10, 0, 0, 0, 0, 0, 2],
      // The old row (5 in, 1 out, no cost) counts as an unpriced request.
      ['team-a', 'fast', 3, 305, 31, 100, 7, 3, 1, 1, 0.75],
      ['team-a', 'slow', 1, 100, 10, 0, 0, 0, 0, 1, 0],
    ],
  );
  const onlyB = await store.usageSummary(since, 'team-b');
  assert.deepEqual(onlyB.map((s) => s.keyName), ['team-b']);

  const { secret } = await store.createKey('budgeted', { budget: { usd: 12.5, per: 'month' } });
  assert.deepEqual((await store.findByHash(hashKey(secret)))?.budget, { usd: 12.5, per: 'month' });
  const listed = (await store.listKeys()).find((k) => k.name === 'budgeted');
  assert.deepEqual(listed?.budget, { usd: 12.5, per: 'month' });
  // Keys of the old schema have no budget.
  const legacy = (await store.listKeys()).find((k) => k.name === 'legacy');
  assert.equal(legacy?.budget, undefined);
}

describe('sqlite', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-spend-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an old database is migrated; cost, cached tokens, summaries and budgets', async () => {
    const path = join(dir, 'old.db');
    const db = new DatabaseSync(path);
    db.exec(OLD_TABLES);
    db.prepare('INSERT INTO sluice_keys (name, hash, created_at) VALUES (?, ?, ?)').run('legacy', 'ab'.repeat(32), T0.toISOString());
    db.prepare(
      'INSERT INTO sluice_usage (time, request_id, key_name, model, target, tokens_in, tokens_out, estimated, end_reason, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(T0.toISOString(), 'old-1', 'team-a', 'fast', 'p/m', 5, 1, 0, 'completed', 200);
    db.close();
    const store = new SqliteStore(path);
    try {
      await exercise(store, 'old-1');
    } finally {
      await store.close();
    }
    // Opening again (columns already there) is fine.
    const again = new SqliteStore(path);
    assert.equal((await again.usageOf('a1'))?.costUsd, 0.25);
    await again.close();
  });
});

describe('postgres', () => {
  let postgres: PostgresProcess | undefined;
  before(async () => {
    postgres = await startPostgres();
  });
  after(async () => {
    await postgres?.stop();
  });

  test('an old database is migrated; cost, cached tokens, summaries and budgets', async (t) => {
    if (!postgres) return t.skip('no postgres');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    await client.query(`
      CREATE TABLE sluice_keys (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, models TEXT, rpm INTEGER,
        tpm INTEGER, concurrency INTEGER, created_at TIMESTAMPTZ NOT NULL, last_used_at TIMESTAMPTZ, revoked_at TIMESTAMPTZ);
      CREATE TABLE sluice_usage (id BIGSERIAL PRIMARY KEY, time TIMESTAMPTZ NOT NULL, request_id TEXT NOT NULL, key_name TEXT,
        model TEXT NOT NULL, target TEXT, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, estimated BOOLEAN NOT NULL,
        end_reason TEXT NOT NULL, status INTEGER NOT NULL);`);
    await client.query('INSERT INTO sluice_keys (name, hash, created_at) VALUES ($1, $2, $3)', ['legacy', 'cd'.repeat(32), T0]);
    await client.query(
      'INSERT INTO sluice_usage (time, request_id, key_name, model, target, tokens_in, tokens_out, estimated, end_reason, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [T0, 'old-1', 'team-a', 'fast', 'p/m', 5, 1, false, 'completed', 200],
    );
    await client.end();
    const store = new PostgresStore(postgres.url);
    try {
      await exercise(store, 'old-1');
    } finally {
      await store.close();
    }
  });
});

test('SQLite: no index on request_id (it cost as much CPU per request as the rest of the row); one left by an older sluice is dropped on open', async () => {
  const path = join(tempDir('sluice-idx-'), 'u.db');
  const first = new SqliteStore(path);
  await first.recordUsage([row({ requestId: 'x1' })]);
  await first.close();
  const raw = new DatabaseSync(path);
  raw.exec('CREATE INDEX sluice_usage_request ON sluice_usage (request_id)');
  raw.close();
  const again = new SqliteStore(path);
  assert.equal((await again.usageOf('x1'))?.requestId, 'x1');
  await again.close();
  const check = new DatabaseSync(path);
  const names = (check.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sluice_usage'").all() as Array<{ name: string }>).map((r) => r.name);
  check.close();
  assert.ok(!names.includes('sluice_usage_request'), names.join(', '));
});
