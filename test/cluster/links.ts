// Two Link ends joined in memory, delivering like an IPC channel: in order, on a later turn.

import { Link, type LinkMessage } from '../../src/cluster/link.ts';

export interface LinkPair {
  primary: Link;
  worker: Link;
  /** Messages sent so far, each way. */
  sent: { toPrimary: number; toWorker: number };
  /** Cuts the channel (a worker that died). */
  cut(): void;
}

export function linkPair(): LinkPair {
  let open = true;
  const sent = { toPrimary: 0, toWorker: 0 };
  const deliver = (to: () => Link, count: 'toPrimary' | 'toWorker') => (msg: LinkMessage): boolean => {
    if (!open) return false;
    sent[count]++;
    const copy = JSON.parse(JSON.stringify(msg)) as LinkMessage;
    setImmediate(() => {
      if (open) to().receive(copy);
    });
    return true;
  };
  const primary: Link = new Link(deliver(() => worker, 'toWorker'));
  const worker: Link = new Link(deliver(() => primary, 'toPrimary'));
  return {
    primary,
    worker,
    sent,
    cut() {
      open = false;
      primary.close();
      worker.close();
    },
  };
}

/** Lets queued link messages (and their replies) go through. */
export async function settle(turns = 6): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
