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
import { attachMetricsTo, mergeHooks } from '../metrics/attach.ts';
import { createMetrics, type Metrics } from '../metrics/index.ts';
import { startTelemetry } from '../telemetry/index.ts';
import { attachPlayground } from '../playground/index.ts';
import { RecentRequests, spendRoutes } from '../playground/spend.ts';
import { Authenticator } from './auth.ts';
import type { CircuitEntry } from '../cluster/circuits.ts';
import { workerHealth } from '../cluster/circuits.ts';
import { IpcState } from '../cluster/ipc-state.ts';
import type { Link } from '../cluster/link.ts';
import { METRICS_OPS, serveSnapshots } from '../cluster/metrics.ts';
import { targetsOf, type ReloadPlan } from './reload.ts';
import type { SharedState } from '../state/types.ts';

export interface Services {
  appOptions: AppOptions;
  readonly pricer: Pricer;
  budgets: Budgets;
  metrics: Metrics;
  health: HealthRegistry;
  /** A reload: new breaker settings for every target, fresh health for targets whose provider changed, new prices. */
  applyReload(plan: ReloadPlan): void;
  close(): Promise<void>;
}

/** A cluster worker's link to the primary (src/cluster/): state, circuits and metrics go through it without Redis. */
export interface WorkerServices {
  link: Link;
  /** Circuit states at the worker's start. */
  circuits: CircuitEntry[];
  /** Targets the primary watches (every outcome sent at once) at the worker's start. */
  watched?: string[];
}

/** How long a worker waits for the primary to gather every worker's metrics. */
const SCRAPE_TIMEOUT_MS = 5000;
/** At most one warning per this period when the primary does not answer a state call. */
const FALLBACK_WARN_EVERY_MS = 60_000;

/** At most one store-failure warning per this period: a broken store must not flood the log. */
const STORE_WARN_EVERY_MS = 60_000;

export async function startServices(config: Config, log: Logger, worker?: WorkerServices): Promise<Services> {
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

  // Without Redis, a cluster worker's limits and circuits live in the primary (src/cluster/).
  const viaPrimary = worker !== undefined && !config.redis;
  let lastFallbackWarning = 0;
  const state: SharedState = viaPrimary
    ? new IpcState(worker.link, (err) => {
        const now = Date.now();
        if (now - lastFallbackWarning < FALLBACK_WARN_EVERY_MS) return;
        lastFallbackWarning = now;
        log.warn({ error: err.message }, 'cluster primary did not answer a limit check: this request was counted by this worker alone');
      })
    : await createState(config, log);
  const health = viaPrimary ? workerHealth(config.breaker, worker.link, worker.circuits, worker.watched) : new HealthRegistry(config.breaker);
  // The primary logs the circuits it keeps for every worker.
  if (!viaPrimary) {
    health.onCircuitChange((target, circuit) => {
      if (circuit === 'open') log.warn({ target, cooldown_ms: config.breaker.cooldownMs }, 'circuit opened: target out of rotation');
      else if (circuit === 'closed') log.info({ target }, 'circuit closed: target back in rotation');
    });
  }
  const sync = config.redis ? syncCircuits(health, state) : undefined;
  const routerFor = (c: Config) => createRouter(c, { health });
  let pricer = newPricer(config);
  function newPricer(c: Config): Pricer {
    return new Pricer(c, {
      onUnpriced: (target) =>
        log.warn({ target }, 'no price for this target in the catalog or pricing: its requests cost $0 and count $0 toward budgets'),
    });
  }
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
  // The spend page's own key check; its static keys follow reloads (applyReload).
  const spendAuth = new Authenticator(config.auth.keys, store);
  const appOptions: AppOptions = {
    routes: spendRoutes({ store, auth: spendAuth, recent, flush: () => usage.flush() }),
    router: routerFor(config),
    routerFor,
    store,
    documents: store,
    log: (fields, message) => log.info(fields, message),
    admission: createAdmission(state, budgets),
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
  const link = worker?.link;
  const metrics = createMetrics(link ? { scrape: () => link.call<string>(METRICS_OPS.scrape, [], SCRAPE_TIMEOUT_MS) } : {});
  if (link) serveSnapshots(link, metrics.registry);
  return {
    appOptions: attachPlayground(attachMetricsTo(appOptions, metrics).appOptions),
    get pricer() {
      return pricer;
    },
    budgets,
    metrics,
    health,
    applyReload(plan) {
      health.configure(plan.config.breaker);
      for (const key of targetsOf(plan.changedProviders, health.keys())) health.forget(key);
      pricer = newPricer(plan.config);
      spendAuth.setStaticKeys(plan.config.auth.keys);
    },
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
