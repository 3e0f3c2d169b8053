// The pricing stage of a finished request: sets RequestRecord.costUsd before the record is logged,
// stored, counted in /metrics and charged to the key's budget.

import type { RequestRecord } from '../gateway/pipeline.ts';
import type { Pricer } from './index.ts';

/**
 * A request costs what its usage costs at its target's price when the upstream worked for it: it
 * answered (status 200, a stream that broke after the commit point included) or the client left
 * mid-way (the upstream had started; usage counts what was generated, SPEC §4.4). A request that
 * failed before any answer costs 0: upstreams do not bill errors. Unpriced targets leave it unset.
 */
export function priceRecord(pricer: Pricer, r: RequestRecord, now: number = Date.now()): void {
  if (r.endReason === 'rejected' || r.target === undefined || r.usage === undefined) return;
  if (r.status === 200 || r.endReason === 'client_abort') r.costUsd = pricer.cost(r.target, r.usage, now);
  else r.costUsd = 0;
}
