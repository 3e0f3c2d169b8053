// The /metrics surface (SPEC §5): pipeline hooks that feed a private prom-client Registry (never
// the global one, so two gateways in one process — tests — do not share counts), and the route that
// serves it in the Prometheus text format. Per request work happens in onRecord; the per-event hook
// does one allocation-free histogram observe.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProtocolName } from '../core/request.ts';
import type { PipelineHooks, RequestRecord, EndReason } from '../gateway/pipeline.ts';
import type { RouteHandler } from '../server/app.ts';
import { FastHistogram, type HistogramSeries } from './fast-histogram.ts';
import { LabelCap, NONE, UNKNOWN, recordLabels } from './labels.ts';

/** Stream end reasons always exported, at 0 until they happen, so alerts can rate() them at once. */
export const STREAM_END_REASONS = [
  'completed',
  'client_abort',
  'upstream_error',
  'first_byte_timeout',
  'idle_timeout',
  'total_timeout',
  'shutdown',
] as const satisfies readonly EndReason[];

/** Time to first event: a cached demo reply takes ~5 ms, a reasoning model may think for minutes. */
export const FIRST_EVENT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120];
/** Gaps between events: token pace is 1–50 ms; seconds mean a stall; 15 s is the keepalive interval. */
export const EVENT_GAP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop lag, GC); on by default. */
  defaultMetrics?: boolean;
  /** Distinct model (and target) label values kept before new ones become "(other)". */
  labelLimit?: number;
  /** The text GET /metrics serves; default this registry's. Cluster workers ask the primary for the whole gateway's (src/cluster/metrics.ts). */
  scrape?: () => Promise<string>;
}

