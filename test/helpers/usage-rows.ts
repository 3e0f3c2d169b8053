// Usage rows of one shape, each with a request id of its own: what the usage store tests and
// bench/usage-store.ts write.

import type { UsageRow } from '../../src/store/index.ts';

let next = 0;

/** `count` rows as the gateway records a completed, priced request; ids never repeat in a process. */
export function usageRows(count: number): UsageRow[] {
  return Array.from({ length: count }, () => ({
    time: new Date(),
    requestId: `req_${String(next++).padStart(24, '0')}`,
    keyName: 'team',
    model: 'gpt-4o-mini',
    target: 'mock/bench',
    tokensIn: 1234,
    tokensOut: 567,
    estimated: false,
    endReason: 'completed',
    status: 200,
    costUsd: 0.000123,
  }));
}
