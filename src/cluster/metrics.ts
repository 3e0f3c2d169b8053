// /metrics for the whole gateway when several workers serve it (SPEC §11): whichever worker gets
// the scrape asks the primary, which collects every worker's registry as JSON and merges them with
// prom-client's AggregatorRegistry (counters and histograms summed; each metric's own `aggregator`
// otherwise, e.g. `min` for the config generation). The primary's own process metrics are part
// of the sum, so process_cpu_seconds_total is the whole gateway's CPU.
//
// A counter must never go down, or Prometheus reads a reset and rate() jumps: when a worker exits,
// the counters and histograms of its last collected snapshot are kept and added to every later
// scrape (its gauges are dropped: a dead worker has no active streams).

import { AggregatorRegistry, Counter, Gauge, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { Link } from './link.ts';

export const METRICS_OPS = { snapshot: 'mx.snap', scrape: 'mx.scrape' } as const;

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

/** How long a scrape waits for a worker's snapshot before answering without it. */
const SNAPSHOT_TIMEOUT_MS = 3000;
/** What a dead worker leaves in the sum (prom-client's JSON names types in lower case). */
const KEPT_TYPES = new Set(['counter', 'histogram']);

export class ClusterMetrics {
  readonly registry = new Registry();
  readonly workers: Gauge;
  readonly restarts: Counter;
  /** Counted here, once for the whole gateway (the workers' own stay at 0). */
  readonly reloads: Counter;
  private readonly links = new Map<number, Link>();
  private readonly last = new Map<number, MetricJson[]>();
  private retired: MetricJson[] = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.workers = new Gauge({ name: 'sluice_workers', help: 'Worker processes serving the port.', registers: [this.registry] });
    this.restarts = new Counter({
      name: 'sluice_worker_restarts_total',
      help: 'Workers that exited unexpectedly and were replaced.',
      registers: [this.registry],
    });
    this.reloads = new Counter({
      name: 'sluice_config_reloads_total',
      help: 'Config reloads by result: applied, or refused because the file was invalid.',
      labelNames: ['result'],
      registers: [this.registry],
    });
  }

  attach(workerId: number, link: Link): void {
    this.links.set(workerId, link);
    link.handle(METRICS_OPS.scrape, () => this.scrape());
  }

  /** The worker exited: keep what its counters had reached. */
  detach(workerId: number): void {
    this.links.delete(workerId);
    const snapshot = this.last.get(workerId);
    this.last.delete(workerId);
    if (!snapshot) return;
    const kept = snapshot.filter((m) => KEPT_TYPES.has(String(m.type)));
    this.retired = this.retired.length === 0 ? kept : mergeJson([this.retired, kept]);
  }

  /** The Prometheus text for the whole gateway. */
  async scrape(): Promise<string> {
    const asks = [...this.links].map(async ([id, link]) => {
      try {
        const snapshot = await link.call<MetricJson[]>(METRICS_OPS.snapshot, [], SNAPSHOT_TIMEOUT_MS);
        this.last.set(id, snapshot);
        return snapshot;
      } catch {
        // Exiting, or stuck: its last snapshot stands in (counters stay monotonic).
        return this.last.get(id);
      }
    });
    const parts = (await Promise.all(asks)).filter((p): p is MetricJson[] => p !== undefined);
    parts.push(await this.registry.getMetricsAsJSON() as MetricJson[]);
    if (this.retired.length > 0) parts.push(this.retired);
    return AggregatorRegistry.aggregate(parts).metrics();
  }
}

/** A worker's side: answers the primary's snapshot requests from its registry. */
export function serveSnapshots(link: Link, registry: Registry): void {
  link.handle(METRICS_OPS.snapshot, () => registry.getMetricsAsJSON());
}

function mergeJson(parts: MetricJson[][]): MetricJson[] {
  const merged = AggregatorRegistry.aggregate(parts);
  // aggregate() returns a registry of plain metric objects; their get() is synchronous data.
  return merged.getMetricsAsArray().map((m) => (m as unknown as { get(): MetricJson }).get());
}
