// Usage written off the gateway's thread (src/store/usage-thread.ts, docs/operations.md "The usage
// store"): the batches are written, and the log checkpointed into the database file, by a thread with
// a connection of its own, so the gateway's connection writes none of them; a thread that cannot
// start, or dies with a batch in hand, leaves the batch to the gateway's connection (nothing lost,
// nothing written twice, one warning); a write the database refuses is the caller's error; closing
// finishes the writes already sent and leaves no log behind.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { SqliteStore } from '../../src/store/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { usageRows as rows } from '../helpers/usage-rows.ts';

const dir = tempDir('sluice-usage-thread-');


/** 12 000 rows in 200-row batches: well over SQLite's 1000-page checkpoint threshold in the log. */
/** Writes 60 batches of 200 rows; returns the last row's request id. */
async function writeMany(store: SqliteStore): Promise<string> {
  let last = '';
  for (let i = 0; i < 60; i++) {
    const batch = rows(200);
    last = batch.at(-1)!.requestId;
    await store.recordUsage(batch);
  }
  return last;
}

/** The store's own connection, to ask SQLite what that connection did (total_changes() is per connection). */
function gatewayConnection(store: SqliteStore): DatabaseSync {
  return (store as unknown as { db: DatabaseSync }).db;
}
const changesBy = (db: DatabaseSync): number => (db.prepare('SELECT total_changes() AS c').get() as { c: number }).c;
const autocheckpoint = (db: DatabaseSync): number => (db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint;

function countRows(path: string): { rows: number; distinct: number } {
  const db = new DatabaseSync(path, { readOnly: true });
  const r = db.prepare('SELECT COUNT(*) AS rows, COUNT(DISTINCT request_id) AS distinct_ids FROM sluice_usage').get() as { rows: number; distinct_ids: number };
  db.close();
  return { rows: r.rows, distinct: r.distinct_ids };
}

/** A worker module for the failure tests. */
function workerFile(name: string, body: string): URL {
  const file = join(dir, name);
  writeFileSync(file, body);
  return pathToFileURL(file);
}

test("the thread writes every batch and checkpoints; the gateway's connection writes none", async () => {
  const path = join(dir, 'thread.db');
  const warnings: Error[] = [];
  const store = new SqliteStore(path, { onError: (err) => warnings.push(err) });
  await store.recordUsage(rows(1));
  const db = gatewayConnection(store);
  const before = changesBy(db);
  const fileBefore = statSync(path).size;
  const last = await writeMany(store);
  assert.equal(changesBy(db), before, 'no row changed by the gateway connection');
  assert.equal(autocheckpoint(db), 0, 'the gateway connection never checkpoints');
  assert.ok(statSync(path).size > fileBefore + 1_000_000, "the thread's checkpoints copied the log into the file");
  assert.equal((await store.recentUsage(1))[0]?.requestId, last, 'read back at once');
  await store.close();
  assert.equal(existsSync(`${path}-wal`), false, 'closed: no log left behind');
  assert.deepEqual(countRows(path), { rows: 60 * 200 + 1, distinct: 60 * 200 + 1 });
  assert.deepEqual(warnings, []);
});

test('a thread that cannot start: usage is written here, SQLite checkpoints as usual, one warning', async () => {
  const path = join(dir, 'no-thread.db');
  const warnings: Error[] = [];
  const store = new SqliteStore(path, {
    usageThread: { workerUrl: workerFile('broken.mjs', "throw new Error('no thread here');\n") },
    onError: (err) => warnings.push(err),
  });
  await store.recordUsage(rows(1));
  await writeMany(store);
  assert.equal(warnings.length, 1, 'one warning');
  assert.match(warnings[0]!.message, /usage thread failed \(no thread here\); usage is written on the gateway's thread again/);
  assert.equal(autocheckpoint(gatewayConnection(store)), 1000, "SQLite's default again");
  await store.close();
  assert.deepEqual(countRows(path), { rows: 60 * 200 + 1, distinct: 60 * 200 + 1 });
});

test('a thread that dies with a batch in hand: the batch is written here once', async () => {
  const path = join(dir, 'dies.db');
  const warnings: Error[] = [];
  // Answers nothing: ends on the first batch it is sent.
  const dies = workerFile('dies.mjs', "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
  const store = new SqliteStore(path, { usageThread: { workerUrl: dies }, onError: (err) => warnings.push(err) });
  await Promise.all([store.recordUsage(rows(100)), store.recordUsage(rows(100))]);
  await store.recordUsage(rows(100));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /exited with code 3/);
  await store.close();
  assert.deepEqual(countRows(path), { rows: 300, distinct: 300 });
});

test('a batch the database refuses is the caller error, and the next one is written', async () => {
  const path = join(dir, 'refused.db');
  const store = new SqliteStore(path);
  await store.recordUsage(rows(1));
  const bad = rows(3);
  (bad[1] as unknown as { model: null }).model = null;
  await assert.rejects(store.recordUsage(bad), /NOT NULL constraint failed: sluice_usage\.model/);
  await store.recordUsage(rows(2));
  await store.close();
  assert.deepEqual(countRows(path), { rows: 3, distinct: 3 }, 'the refused batch wrote nothing, not even its good rows');
});

test('close finishes the batches already sent', async () => {
  const path = join(dir, 'closing.db');
  const store = new SqliteStore(path);
  await store.recordUsage(rows(1));
  const pending = Array.from({ length: 20 }, () => store.recordUsage(rows(200)));
  await store.close();
  await Promise.all(pending);
  assert.equal(existsSync(`${path}-wal`), false);
  assert.deepEqual(countRows(path), { rows: 20 * 200 + 1, distinct: 20 * 200 + 1 });
});
