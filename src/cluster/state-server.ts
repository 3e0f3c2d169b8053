// The primary's half of cross-worker state (ipc-state.ts is the workers' half): one MemoryState for
// the whole gateway, answered one operation at a time, so limits are exact across workers; and the
// concurrency slots each worker holds, released at once when that worker exits.

import { MemoryState } from '../state/memory.ts';
import type { Lease, LimitCheck } from '../state/types.ts';
import { STATE_OPS } from './ipc-state.ts';
import type { Link } from './link.ts';

export class StateServer {
  private readonly state: MemoryState;
  /** worker id -> lease id -> slot. */
  private readonly leases = new Map<number, Map<number, Lease>>();

  constructor(now: () => number = Date.now) {
    this.state = new MemoryState(now);
  }

  /** Serves the state operations of one worker's link. */
  attach(workerId: number, link: Link): void {
    const held = new Map<number, Lease>();
    this.leases.set(workerId, held);
    link.handle(STATE_OPS.consume, ([name, windowMs, limit, cost]) =>
      this.state.consumeSync(name as string, windowMs as number, limit as number, cost as number),
    );
    link.handle(STATE_OPS.add, ([name, windowMs, amount]) => {
      void this.state.add(name as string, windowMs as number, amount as number);
    });
    link.handle(STATE_OPS.peek, ([name, windowMs]) => this.state.peek(name as string, windowMs as number));
    link.handle(STATE_OPS.acquire, ([name, limit, id]) => {
      const lease = this.state.acquireSync(name as string, limit as number);
      if (!lease) return false;
      held.set(id as number, lease);
      return true;
    });
    link.handle(STATE_OPS.admit, ([check, id]) => {
      const verdict = this.state.admitSync(check as LimitCheck);
      if (!verdict.allowed) return verdict;
      if (!verdict.lease) return { allowed: true };
      held.set(id as number, verdict.lease);
      return { allowed: true, leased: true };
    });
    link.handle(STATE_OPS.counterAdd, ([name, amount]) => this.state.addToCounter(name as string, amount as number));
    link.handle(STATE_OPS.counterRead, ([name]) => this.state.readCounter(name as string));
    link.handle(STATE_OPS.counterSeed, ([name, value, expiresAt]) => this.state.seedCounter(name as string, value as number, expiresAt as number));
    link.handle(STATE_OPS.release, ([id]) => {
      const lease = held.get(id as number);
      if (!lease) return;
      held.delete(id as number);
      lease.release();
    });
  }

  /** The worker is gone: every slot it held is free again. Returns how many there were. */
  detach(workerId: number): number {
    const held = this.leases.get(workerId);
    this.leases.delete(workerId);
    if (!held) return 0;
    for (const lease of held.values()) lease.release();
    return held.size;
  }

  /** Slots held per worker (tests, logs). */
  heldBy(workerId: number): number {
    return this.leases.get(workerId)?.size ?? 0;
  }
}
