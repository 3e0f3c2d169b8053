// One end of the IPC channel between the cluster primary and a worker (node:cluster's
// process.send / worker.send). Both ends use this class: calls with replies, one-way posts, and
// handlers for what the other end sends.
//
// Everything sent during one turn of the event loop leaves as one IPC message, flushed from
// setImmediate: under load one message carries the admissions, releases and outcomes of many
// requests, so the channel costs a few syscalls per turn instead of one per operation
// (docs/operations.md, "Cross-worker state: allowances", has the measurements). The delay this
// adds is the rest of the current loop turn.

/** What travels on the channel: `{ sluice: [[op, id, ...args], …] }`; id 0 is a one-way post. */
export interface LinkMessage {
  sluice: LinkItem[];
}
type LinkItem = [op: string, id: number, ...args: unknown[]];

export type LinkHandler = (args: unknown[]) => unknown;

const REPLY = '~re';
const FAIL = '~err';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class LinkClosedError extends Error {}

export function isLinkMessage(msg: unknown): msg is LinkMessage {
  return typeof msg === 'object' && msg !== null && Array.isArray((msg as { sluice?: unknown }).sluice);
}

export class Link {
  private readonly sendRaw: (msg: LinkMessage) => boolean;
  private out: LinkItem[] = [];
  private scheduled = false;
  private seq = 0;
  private closed = false;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, LinkHandler>();

  /**
   * `send` hands one message to the channel; it returns false when the channel is gone (not the
   * boolean of process.send, which is also false while the channel is merely backed up: the message
   * is queued then, and is sent).
   */
  constructor(send: (msg: LinkMessage) => boolean) {
    this.sendRaw = send;
  }

  /** Registers what to do with `op`; for calls, the (awaited) return value is the reply. */
  handle(op: string, handler: LinkHandler): void {
    this.handlers.set(op, handler);
  }

  /** A one-way message. */
  post(op: string, ...args: unknown[]): void {
    this.queue([op, 0, ...args]);
  }

  /** A message with a reply; rejects after timeoutMs, or at once when the link closes. */
  call<T>(op: string, args: unknown[], timeoutMs: number): Promise<T> {
    if (this.closed) return Promise.reject(new LinkClosedError('the cluster link is closed'));
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to "${op}" over the cluster link within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.queue([op, id, ...args]);
    });
  }

  /** Feeds a received message; returns false when it was not a link message (someone else's). */
  receive(msg: unknown): boolean {
    if (!isLinkMessage(msg)) return false;
    for (const item of msg.sluice) this.dispatch(item);
    return true;
  }

  /** The other end is gone: pending calls fail, later sends are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out = [];
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new LinkClosedError('the cluster link closed'));
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends what is queued now rather than at the end of the turn (before exiting). */
  flush = (): void => {
    this.scheduled = false;
    if (this.out.length === 0 || this.closed) return;
    const items = this.out;
    this.out = [];
    let sent = false;
    try {
      sent = this.sendRaw({ sluice: items });
    } catch {
      sent = false;
    }
    if (!sent) this.close();
  };

  private queue(item: LinkItem): void {
    if (this.closed) return;
    this.out.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private dispatch(item: LinkItem): void {
    const [op, id] = item;
    if (op === REPLY || op === FAIL) {
      const p = this.pending.get(id);
      if (!p) return; // timed out already
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (op === REPLY) p.resolve(item[2]);
      else p.reject(new Error(String(item[2])));
      return;
    }
    const handler = this.handlers.get(op);
    if (!handler) {
      if (id !== 0) this.queue([FAIL, id, `no handler for "${op}"`]);
      return;
    }
    let result: unknown;
    try {
      result = handler(item.slice(2));
    } catch (err) {
      if (id !== 0) this.queue([FAIL, id, (err as Error)?.message ?? String(err)]);
      return;
    }
    if (id === 0) return;
    if (result instanceof Promise) {
      result.then(
        (value) => this.queue([REPLY, id, value]),
        (err: unknown) => this.queue([FAIL, id, (err as Error)?.message ?? String(err)]),
      );
    } else {
      this.queue([REPLY, id, result]);
    }
  }
}
