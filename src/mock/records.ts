// The request log behind MockServer.requests / waitFor: bounded, and able to wake waiters when a
// record appears or changes (finished, closed).

export interface MockRequestRecord {
  id: number;
  /** The dialect that answered (a protocol name). */
  dialect: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  stream: boolean;
  directives: Record<string, string>;
  startedAt: number;
  finishedAt?: number;
  /** `refused`: a dialect's credential check or endpoint said no (401, expired token, bad grant). */
  outcome?: 'completed' | 'client_closed' | 'fault' | 'refused';
  /** When the connection closed before the response finished (client abort, or a drop fault). */
  closedAt?: number;
}

interface Waiter {
  pred: (r: MockRequestRecord) => boolean;
  resolve: (r: MockRequestRecord) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class RequestLog {
  /** Shared with MockServer.requests: cleared in place, never replaced. */
  readonly requests: MockRequestRecord[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  add(r: MockRequestRecord): void {
    this.requests.push(r);
    // Drop the oldest in batches so long benchmark runs stay bounded without O(n) work per request.
    if (this.requests.length > this.max + (this.max >> 3)) this.requests.splice(0, this.requests.length - this.max);
    this.changed(r);
  }

  /** Wakes the waiters whose predicate now matches `r`. */
  changed(r: MockRequestRecord): void {
    for (const w of this.waiters) {
      let hit: boolean;
      try {
        hit = w.pred(r);
      } catch (e) {
        this.settle(w);
        w.reject(e as Error);
        continue;
      }
      if (hit) {
        this.settle(w);
        w.resolve(r);
      }
    }
  }

  waitFor(pred: (r: MockRequestRecord) => boolean, timeoutMs: number): Promise<MockRequestRecord> {
    for (const r of this.requests) if (pred(r)) return Promise.resolve(r);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(`sluice mock: no matching request within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(w);
    });
  }

  clear(): void {
    this.requests.length = 0;
  }

  /** Rejects every pending waitFor (the server is closing). */
  abandon(): void {
    for (const w of this.waiters) {
      this.settle(w);
      w.reject(new Error('sluice mock: closed'));
    }
  }

  private settle(w: Waiter): void {
    this.waiters.delete(w);
    clearTimeout(w.timer);
  }
}
