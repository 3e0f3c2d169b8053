// The commit point (SPEC §4.4): the first content-bearing event of the chosen upstream. Lifecycle
// frames before it (message-start, an empty text block start) are held, never longer; at the commit
// point they are released in order with the event that committed. Until then an attempt can fail
// and the next target can start over with a fresh gate, and the client never knows.
// A class (one per stream): an object literal with a `committed` getter is built by a slow runtime
// path into a dictionary-mode object on every request (see server/http-output.ts).

import { isContentEvent, type StreamEvent } from '../core/events.ts';

export interface CommitGate {
  push(ev: StreamEvent): void;
  readonly committed: boolean;
  /** Drops held lifecycle frames: the attempt failed before committing. */
  reset(): void;
}

class Gate implements CommitGate {
  committed = false;
  private held: StreamEvent[] | undefined;
  private readonly deliver: (ev: StreamEvent) => void;
  private readonly onCommit: (() => void) | undefined;

  constructor(deliver: (ev: StreamEvent) => void, onCommit: (() => void) | undefined) {
    this.deliver = deliver;
    this.onCommit = onCommit;
  }

  push(ev: StreamEvent): void {
    if (this.committed) {
      this.deliver(ev);
      return;
    }
    if (isContentEvent(ev) || ev.type === 'finish' || ev.type === 'done') {
      this.committed = true;
      this.onCommit?.();
      const frames = this.held;
      this.held = undefined;
      if (frames !== undefined) for (const h of frames) this.deliver(h);
      this.deliver(ev);
    } else if (this.held === undefined) {
      this.held = [ev];
    } else {
      this.held.push(ev);
    }
  }

  reset(): void {
    if (!this.committed) this.held = undefined;
  }
}

export function createCommitGate(deliver: (ev: StreamEvent) => void, onCommit?: () => void): CommitGate {
  return new Gate(deliver, onCommit);
}