export interface Metrics {
  hooks: PipelineHooks;
  /** GET /metrics */
  handler: RouteHandler;
  registry: Registry;
  /** The config generation now live (server/reload.ts). */
  setGeneration(generation: number): void;
  /** A reload attempt: applied, or refused as invalid. */
  reloaded(ok: boolean): void;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'sluice_requests_total',
    help: 'Requests by client protocol, model asked for, target that answered (provider/model) and HTTP status.',
    labelNames: ['front', 'model', 'target', 'status'] as const,
    registers,
  });
  const firstEvent = new Histogram({
    name: 'sluice_time_to_first_event_seconds',
    help: 'Streaming requests: time from request arrival to the first event sent to the client.',
    labelNames: ['front', 'model', 'target'] as const,
    buckets: FIRST_EVENT_BUCKETS,
    registers,
  });
  const eventGap = new FastHistogram({
    name: 'sluice_event_gap_seconds',
    help: 'Time between two consecutive events sent to a streaming client.',
    labelName: 'front',
    buckets: EVENT_GAP_BUCKETS,
    registers,
  });
  const activeStreams = new Gauge({
    name: 'sluice_active_streams',
    help: 'Streaming responses in progress.',
    registers,
  });
  const streamsEnded = new Counter({
    name: 'sluice_streams_ended_total',
    help: 'Streaming requests by how they ended.',
    labelNames: ['reason'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'sluice_retries_total',
    help: 'Upstream attempts beyond the first, by model.',
    labelNames: ['model'] as const,
    registers,
  });
  const failovers = new Counter({
    name: 'sluice_failovers_total',
    help: 'Retries that moved to a different target, by model.',
    labelNames: ['model'] as const,
    registers,
  });
  const upstreamErrors = new Counter({
    name: 'sluice_upstream_errors_total',
    help: 'Failed upstream attempts by target and error kind (the gateway error code).',
    labelNames: ['target', 'kind'] as const,
    registers,
  });
  const continuations = new Counter({
    name: 'sluice_continuations_total',
    help: 'Streams broken after the commit point that were handed to another target to continue (continue_on_failure), by model.',
    labelNames: ['model'] as const,
    registers,
  });
  const tokens = new Counter({
    name: 'sluice_tokens_total',
    help: 'Tokens by model, target and direction; estimated="true" where the upstream reported none.',
    labelNames: ['model', 'target', 'direction', 'estimated'] as const,
    registers,
  });
  const generation = new Gauge({
    name: 'sluice_config_generation',
    help: 'The config generation serving new requests: 1 at start, +1 per applied reload (SIGHUP, POST /admin/reload).',
    // Across workers, the generation every one of them has reached.
    aggregator: 'min',
    registers,
  });
  generation.set(1);
  const reloads = new Counter({
    name: 'sluice_config_reloads_total',
    help: 'Config reloads by result: applied, or refused because the file was invalid.',
    labelNames: ['result'] as const,
    registers,
  });
  const cost = new Counter({
    name: 'sluice_cost_usd_total',
    help: 'USD spent, by client key, model and target (docs/pricing.md); estimated="true" where the token counts were estimated.',
    labelNames: ['key', 'model', 'target', 'estimated'] as const,
    registers,
  });
  const tokenDetails = new Counter({
    name: 'sluice_token_details_total',
    help: 'Parts of sluice_tokens_total the upstream reported: kind="cache_read" and "cache_write" of direction="in", kind="reasoning" of direction="out".',
    labelNames: ['model', 'target', 'kind'] as const,
    registers,
  });
  for (const reason of STREAM_END_REASONS) streamsEnded.inc({ reason }, 0);
  reloads.inc({ result: 'applied' }, 0);
  reloads.inc({ result: 'refused' }, 0);

  const limit = opts.labelLimit ?? 100;
  const models = new LabelCap(limit);
  const targets = new LabelCap(limit * 2);
  // Key names come from the config and the store, not from clients; still bounded.
  const keys = new LabelCap(limit * 10);
  // One series per front, looked up once and then reused on every event.
  const gapSeries = new Map<string, HistogramSeries>();

  const onRecord = (r: RequestRecord): void => {
    const { model, target } = recordLabels(r, models, targets);
    requests.inc({ front: r.front, model, target, status: String(r.status) });
    if (r.stream) {
      // Streams only: a non-streaming answer's "first event" is the whole response, another
      // distribution that would blur this one (its duration is in the request log).
      if (r.firstEventMs >= 0) firstEvent.observe({ front: r.front, model, target }, r.firstEventMs / 1000);
      if (r.endReason !== 'rejected') streamsEnded.inc({ reason: r.endReason });
    }
    if (r.retries > 0) retries.inc({ model }, r.retries);
    if (r.failovers > 0) failovers.inc({ model }, r.failovers);
    if (r.continuations) continuations.inc({ model }, r.continuations);
    if (r.usage && r.target !== undefined) {
      const estimated = r.usage.estimated === true ? 'true' : 'false';
      tokens.inc({ model, target, direction: 'in', estimated }, r.usage.inputTokens);
      tokens.inc({ model, target, direction: 'out', estimated }, r.usage.outputTokens);
      if (r.costUsd !== undefined && r.costUsd > 0) cost.inc({ key: r.keyName === undefined ? NONE : keys.value(r.keyName), model, target, estimated }, r.costUsd);
      const u = r.usage;
      if (u.cacheReadTokens) tokenDetails.inc({ model, target, kind: 'cache_read' }, u.cacheReadTokens);
      if (u.cacheWriteTokens) tokenDetails.inc({ model, target, kind: 'cache_write' }, u.cacheWriteTokens);
      if (u.reasoningTokens) tokenDetails.inc({ model, target, kind: 'reasoning' }, u.reasoningTokens);
    }
  };

  const hooks: PipelineHooks = {
    onRecord,
    onAttemptError(target, error) {
      upstreamErrors.inc({ target: targets.value(target.key), kind: error.code });
    },
    onStreamOpen() {
      activeStreams.inc();
    },
    onStreamClose() {
      activeStreams.dec();
    },
    // `front` is passed by pipelines that know it; the first event's "gap" is the time to first
    // event, which has its own histogram.
    onClientEvent(gapMs: number, first: boolean, front?: ProtocolName) {
      if (first) return;
      const key = front ?? UNKNOWN;
      let series = gapSeries.get(key);
      if (series === undefined) {
        series = eventGap.labels(key);
        gapSeries.set(key, series);
      }
      series.observe(gapMs / 1000);
    },
  };

  const handler: RouteHandler = async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('use GET /metrics\n');
      return;
    }
    let text: string;
    try {
      text = await (opts.scrape?.() ?? registry.metrics());
    } catch (err) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`metrics unavailable: ${(err as Error)?.message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  };

  return {
    hooks,
    handler,
    registry,
    setGeneration: (n) => generation.set(n),
    reloaded: (ok) => reloads.inc({ result: ok ? 'applied' : 'refused' }),
  };
}
