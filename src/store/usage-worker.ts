// The usage thread (store/usage-thread.ts): a connection of its own to the gateway's database that
// writes the usage batches it is sent and, through SQLite's automatic checkpoints, copies the
// write-ahead log into the database file, syncing both to disk. Whatever the disk takes, it takes
// here and not on the thread that serves the streams.

import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { UsageInserter } from './usage-insert.ts';
import type { UsageJob, UsageReply } from './usage-thread.ts';

const { path } = workerData as { path: string };
const db = new DatabaseSync(path);
// As the gateway's connection (store/sqlite.ts): wait out another writer's short lock; in WAL mode
// a commit syncs nothing, a checkpoint does.
db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
const inserter = new UsageInserter(db);

parentPort!.on('message', (job: UsageJob) => {
  if (job.close) {
    db.close();
    parentPort!.close();
    return;
  }
  let reply: UsageReply;
  try {
    inserter.insert(job.args);
    reply = { id: job.id };
  } catch (err) {
    reply = { id: job.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
