// Usage rows are written in batches: one transaction (SQLite) or one multi-row INSERT (PostgreSQL)
// per flush instead of a write per request on the hot path. The queue is bounded: while the store is
// failing, the oldest rows are dropped (and counted) rather than growing memory without limit.

import type { Store, UsageRow } from './types.ts';

export interface UsageRecorderOptions {
  /** Rows wait at most this long before being written. Default 250 ms. */
  flushMs?: number;
  /** A flush starts as soon as this many rows wait. Default 200. */
  batch?: number;
  /** Rows kept while writes fail. Default 10000. */
  maxQueued?: number;
  onError?(err: unknown, dropped: number): void;
}

export class UsageRecorder {
  private readonly store: Store;
  private readonly flushMs: number;
  private readonly batch: number;
  private readonly maxQueued: number;
  private readonly onError?: (err: unknown, dropped: number) => void;
  private queue: UsageRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dropped = 0;

  constructor(store: Store, opts: UsageRecorderOptions = {}) {
    this.store = store;
    this.flushMs = opts.flushMs ?? 250;
    this.batch = opts.batch ?? 200;
    this.maxQueued = opts.maxQueued ?? 10_000;
    this.onError = opts.onError;
  }

  add(row: UsageRow): void {
    if (this.queue.length >= this.maxQueued) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(row);
    if (this.queue.length >= this.batch) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything queued so far, a batch at a time. Never rejects: failures go to onError. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // One writer at a time, so rows reach the store in order.
    while (this.writing) await this.writing;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const rows = this.queue.splice(0, this.batch);
      try {
        await this.store.recordUsage(rows);
      } catch (err) {
        // Put them back, oldest first, within the bound; try again later.
        this.queue = rows.concat(this.queue);
        const excess = this.queue.length - this.maxQueued;
        if (excess > 0) {
          this.queue.splice(0, excess);
          this.dropped += excess;
        }
        this.onError?.(err, this.dropped);
        this.timer ??= setTimeout(() => void this.flush(), this.flushMs * 4);
        this.timer.unref();
        return;
      }
    }
  }

  /** Flushes once more and stops (rows that still fail are given up). */
  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
