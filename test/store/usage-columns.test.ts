// Cached and reasoning tokens in the store (SPEC §5, §6): their own columns, NULL when the upstream
// reported none, and added to a store an earlier sluice created.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SqliteStore } from '../../src/store/index.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-usage-cols-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const row = (over: Record<string, unknown>) => ({
  time: new Date('2026-01-01T00:00:00Z'),
  requestId: 'req_1',
  model: 'm',
  tokensIn: 1536,
  tokensOut: 58,
  estimated: false,
  endReason: 'completed',
  status: 200,
  ...over,
});

test('cached and reasoning tokens round-trip; absent stays absent', async () => {
  const store = new SqliteStore(join(dir, 'a.db'));
  await store.recordUsage([row({ cacheReadTokens: 1024, cacheWriteTokens: 100, reasoningTokens: 20 }), row({ requestId: 'req_2' })]);
  const [plain, cached] = await store.recentUsage(2);
  assert.equal(cached!.cacheReadTokens, 1024);
  assert.equal(cached!.cacheWriteTokens, 100);
  assert.equal(cached!.reasoningTokens, 20);
  assert.equal(plain!.cacheReadTokens, undefined);
  assert.equal(plain!.reasoningTokens, undefined);
  await store.close();
});

test('a store made before the columns existed gets them added', async () => {
  const file = join(dir, 'old.db');
  const old = new DatabaseSync(file);
  old.exec(`CREATE TABLE sluice_usage (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, request_id TEXT NOT NULL,
    key_name TEXT, model TEXT NOT NULL, target TEXT, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
    estimated INTEGER NOT NULL, end_reason TEXT NOT NULL, status INTEGER NOT NULL);
    INSERT INTO sluice_usage (time, request_id, model, tokens_in, tokens_out, estimated, end_reason, status)
    VALUES ('2025-01-01T00:00:00.000Z', 'req_old', 'm', 1, 2, 0, 'completed', 200);`);
  old.close();
  const store = new SqliteStore(file);
  await store.recordUsage([row({ requestId: 'req_new', cacheReadTokens: 7 })]);
  const [fresh, before] = await store.recentUsage(2);
  assert.equal(fresh!.cacheReadTokens, 7);
  assert.equal(before!.requestId, 'req_old');
  assert.equal(before!.cacheReadTokens, undefined);
  await store.close();
});
