// Optional services a running gateway wires in beside the pipeline: the key store, shared state,
// routing health, admission control, usage records, metrics. Each module adds itself here; the app
// itself stays ignorant of them.

import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { RequestRecord } from '../gateway/pipeline.ts';
import { Budgets, createAdmission } from '../limits/index.ts';
import { Pricer } from '../pricing/index.ts';
import { priceRecord } from '../pricing/record.ts';
import { syncCircuits } from '../router/circuit-sync.ts';
import { HealthRegistry } from '../router/health.ts';
import { createRouter } from '../router/index.ts';
import { createState } from '../state/index.ts';
import { UsageRecorder, openStore, type UsageRow } from '../store/index.ts';
import type { AppOptions } from './app.ts';
import { attachMetrics, mergeHooks } from '../metrics/attach.ts';
import { startTelemetry } from '../telemetry/index.ts';
import { attachPlayground } from '../playground/index.ts';
import { RecentRequests, spendRoutes } from '../playground/spend.ts';
import { Authenticator } from './auth.ts';

export interface Services {
  appOptions: AppOptions;
  pricer: Pricer;
  budgets: Budgets;
  close(): Promise<void>;
}

/** At most one store-failure warning per this period: a broken store must not flood the log. */
const STORE_WARN_EVERY_MS = 60_000;

export async function startServices(config: Config, log: Logger): Promise<Services> {
  let lastStoreWarning = 0;
  const storeFailed = (what: string, err: unknown): void => {
    const now = Date.now();
    if (now - lastStoreWarning < STORE_WARN_EVERY_MS) return;
    lastStoreWarning = now;
    log.warn({ store: config.store.split(':')[0], error: (err as Error)?.message ?? String(err) }, `store: ${what} failed`);
  };
  const store = openStore(config.store, { onError: (err) => storeFailed('connection', err) });
  const usage = new UsageRecorder(store, {
    onError: (err, dropped) => storeFailed(`recording usage (${dropped} rows dropped so far)`, err),
  });

  const state = await createState(config, log);
  const health = new HealthRegistry(config.breaker);
  health.onCircuitChange((target, circuit) => {
    if (circuit === 'open') log.warn({ target, cooldown_ms: config.breaker.cooldownMs }, 'circuit opened: target out of rotation');
    else if (circuit === 'closed') log.info({ target }, 'circuit closed: target back in rotation');
  });
  const sync = config.redis ? syncCircuits(health, state) : undefined;
  const router = createRouter(config, { health });
  const pricer = new Pricer(config, {
    onUnpriced: (target) =>
      log.warn({ target }, 'no price for this target in the catalog or pricing: its requests cost $0 and count $0 toward budgets'),
  });
  const budgets = new Budgets(state, {
    history: {
      // Rows still queued for the store are part of the history too.
      spendSince: async (keyName, since) => {
        await usage.flush();
        return store.spendSince(keyName, since);
      },
    },
    onError: (err) => storeFailed('budget accounting', err),
  });

  const recent = new RecentRequests();
  const appOptions: AppOptions = {
    routes: spendRoutes({ store, auth: new Authenticator(config.auth.keys, store), recent, flush: () => usage.flush() }),
    router,
    store,
    documents: store,
    log: (fields, message) => log.info(fields, message),
    admission: createAdmission(state, budgets),
    readiness: () => router.readiness(),
    hooks: {
      onRecord(record) {
        // Requests refused before routing (401/403/429…) carry no usage and are not stored.
        if (record.endReason === 'rejected') return;
        // First: the log line, the store, /metrics and the budget all read the cost.
        priceRecord(pricer, record);
        usage.add(usageRow(record));
        recent.add(record);
      },
    },
  };

  // Tracing: an observer per request and a span per refusal, after pricing (spans carry the cost).
  const telemetry = startTelemetry(config.telemetry, log);
  if (telemetry) appOptions.hooks = mergeHooks(appOptions.hooks ?? {}, telemetry.hooks);

  // Metrics last: they merge with every hook set above. Then the playground at GET /.
  return {
    appOptions: attachPlayground(attachMetrics(appOptions)),
    pricer,
    budgets,
    async close() {
      sync?.stop();
      await telemetry?.shutdown();
      await usage.close();
      await state.close();
      await store.close();
    },
  };
}

function usageRow(r: RequestRecord): UsageRow {
  return {
    time: new Date(),
    requestId: r.requestId,
    keyName: r.keyName,
    model: r.model,
    target: r.target,
    tokensIn: r.usage?.inputTokens ?? 0,
    tokensOut: r.usage?.outputTokens ?? 0,
    cacheReadTokens: r.usage?.cacheReadTokens,
    cacheWriteTokens: r.usage?.cacheWriteTokens,
    reasoningTokens: r.usage?.reasoningTokens,
    estimated: r.usage?.estimated === true,
    endReason: r.endReason,
    status: r.status,
    costUsd: r.costUsd,
  };
}
