// Several processes opening one new SQLite file at the same moment (a gateway and `sluice keys`, two
// instances, a test reading the usage a gateway writes): each creates the tables and adds the
// columns newer sluices have. Done outside a transaction, two of them saw a column missing and the
// second ALTER TABLE failed with "duplicate column name" (a CI failure of test/e2e/cached-usage).
// The children start together on a barrier (each says ready over IPC; all get "go" at once).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.ts';

const CHILD = `
import { SqliteStore } from ${JSON.stringify(join(import.meta.dirname, '../../src/store/sqlite.ts'))};
const store = new SqliteStore(process.argv[2]);
process.on('message', async () => {
  try {
    await store.put('race', 'x', {}, 60_000);
    await store.close();
    process.send({ ok: true }, () => process.exit(0));
  } catch (err) {
    process.send({ ok: false, error: String(err?.message ?? err) + (process.env.RACE_STACK ? err.stack : '') }, () => process.exit(0));
  }
});
process.send('ready');
`;

const PROCESSES = 6;
const ROUNDS = 8;

test('processes opening one new database at once all succeed', async () => {
  const errors: string[] = [];
  const script = join(tempDir('sluice-open-race-child-'), 'open.mjs');
  writeFileSync(script, CHILD);
  for (let round = 0; round < ROUNDS; round++) {
    const file = join(tempDir('sluice-open-race-'), 'sluice.db');
    const children: ChildProcess[] = [];
    const ready: Array<Promise<void>> = [];
    const done: Array<Promise<{ ok: boolean; error?: string }>> = [];
    for (let i = 0; i < PROCESSES; i++) {
      const child = fork(script, [file], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      children.push(child);
      const messages: unknown[] = [];
      let wake: (() => void) | undefined;
      child.on('message', (m) => {
        messages.push(m);
        wake?.();
      });
      const next = (): Promise<unknown> =>
        new Promise((resolve, reject) => {
          const check = (): void => {
            if (messages.length > 0) resolve(messages.shift());
          };
          wake = check;
          child.once('exit', (code) => (messages.length > 0 ? check() : reject(new Error(`child exited ${code} before answering`))));
          check();
        });
      ready.push(next().then(() => undefined));
      done.push(ready[i]!.then(() => next() as Promise<{ ok: boolean; error?: string }>));
    }
    await Promise.all(ready);
    for (const c of children) c.send('go');
    for (const r of await Promise.all(done)) if (!r.ok) errors.push(r.error!);
  }
  assert.deepEqual(errors, []);
});
