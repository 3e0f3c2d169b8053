// Per-key limits (SPEC §6): requests per minute, tokens per minute, concurrent requests. Counters live
// in the shared state (Redis for a fleet, memory otherwise), so a limit holds across instances.
//
// - rpm: a sliding-window counter (state/window.ts), checked and counted atomically per request.
// - tpm: tokens are only known when a request ends, so they are added afterwards (recordTokens) and a
//   new request is admitted while the last minute's tokens are still under the limit. One request
//   may overshoot; the next ones wait.
// - concurrency: one slot per request in flight, streaming or not (a non-streaming request holds an
//   upstream generation just as long). Slots carry a TTL and are renewed while held (state/redis.ts).
//
// - budget: checked first (limits/budget.ts), so a key over its budget uses up no rate-limit room.
//
// A refusal is GatewayError('rate_limited' or 'budget_exceeded') with retryAfterMs: the fronts
// render it as a 429 with `retry-after` in the client's dialect.

import { GatewayError } from '../core/errors.ts';
import type { Admission } from '../server/app.ts';
import type { ClientKey } from '../server/auth.ts';
import type { Lease, SharedState } from '../state/types.ts';
import { waitMs } from '../state/window.ts';
import type { Budgets } from './budget.ts';

export const MINUTE_MS = 60_000;
/** A slot of a crashed instance lapses after this long; holders renew well before. */
export const SLOT_TTL_MS = 30_000;
/** Concurrency refusals have no natural wait: ask the client to come back in a second. */
const CONCURRENCY_RETRY_MS = 1000;

const NO_RELEASE = (): void => {};

export function createAdmission(state: SharedState, budgets?: Budgets): Admission {
  return {
    async admit(key: ClientKey | undefined): Promise<() => void> {
      if (budgets && key?.budget) await budgets.check(key);
      if (!key || (key.rpm === undefined && key.tpm === undefined && key.concurrency === undefined)) return NO_RELEASE;
      const id = counterId(key);
      if (state.admitAll) {
        const verdict = await state.admitAll({
          tpm: key.tpm === undefined ? undefined : { name: `tpm:${id}`, windowMs: MINUTE_MS, limit: key.tpm },
          concurrency: key.concurrency === undefined ? undefined : { name: `conc:${id}`, limit: key.concurrency, ttlMs: SLOT_TTL_MS },
          rpm: key.rpm === undefined ? undefined : { name: `rpm:${id}`, windowMs: MINUTE_MS, limit: key.rpm },
        });
        if (verdict.allowed) {
          const lease = verdict.lease;
          return lease ? () => lease.release() : NO_RELEASE;
        }
        switch (verdict.refused) {
          case 'tpm':
            throw refuse(key, `${key.tpm} tokens per minute`, verdict.waitMs);
          case 'concurrency':
            throw refuse(key, `${key.concurrency} concurrent requests`, CONCURRENCY_RETRY_MS);
          case 'rpm':
            throw refuse(key, `${key.rpm} requests per minute`, verdict.waitMs);
        }
      }
      if (key.tpm !== undefined) {
        // At least one token of room: a full minute refuses until enough of it slides out.
        const wait = waitMs(await state.peek(`tpm:${id}`, MINUTE_MS), key.tpm, 1);
        if (wait > 0) throw refuse(key, `${key.tpm} tokens per minute`, wait);
      }
      let lease: Lease | undefined;
      if (key.concurrency !== undefined) {
        lease = await state.acquire(`conc:${id}`, key.concurrency, SLOT_TTL_MS);
        if (!lease) throw refuse(key, `${key.concurrency} concurrent requests`, CONCURRENCY_RETRY_MS);
      }
      if (key.rpm !== undefined) {
        let result;
        try {
          result = await state.consume(`rpm:${id}`, MINUTE_MS, key.rpm, 1);
        } catch (err) {
          lease?.release();
          throw err;
        }
        if (!result.allowed) {
          lease?.release();
          throw refuse(key, `${key.rpm} requests per minute`, waitMs(result.window, key.rpm, 1));
        }
      }
      return lease ? () => lease.release() : NO_RELEASE;
    },

    recordTokens(key: ClientKey | undefined, tokens: number): void {
      if (!key || key.tpm === undefined || !(tokens > 0)) return;
      // After the response: a failure to count must not reach the client (state falls back itself).
      state.add(`tpm:${counterId(key)}`, MINUTE_MS, Math.ceil(tokens)).catch(() => {});
    },

    recordSpend(key: ClientKey | undefined, usd: number | undefined): void {
      if (budgets && key?.budget) void budgets.spend(key, usd);
    },
  };
}

/** Static and stored keys may share a name; their counters must not. */
function counterId(key: ClientKey): string {
  return `${key.source}:${key.name}`;
}

/** retry-after is sent in whole seconds: never ask for less than one. */
function refuse(key: ClientKey, limit: string, afterMs: number): GatewayError {
  const wait = Math.max(1000, afterMs);
  return new GatewayError('rate_limited', `rate limit of key "${key.name}" reached (${limit}); retry in ${Math.ceil(wait / 1000)}s`, {
    retryAfterMs: wait,
  });
}
