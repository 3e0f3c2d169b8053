// What the playground shows of spend (SPEC §12, docs/pricing.md): the cost and token counts of one
// request, and spend per key and model over a period, from the usage store.
//
//   GET /sluice/spend?since=24h          → { since, key, rows: [...], total_usd }
//   GET /sluice/spend/request?id=REQ_ID[&wait=MS]  → the request's model, target, tokens and cost_usd
//       (`wait`: up to 5 s for a request still finishing on this process — the page asks right
//       after it stopped reading, when an aborted stream is still being recorded)
//
// A gateway with client keys answers these only with a key, and a key sees only its own requests
// and rows; an open gateway shows everything (as it serves anyone). A request just finished is
// answered from this process's memory, else from the store (another instance or worker served it).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Usage } from '../core/events.ts';
import type { RequestRecord } from '../gateway/pipeline.ts';
import type { RouteHandler } from '../server/app.ts';
import { presentedKey, type Authenticator } from '../server/auth.ts';
import { sinceDate } from '../store/since.ts';
import { summaryJson } from '../store/columns.ts';
import type { Store, UsageRow } from '../store/types.ts';

/** Finished requests kept in memory for the playground to ask about. */
const RECENT = 2000;
const DEFAULT_SINCE = '24h';

interface RecentRequest {
  requestId: string;
  keyName?: string;
  model: string;
  target?: string;
  usage?: Usage;
  costUsd?: number;
}

/** The longest `wait` honoured. */
const MAX_WAIT_MS = 5000;

/**
 * The last RECENT finished requests of this process (oldest dropped first), in a ring. Looked up
 * by a scan from the newest: asked about once in a while (the playground), added to on every
 * request — a Map by id cost a hash insert and delete per request, and rehashed its table as
 * deleted entries piled up.
 */
export class RecentRequests {
  private readonly waiters = new Map<string, Array<() => void>>();
  private readonly ring: Array<RecentRequest | undefined> = new Array<RecentRequest | undefined>(RECENT).fill(undefined);
  /** The slot the next request takes (the oldest, once the ring is full). */
  private next = 0;

  add(r: RequestRecord): void {
    this.ring[this.next] = { requestId: r.requestId, keyName: r.keyName, model: r.model, target: r.target, usage: r.usage, costUsd: r.costUsd };
    this.next = this.next + 1 === RECENT ? 0 : this.next + 1;
    if (this.waiters.size === 0) return;
    const waiting = this.waiters.get(r.requestId);
    if (waiting) {
      this.waiters.delete(r.requestId);
      for (const wake of waiting) wake();
    }
  }

  /** The newest finished request with this id (a client may send an x-request-id twice). */
  get(id: string): RecentRequest | undefined {
    for (let k = 1; k <= RECENT; k++) {
      const entry = this.ring[(this.next - k + RECENT) % RECENT];
      if (entry === undefined) return undefined;
      if (entry.requestId === id) return entry;
    }
    return undefined;
  }

  /** The request once it finishes here, or undefined after `ms`. */
  wait(id: string, ms: number): Promise<RecentRequest | undefined> {
    const found = this.get(id);
    if (found || ms <= 0 || this.waiters.size >= RECENT) return Promise.resolve(found);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.get(id));
      };
      const timer = setTimeout(() => {
        const list = this.waiters.get(id)?.filter((w) => w !== wake) ?? [];
        if (list.length > 0) this.waiters.set(id, list);
        else this.waiters.delete(id);
        resolve(undefined);
      }, ms);
      timer.unref();
      const list = this.waiters.get(id) ?? [];
      list.push(wake);
      this.waiters.set(id, list);
    });
  }
}

export interface SpendRoutesOptions {
  store: Store;
  auth: Authenticator;
  recent: RecentRequests;
  /** Writes usage rows still queued, so a report includes the request that just ended. */
  flush(): Promise<void>;
  now?: () => number;
}

export function spendRoutes(opts: SpendRoutesOptions): Record<string, RouteHandler> {
  const now = opts.now ?? Date.now;

  /** undefined: refused (answered already); null: everything; a name: that key's rows only. */
  const scope = async (req: IncomingMessage, res: ServerResponse): Promise<string | null | undefined> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, { error: { message: 'use GET', type: 'invalid_request_error', code: 'method_not_allowed' } });
      return undefined;
    }
    await opts.auth.refresh();
    if (opts.auth.open) return null;
    const key = await opts.auth.authenticate(presentedKey(req.headers));
    if (!key) {
      send(res, 401, { error: { message: 'missing or invalid API key', type: 'authentication_error', code: 'invalid_api_key' } });
      return undefined;
    }
    return key.name;
  };

  const report: RouteHandler = async (req, res, url) => {
    const key = await scope(req, res);
    if (key === undefined) return;
    const sinceText = url.searchParams.get('since') ?? DEFAULT_SINCE;
    const since = sinceDate(sinceText, now());
    if (!since) {
      send(res, 400, { error: { message: `'since' must be a duration such as 24h or 7d, or a date (got "${sinceText}")`, type: 'invalid_request_error', code: 'invalid_request' } });
      return;
    }
    await opts.flush();
    const rows = await opts.store.usageSummary(since, key ?? undefined);
    let total = 0;
    for (const r of rows) total += r.costUsd;
    send(res, 200, {
      since: since.toISOString(),
      key,
      rows: rows.map(summaryJson),
      total_usd: total,
    });
  };

  const oneRequest: RouteHandler = async (req, res, url) => {
    const key = await scope(req, res);
    if (key === undefined) return;
    const id = url.searchParams.get('id') ?? '';
    const wait = Math.min(MAX_WAIT_MS, Math.max(0, Number(url.searchParams.get('wait') ?? 0) || 0));
    let found: RecentRequest | undefined = await opts.recent.wait(id, wait);
    if (!found && id !== '') {
      await opts.flush();
      const row = await opts.store.usageOf(id);
      if (row) found = fromRow(row);
    }
    if (!found || (key !== null && found.keyName !== key)) {
      send(res, 404, { error: { message: `no finished request "${id}" here`, type: 'not_found_error', code: 'not_found' } });
      return;
    }
    const u = found.usage;
    send(res, 200, {
      request_id: found.requestId,
      key: found.keyName ?? null,
      model: found.model,
      target: found.target ?? null,
      tokens_in: u?.inputTokens ?? null,
      tokens_out: u?.outputTokens ?? null,
      tokens_cache_read: u?.cacheReadTokens ?? null,
      tokens_cache_write: u?.cacheWriteTokens ?? null,
      tokens_reasoning: u?.reasoningTokens ?? null,
      tokens_estimated: u?.estimated === true,
      cost_usd: found.costUsd ?? null,
    });
  };

  return { '/sluice/spend': report, '/sluice/spend/request': oneRequest };
}

function fromRow(row: UsageRow): RecentRequest {
  const usage: Usage = { inputTokens: row.tokensIn, outputTokens: row.tokensOut };
  if (row.cacheReadTokens !== undefined) usage.cacheReadTokens = row.cacheReadTokens;
  if (row.cacheWriteTokens !== undefined) usage.cacheWriteTokens = row.cacheWriteTokens;
  if (row.reasoningTokens !== undefined) usage.reasoningTokens = row.reasoningTokens;
  if (row.estimated) usage.estimated = true;
  return { requestId: row.requestId, keyName: row.keyName, model: row.model, target: row.target, usage, costUsd: row.costUsd };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}
