// Spend limits per key (SPEC §12, docs/budgets.md): `budget: { usd, per: day | month | total }`.
//
// - Spend is counted when a request ends (its cost is known only then), abandoned streams included;
//   a request is admitted while the period's spend is below the budget, so the request that crosses
//   it completes and the next one is refused. Requests already in flight may overshoot together.
// - Counters live in the shared state (state/types.ts): one Redis counter per key and period for a
//   fleet, the primary's for workers, process memory otherwise. They count integer nano-dollars, so
//   sums are exact whatever the order of additions.
// - A counter that does not exist yet (first request of the period on this state, a restarted
//   single instance, a Redis that lost its data) is seeded from the usage store before it is used,
//   so a restart does not hand every key a fresh budget.
// - Periods are UTC calendar days and months; `total` never resets.

import type { BudgetConfig } from '../config/types.ts';
import { GatewayError } from '../core/errors.ts';
import type { ClientKey } from '../server/auth.ts';
import type { SharedState } from '../state/types.ts';

/** Counters hold integer nano-dollars: exact sums, and $9M before a double loses a unit. */
const NANO = 1e9;
const DAY_MS = 86_400_000;

export interface SpendSource {
  /**
   * USD a key spent since `since`, from the usage store, every request that has ended so far
   * included: a request's usage row is handed to the store before its spend is counted here.
   */
  spendSince(keyName: string, since: Date): Promise<number>;
}

export interface BudgetOptions {
  now?: () => number;
  /** Where spend before this process's first request of a period comes from (the usage store). */
  history?: SpendSource;
  /** A failure to read history or write a counter (the request is not refused for it). */
  onError?(err: unknown): void;
}

export interface Period {
  /** Part of the counter name: `2025-06-01`, `2025-06` or `total`. */
  id: string;
  start: number;
  /** When the budget resets (ms); undefined for `total`. */
  resetsAt?: number;
}

export function periodOf(per: BudgetConfig['per'], now: number): Period {
  const d = new Date(now);
  if (per === 'total') return { id: 'total', start: 0 };
  if (per === 'day') {
    const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
    return { id: new Date(start).toISOString().slice(0, 10), start, resetsAt: start + DAY_MS };
  }
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return { id: new Date(start).toISOString().slice(0, 7), start, resetsAt: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

export class Budgets {
  private readonly state: SharedState;
  private readonly now: () => number;
  private readonly history?: SpendSource;
  private readonly onError?: (err: unknown) => void;

  constructor(state: SharedState, opts: BudgetOptions = {}) {
    this.state = state;
    this.now = opts.now ?? Date.now;
    this.history = opts.history;
    this.onError = opts.onError;
  }

  /** Throws GatewayError('budget_exceeded') when the key's budget for this period is spent. */
  async check(key: ClientKey | undefined): Promise<void> {
    const budget = key?.budget;
    if (!key || !budget) return;
    const now = this.now();
    const period = periodOf(budget.per, now);
    const name = counterName(key, budget, period);
    const spent = (await this.state.readCounter(name)) ?? (await this.seed(key, name, period));
    if (spent < Math.round(budget.usd * NANO)) return;
    throw exceeded(key, budget, spent / NANO, period, now);
  }

  /** Counts a finished request's cost against its key's budget. Never throws. */
  async spend(key: ClientKey | undefined, usd: number | undefined): Promise<void> {
    const budget = key?.budget;
    if (!key || !budget || usd === undefined || !(usd > 0)) return;
    const amount = Math.round(usd * NANO);
    if (amount === 0) return;
    const period = periodOf(budget.per, this.now());
    const name = counterName(key, budget, period);
    try {
      if ((await this.state.addToCounter(name, amount)) !== undefined) return;
      // No counter: the store's history, this request included (SpendSource), becomes it.
      if (this.history) await this.seed(key, name, period);
      else {
        await this.state.seedCounter(name, 0, expiryOf(period));
        await this.state.addToCounter(name, amount);
      }
    } catch (err) {
      this.onError?.(err);
    }
  }

  /** USD spent in the current period (for `keys usage` and the playground); undefined without a budget. */
  async spent(key: ClientKey): Promise<number | undefined> {
    if (!key.budget) return undefined;
    const period = periodOf(key.budget.per, this.now());
    const name = counterName(key, key.budget, period);
    return ((await this.state.readCounter(name)) ?? (await this.seed(key, name, period))) / NANO;
  }

  private async seed(key: ClientKey, name: string, period: Period): Promise<number> {
    let usd = 0;
    if (this.history) {
      try {
        usd = await this.history.spendSince(key.name, new Date(period.start));
      } catch (err) {
        // Without history the period counts from here: better than refusing every request.
        this.onError?.(err);
      }
    }
    return this.state.seedCounter(name, Math.round(usd * NANO), expiryOf(period));
  }
}

/** Kept a day past the reset, then dropped; a `total` counter is kept for good. */
function expiryOf(period: Period): number {
  return period.resetsAt === undefined ? 0 : period.resetsAt + DAY_MS;
}

/** Static and stored keys may share a name, and a budget's period may change: neither shares a counter. */
function counterName(key: ClientKey, budget: BudgetConfig, period: Period): string {
  return `budget:${key.source}:${key.name}:${budget.per}:${period.id}`;
}

function exceeded(key: ClientKey, budget: BudgetConfig, spentUsd: number, period: Period, now: number): GatewayError {
  const limit = `$${formatUsd(budget.usd)} ${budget.per === 'total' ? 'in total' : `per ${budget.per}`}`;
  const spent = `$${formatUsd(spentUsd)} spent`;
  if (period.resetsAt === undefined) {
    return new GatewayError('budget_exceeded', `budget of key "${key.name}" exceeded: ${spent} of ${limit}; it does not reset`);
  }
  const reset = new Date(period.resetsAt).toISOString().replace('.000Z', 'Z');
  return new GatewayError('budget_exceeded', `budget of key "${key.name}" exceeded: ${spent} of ${limit}; it resets at ${reset}`, {
    retryAfterMs: Math.max(1000, period.resetsAt - now),
  });
}

/** Cents for amounts of a dollar or more, up to six decimals below (a few tokens cost micro-dollars). */
export function formatUsd(usd: number): string {
  if (usd >= 1) return usd.toFixed(2);
  if (usd === 0) return '0.00';
  return usd.toFixed(6).replace(/0{1,4}$/, '');
}
