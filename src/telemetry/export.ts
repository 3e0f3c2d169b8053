// OTLP/HTTP export off the request path (docs/telemetry.md): finished spans go to the SDK's
// BatchSpanProcessor, a bounded queue that one timer drains in batches to the official OTLP/HTTP
// exporter (its serializer called a slice of the batch at a time: splice.ts). A request only ever
// appends to that queue; it never waits for the collector. The spans themselves are built by
// trace.ts (FinishedSpan), once, when they end: no SDK Tracer or Span runs per request
// (bench/tracing.ts; docs/telemetry.md, Cost).
//
// A collector that is down or slow costs requests nothing: exports fail or time out in the
// background, spans beyond the queue's bound are dropped, and sluice logs one warning when exports
// start failing and one line when they work again (not one per batch).

import { ExportResultCode, type ExportResult, type InstrumentationScope } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { SplicedJsonTraceSerializer } from './splice.ts';

/** Spans waiting for export; beyond it new spans are dropped (the SDK counts them). */
export const MAX_QUEUE = 8192;
/**
 * Large batches: each export request has a cost of its own far above its spans' (docs/telemetry.md,
 * Cost): at the bench's rate, tracing cost ×1.32 with batches of 64, ×1.22 with 512 and ×1.10–1.15
 * with 2048, which still leave at least every EXPORT_DELAY_MS.
 */
const MAX_BATCH = 2048;
/** A batch leaves at least this often while spans wait. */
const EXPORT_DELAY_MS = 500;
/** One export request may take this long before it counts as failed. */
const EXPORT_TIMEOUT_MS = 10_000;

export interface ExportLog {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/** Where finished spans go, and what every span of this process shares. */
export interface SpanSink {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** Queues a finished, sampled span for export (dropped when the queue is full). */
  end(span: ReadableSpan): void;
}

export interface TraceExport {
  sink: SpanSink;
  /** Exports what is queued (bounded by the export timeout). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface TraceExportOptions {
  endpoint: string;
  headers: Record<string, string>;
  serviceName: string;
  serviceVersion: string;
  log: ExportLog;
  /** Tests: export sooner. */
  delayMs?: number;
}

/** `endpoint` is the collector's base URL (like OTEL_EXPORTER_OTLP_ENDPOINT): traces go to /v1/traces. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

export function startTraceExport(opts: TraceExportOptions): TraceExport {
  const url = tracesUrl(opts.endpoint);
  const exporter = new WarnOnceExporter(
    new JsonTraceExporter({ url, headers: opts.headers, timeoutMillis: EXPORT_TIMEOUT_MS }),
    opts.log,
    describeEndpoint(url),
  );
  const processor = new BatchSpanProcessor({
    exporter,
    maxQueueSize: MAX_QUEUE,
    maxExportBatchSize: MAX_BATCH,
    scheduledDelayMillis: opts.delayMs ?? EXPORT_DELAY_MS,
    exportTimeoutMillis: EXPORT_TIMEOUT_MS,
  });
  return {
    sink: {
      // What the SDK's TracerProvider and getTracer('sluice', version) gave every span.
      resource: resourceFromAttributes({ 'service.name': opts.serviceName, 'service.version': opts.serviceVersion }),
      scope: { name: 'sluice', version: opts.serviceVersion },
      end: (span) => processor.onEnd(span),
    },
    flush: () => processor.forceFlush().catch(() => undefined),
    shutdown: () => processor.shutdown().catch(() => undefined),
  };
}

/**
 * The official OTLP/HTTP JSON trace exporter, OTLPTraceExporter of exporter-trace-otlp-http, built
 * as it builds itself (the same transport, retries, timeout, concurrency bound, response handling
 * and self-metrics), with the official serializer called a slice of the batch at a time (splice.ts):
 * the same request, at a third of the serializer's CPU for a batch of 2048.
 */
class JsonTraceExporter extends OTLPExporterBase<ReadableSpan[]> {
  constructor(config: { url: string; headers: Record<string, string>; timeoutMillis: number }) {
    super(
      createOtlpHttpExportDelegate(
        convertLegacyHttpOptions(config, 'TRACES', 'v1/traces', { 'Content-Type': 'application/json' }),
        SplicedJsonTraceSerializer,
        'otlp_http_span_exporter',
        TraceExporterMetricsHelper,
        undefined,
      ),
    );
  }
}

/** Passes batches on; logs the first failure of a run of failures, and the recovery after it. */
class WarnOnceExporter implements SpanExporter {
  private readonly inner: SpanExporter;
  private readonly log: ExportLog;
  private readonly where: string;
  private failing = false;

  constructor(inner: SpanExporter, log: ExportLog, where: string) {
    this.inner = inner;
    this.log = log;
    this.where = where;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failing) {
          this.failing = false;
          this.log.info({ otlp: this.where }, 'trace export works again');
        }
      } else if (!this.failing) {
        this.failing = true;
        this.log.warn(
          { otlp: this.where, error: result.error?.message ?? 'export failed' },
          'trace export failing: spans are dropped until the collector answers (requests are not affected)',
        );
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Scheme, host, port and path: an endpoint URL may carry credentials in its userinfo or query. */
function describeEndpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparsable endpoint)';
  }
}
