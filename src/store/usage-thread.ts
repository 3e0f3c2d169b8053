// Usage writes off the gateway's thread (docs/operations.md, "The usage store"). node:sqlite is
// synchronous: each batch's commit ran on the thread that serves every stream, and so did the
// checkpoint SQLite runs inside the commit that takes the write-ahead log past 1000 pages, copying
// them into the database file and syncing both to disk. Writing 200-row batches, the event loop's
// delay was ~13-15 ms at p99 and up to ~700 ms with another process writing to the disk, where
// a commit alone takes 0.5 ms (docs/operations.md has the table). So a worker thread with a connection of its own
// writes the batches: the gateway's thread flattens the rows into one array of values, copies it
// across (structured clone) and waits for the answer without blocking. If the thread cannot start
// or dies, the store writes on its own connection again, as before: slower beats lost.

import { Worker } from 'node:worker_threads';
import { USAGE_COLUMNS } from './columns.ts';

export type UsageJob = { id: number; args: Array<string | number | null>; close?: undefined } | { id: 0; close: true; args?: undefined };
export type UsageReply = { id: number; error?: string };

export interface UsageThreadOptions {
  /** The thread's module (tests give one that fails). */
  workerUrl?: URL;
}

/** How long `close` waits for the thread to finish its writes and close its connection. */
const CLOSE_WAIT_MS = 10_000;

/** The thread failed or the store closed: the batch was not written there. */
export class UsageThreadGone extends Error {}

export class UsageThread {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private gone: Error | undefined;
  private closing = false;
  private readonly exited: Promise<void>;

  /** `onGone`: the thread stopped on its own (its error); not called for `close`. */
  constructor(path: string, onGone: (err: Error) => void, opts: UsageThreadOptions = {}) {
    const w = new Worker(opts.workerUrl ?? new URL('./usage-worker.js', import.meta.url), { workerData: { path, columns: USAGE_COLUMNS } });
    this.worker = w;
    // Idle, it holds nothing open; with writes under way, the process waits for them.
    w.unref();
    w.on('message', (reply: UsageReply) => {
      const waiter = this.waiting.get(reply.id);
      if (waiter === undefined) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) w.unref();
      if (reply.error !== undefined) waiter.reject(new Error(reply.error));
      else waiter.resolve();
    });
    const stop = (err: Error): void => {
      if (this.gone) return;
      this.gone = err;
      for (const waiter of this.waiting.values()) waiter.reject(new UsageThreadGone(err.message));
      this.waiting.clear();
      if (!this.closing) onGone(err);
    };
    w.on('error', stop);
    this.exited = new Promise((resolve) => {
      w.on('exit', (code) => {
        stop(new Error(`the usage thread exited with code ${code}`));
        resolve();
      });
    });
  }

  /** The batch written and committed by the thread; rejects with UsageThreadGone if it never will be. */
  write(args: Array<string | number | null>): Promise<void> {
    if (this.gone) return Promise.reject(new UsageThreadGone(this.gone.message));
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker.ref();
    this.worker.postMessage({ id, args } satisfies UsageJob);
    return done;
  }

  /** Writes already sent finish (messages are handled in order), then the thread closes its connection and ends. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.gone) {
      this.worker.ref();
      this.worker.postMessage({ id: 0, close: true } satisfies UsageJob);
      const stuck = setTimeout(() => void this.worker.terminate(), CLOSE_WAIT_MS);
      await this.exited;
      clearTimeout(stuck);
    }
  }
}
