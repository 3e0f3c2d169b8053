// What writing the OTLP/HTTP JSON body costs per stream (two spans: the request's and its attempt's,
// as sluice ends them), for the official serializer (@opentelemetry/otlp-transformer's
// JsonTraceSerializer) called once for the whole batch and called a slice at a time with the bodies
// joined (src/telemetry/splice.ts, the same bytes), at several batch sizes; the protobuf serializer
// beside them for scale. Min of 5 runs each, CPU of this process (GC included).
//
//   node bench/otlp-serializer.ts

import { SpanKind, SpanStatusCode, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { RandomIdGenerator, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { cpuUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import type { SpanSink } from '../src/telemetry/export.ts';
import { SplicedJsonTraceSerializer } from '../src/telemetry/splice.ts';
import { FinishedSpan } from '../src/telemetry/trace.ts';

const ids = new RandomIdGenerator();

/** The request span and the attempt span sluice ends for stream `i` (test/telemetry/splice.test.ts uses them too). */
export function streamSpans(sink: SpanSink, i: number): ReadableSpan[] {
  const t = performance.now();
  const req: SpanContext = { traceId: ids.generateTraceId(), spanId: ids.generateSpanId(), traceFlags: TraceFlags.SAMPLED };
  const att: SpanContext = { traceId: req.traceId, spanId: ids.generateSpanId(), traceFlags: TraceFlags.SAMPLED };
  return [
    new FinishedSpan(sink, 'chat gpt-4o', SpanKind.CLIENT, att, req, t, t + 5.3, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'sluice.target': 'openai/gpt-4o',
      'server.address': 'api.openai.com',
      'http.response.status_code': 200,
      'gen_ai.response.time_to_first_chunk': 0.00123,
    }, { code: SpanStatusCode.UNSET }),
    new FinishedSpan(sink, 'chat m', SpanKind.SERVER, req, undefined, t - 0.25, t + 5.5, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'm',
      'sluice.request_id': `req_${i}`,
      'sluice.front': 'chat',
      'gen_ai.request.stream': true,
      'sluice.end_reason': 'completed',
      'http.response.status_code': 200,
      'sluice.target': 'openai/gpt-4o',
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.time_to_first_chunk': 0.0014,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 50,
      'sluice.cost_usd': 0.0000123,
    }, i % 3 === 0 ? { code: SpanStatusCode.ERROR, message: 'upstream_error' } : { code: SpanStatusCode.UNSET }),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sink: SpanSink = {
    resource: resourceFromAttributes({ 'service.name': 'sluice', 'service.version': '1.2.3' }),
    scope: { name: 'sluice', version: '1.2.3' },
    end() {},
  };
  const serializers = [
    ['official JSON (JsonTraceSerializer)', JsonTraceSerializer],
    ['official JSON a slice of 64 at a time (SplicedJsonTraceSerializer)', SplicedJsonTraceSerializer],
    ['official protobuf (ProtobufTraceSerializer)', ProtobufTraceSerializer],
  ] as const;
  process.stdout.write('| batch | serializer | µs per stream | bytes per stream |\n|---|---|---|---|\n');
  for (const batch of [64, 512, 2048]) {
    const spans: ReadableSpan[] = [];
    for (let i = 0; spans.length < batch; i++) spans.push(...streamSpans(sink, i));
    const streams = batch / 2;
    const rounds = Math.ceil(200_000 / batch);
    for (const [name, s] of serializers) {
      let best = Number.POSITIVE_INFINITY;
      let bytes = 0;
      for (let run = 0; run < 6; run++) {
        const c0 = cpuUsage();
        for (let r = 0; r < rounds; r++) bytes = s.serializeRequest(spans)!.length;
        const c = cpuUsage(c0);
        // The first run warms up.
        if (run > 0) best = Math.min(best, (c.user + c.system) / rounds / streams);
      }
      process.stdout.write(`| ${batch} | ${name} | ${best.toFixed(2)} | ${(bytes / streams).toFixed(0)} |\n`);
    }
  }
}
