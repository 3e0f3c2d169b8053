// How connections reach the workers (SPEC §11 "several processes share the port"). The default,
// `least-conn`: the primary accepts every connection and hands it to the least busy worker — the
// fewest requests in flight (streams, for a streaming gateway), counting the connections handed
// over that the worker has not yet taken up; then the fewest open connections; then at random.
// Round-robin (node:cluster's default) and SO_REUSEPORT (the kernel hashes the 4-tuple) place a
// connection without looking at how long the earlier ones stay, so long streams pile up on one
// worker as soon as long and short requests alternate; a fixed tie-break order does the same, hence
// the random one. docs/operations.md has the figures of the three on this machine.
//
// The hand-off is the one node:cluster's round-robin makes (the accepted descriptor passed over
// the IPC channel, SCM_RIGHTS); the worker gives it to its HTTP server as if it had accepted it.

import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Worker } from 'node:cluster';

/** The message that carries a connection (beside it, the handle). */
export const CONNECTION_MESSAGE = 'sluice:connection';
/** A worker's report that one of the connections it was given has closed. */
export const CONNECTION_CLOSED = 'conn.closed';
/** A worker's load: [requests in flight, connections taken up so far]; sent when it changes, at most once a turn. */
export const WORKER_LOAD = 'conn.load';
/** Connections that wait while no worker is ready (all being replaced at once) before new ones are refused. */
const MAX_WAITING = 1024;

interface Target {
  worker: Worker;
  /** Connections handed over and not yet closed. */
  open: number;
  /** Requests in flight at the worker's last report. */
  active: number;
  /** Connections handed over, and of those the worker had taken up at its last report. */
  sent: number;
  taken: number;
}

export class Dispatcher {
  private readonly server: Server;
  private readonly targets = new Map<number, Target>();
  private readonly waiting: Socket[] = [];
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
    // Paused: not a byte is read here; the worker's HTTP parser reads the request.
    this.server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.dispatch(socket));
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting at once (connections already handed out are the workers'). */
  close(): void {
    this.server.close();
    for (const socket of this.waiting.splice(0)) socket.destroy();
  }

  /** A worker is ready to serve. */
  add(worker: Worker): void {
    this.targets.set(worker.id, { worker, open: 0, active: 0, sent: 0, taken: 0 });
    for (const socket of this.waiting.splice(0)) this.dispatch(socket);
  }

  remove(workerId: number): void {
    this.targets.delete(workerId);
  }

  /** The worker closed one connection it was given. */
  closed(workerId: number): void {
    const t = this.targets.get(workerId);
    if (t && t.open > 0) t.open--;
  }

  /** The worker's report of its requests in flight and of the connections it has taken up. */
  report(workerId: number, active: number, taken: number): void {
    const t = this.targets.get(workerId);
    if (!t) return;
    t.active = active;
    t.taken = taken;
  }

  /** What each worker carries by the dispatcher's count (logs, tests). */
  load(): Record<number, { busy: number; open: number }> {
    const out: Record<number, { busy: number; open: number }> = {};
    for (const [id, t] of this.targets) out[id] = { busy: busy(t), open: t.open };
    return out;
  }

  private dispatch(socket: Socket): void {
    const target = this.pick();
    if (!target) {
      if (this.waiting.length >= MAX_WAITING) socket.destroy();
      else {
        this.waiting.push(socket);
        socket.once('close', () => {
          const i = this.waiting.indexOf(socket);
          if (i >= 0) this.waiting.splice(i, 1);
        });
      }
      return;
    }
    target.open++;
    target.sent++;
    target.worker.send(CONNECTION_MESSAGE, socket, (err) => {
      if (!err) return;
      // The worker went away between the pick and the send: try another.
      target.open--;
      target.sent--;
      this.targets.delete(target.worker.id);
      if (!socket.destroyed) this.dispatch(socket);
    });
  }

  private pick(): Target | undefined {
    let best: Target | undefined;
    let ties = 0;
    for (const t of this.targets.values()) {
      if (!t.worker.isConnected()) continue;
      const order = best === undefined ? -1 : compare(t, best);
      if (order < 0) {
        best = t;
        ties = 1;
      } else if (order === 0 && this.random() * ++ties < 1) {
        // Reservoir choice among equals: each tie is equally likely.
        best = t;
      }
    }
    return best;
  }
}

/** Requests in flight plus connections on their way (each will most likely carry one). */
function busy(t: Target): number {
  return t.active + Math.max(0, t.sent - t.taken);
}

function compare(a: Target, b: Target): number {
  return busy(a) - busy(b) || a.open - b.open;
}
