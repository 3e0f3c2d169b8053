// @ts-check
// The usage thread (store/usage-thread.ts): a connection of its own to the gateway's database that
// writes the usage batches it is sent and, through SQLite's automatic checkpoints, copies the
// write-ahead log into the database file, syncing both to disk. Whatever the disk takes, it takes
// here and not on the thread that serves the streams. Plain JavaScript, as usage-insert.js says why.

import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { UsageInserter } from './usage-insert.js';

/** @type {{ path: string, columns: string[] }} */
const { path, columns } = workerData;
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const db = new DatabaseSync(path);
// As the gateway's connection (store/sqlite.ts): wait out another writer's short lock; in WAL mode
// a commit syncs nothing, a checkpoint does.
db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
const inserter = new UsageInserter(db, columns);

port.on('message', (/** @type {import('./usage-thread.ts').UsageJob} */ job) => {
  if (job.close) {
    db.close();
    port.close();
    return;
  }
  /** @type {import('./usage-thread.ts').UsageReply} */
  let reply;
  try {
    inserter.insert(job.args);
    reply = { id: job.id };
  } catch (err) {
    reply = { id: job.id, error: /** @type {Error} */ (err).message };
  }
  port.postMessage(reply);
});
