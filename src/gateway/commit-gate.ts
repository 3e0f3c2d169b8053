// The commit point (SPEC §4.4): the first content-bearing event of the chosen upstream. Lifecycle
// frames before it (message-start, an empty text block start) are held, never longer; at the commit
// point they are released in order with the event that committed. Until then an attempt can fail
// and the next target can start over with a fresh gate, and the client never knows.

import { isContentEvent, type StreamEvent } from '../core/events.ts';

export interface CommitGate {
  push(ev: StreamEvent): void;
  readonly committed: boolean;
  /** Drops held lifecycle frames: the attempt failed before committing. */
  reset(): void;
}

export function createCommitGate(deliver: (ev: StreamEvent) => void, onCommit?: () => void): CommitGate {
  let committed = false;
  let held: StreamEvent[] = [];
  return {
    push(ev: StreamEvent): void {
      if (committed) {
        deliver(ev);
        return;
      }
      if (isContentEvent(ev) || ev.type === 'finish' || ev.type === 'done') {
        committed = true;
        onCommit?.();
        const frames = held;
        held = [];
        for (const h of frames) deliver(h);
        deliver(ev);
      } else {
        held.push(ev);
      }
    },
    get committed() {
      return committed;
    },
    reset() {
      if (!committed) held = [];
    },
  };
}
