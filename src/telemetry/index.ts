// Tracing (SPEC §12, docs/telemetry.md): with `telemetry.otlp` set, every request is one trace
// exported over OTLP/HTTP; without it nothing of OpenTelemetry is loaded or called. The pipeline sees
// only its hooks (gateway/pipeline.ts `observe`), never OpenTelemetry itself.

import { readFileSync } from 'node:fs';
import type { Attributes } from '@opentelemetry/api';
import type { TelemetryConfig } from '../config/types.ts';
import type { PipelineHooks, RequestRecord } from '../gateway/pipeline.ts';
import { startTraceExport, type ExportLog, type TraceExport } from './export.ts';
import { GEN_AI, GENERAL, SLUICE } from './genai.ts';
import { RequestTrace, refusedSpan } from './trace.ts';

export { tracesUrl } from './export.ts';

export interface Telemetry {
  hooks: PipelineHooks;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function startTelemetry(config: TelemetryConfig, log: ExportLog, opts: { delayMs?: number } = {}): Telemetry | undefined {
  if (!config.otlp) return undefined;
  const exported: TraceExport = startTraceExport({
    endpoint: config.otlp.endpoint,
    headers: config.otlp.headers,
    serviceName: config.serviceName,
    serviceVersion: VERSION,
    log,
    delayMs: opts.delayMs,
  });
  const { sink } = exported;
  const content = config.content;
  return {
    hooks: {
      observe: (request, ctx) => new RequestTrace(sink, request, ctx, { content }),
      onRecord(r: RequestRecord) {
        // Requests refused before they were served (bad key, limits, budget) get a span of their own.
        if (r.endReason !== 'rejected') return;
        const end = performance.now();
        const attributes: Attributes = {
          [GEN_AI.operationName]: 'chat',
          [GEN_AI.requestModel]: r.model,
          [SLUICE.requestId]: r.requestId,
          [SLUICE.front]: r.front,
          [SLUICE.endReason]: r.endReason,
          [GENERAL.httpResponseStatusCode]: r.status,
        };
        if (r.keyName !== undefined) attributes[SLUICE.keyName] = r.keyName;
        if (r.errorCode !== undefined) attributes[GENERAL.errorType] = r.errorCode;
        refusedSpan(sink, `chat ${r.model}`, end - r.totalMs, end, attributes, r.status >= 500, r.errorCode);
      },
    },
    flush: () => exported.flush(),
    shutdown: () => exported.shutdown(),
  };
}
