// The export body written a slice at a time (src/telemetry/splice.ts) against one call of the
// official serializer on the whole batch, byte for byte: sluice's spans at every size around the
// slice, spans the join must not take (several resources or scopes, schema URLs), and on the wire,
// sluice's export request against the one the official OTLPTraceExporter sends for the same spans.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { streamSpans } from '../../bench/otlp-serializer.ts';
import { startTraceExport, type SpanSink } from '../../src/telemetry/export.ts';
import { SLICE, serializeSpliced } from '../../src/telemetry/splice.ts';

const resource = resourceFromAttributes({ 'service.name': 'sluice', 'service.version': '1.2.3' });
const sink: SpanSink = { resource, scope: { name: 'sluice', version: '1.2.3' }, end() {} };

function spansOf(sinks: SpanSink[], n: number): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  for (let i = 0; spans.length < n; i++) spans.push(...streamSpans(sinks[i % sinks.length]!, i));
  return spans.slice(0, n);
}

function assertSame(spans: ReadableSpan[]): void {
  const want = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8');
  const got = Buffer.from(serializeSpliced(spans)).toString('utf8');
  if (got !== want) {
    let i = 0;
    while (got[i] === want[i]) i++;
    assert.fail(`${spans.length} spans differ at byte ${i}:\n official …${want.slice(Math.max(0, i - 80), i + 80)}\n spliced  …${got.slice(Math.max(0, i - 80), i + 80)}`);
  }
  // Every span, once, in order.
  const parsed = JSON.parse(got) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ spanId: string }> }> }> };
  const ids = parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.spanId)));
  assert.deepEqual(ids.sort(), spans.map((s) => s.spanContext().spanId).sort());
}

describe('the export body, a slice at a time: byte for byte one official call', () => {
  test("sluice's spans, in batches that end before, at, just after and far past a slice", () => {
    assert.equal(SLICE, 64);
    for (const n of [0, 1, SLICE - 1, SLICE, SLICE + 1, 2 * SLICE, 2 * SLICE + 1, 1000, 2048]) assertSame(spansOf([sink], n));
  });

  test('spans of two resources, or of two scopes, are not joined under one', () => {
    const other: SpanSink = { resource: resourceFromAttributes({ 'service.name': 'other' }), scope: sink.scope, end() {} };
    const otherScope: SpanSink = { resource, scope: { name: 'sluice', version: '9.9.9' }, end() {} };
    // Alternating, and in runs that switch mid-slice.
    assertSame(spansOf([sink, other], 300));
    assertSame(spansOf([sink, otherScope], 300));
    assertSame([...spansOf([sink], 100), ...spansOf([other], 100), ...spansOf([sink], 100)]);
  });

  test('schema URLs on the resource or the scope', () => {
    const withSchema: SpanSink = {
      resource: resourceFromAttributes({ 'service.name': 'sluice' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
      scope: sink.scope,
      end() {},
    };
    const scopeSchema: SpanSink = { resource, scope: { name: 'sluice', version: '1', schemaUrl: 'https://example.com/s' }, end() {} };
    assertSame(spansOf([withSchema], 300));
    assertSame(spansOf([scopeSchema], 300));
  });
});

describe('OTLP export on the wire', () => {
  test("sluice's export request is the one the official exporter sends for the same spans", async () => {
    const received: Array<{ headers: IncomingHttpHeaders; body: Buffer }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const spans = spansOf([sink], 300);
      const headers = { authorization: 'Bearer t0ken', 'x-tenant': 'a' };

      const official = new OTLPTraceExporter({ url: `${url}/v1/traces`, headers, timeoutMillis: 10_000 });
      await new Promise<void>((resolve, reject) =>
        official.export(spans, (r) => (r.code === 0 ? resolve() : reject(r.error ?? new Error('official export failed')))),
      );
      await official.shutdown();

      const exp = startTraceExport({ endpoint: url, headers, serviceName: 'sluice', serviceVersion: '1.2.3', log: { warn() {}, info() {} }, delayMs: 1 });
      for (const s of spans) exp.sink.end(s);
      await exp.flush();
      await exp.shutdown();

      assert.equal(received.length, 2, 'one export request each');
      const [theirs, mine] = received as [(typeof received)[0], (typeof received)[0]];
      assert.equal(mine.body.toString('utf8'), theirs.body.toString('utf8'));
      for (const h of ['content-type', 'authorization', 'x-tenant', 'user-agent', 'content-length', 'transfer-encoding']) {
        assert.equal(mine.headers[h], theirs.headers[h], h);
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
