// SPEC §12 tracing against a real OTLP/HTTP receiver started here (test/helpers/otlp.ts decodes the
// exporter's JSON payloads): one trace per request with the GenAI attributes; the request span ends
// after the last event; a client abort and a mid-stream error end with the right status and end
// reason; a failover shows as two attempt spans with the retry reason; an incoming traceparent is
// continued and the attempt's context is what the upstream receives; no prompt or answer unless
// `telemetry.content: true`; an exporter at a closed port leaves latency unchanged and logs once.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp.ts';

const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;

let mock: MockServer;
let otlp: OtlpReceiver;
let sluice: SluiceProcess;
let withContent: SluiceProcess;

const config = (endpoint: string, extra = ''): string => `
providers:
  claude: { type: anthropic, base_url: "${mock.url}", api_key: sk-upstream-secret-1234 }
  flaky: { type: openai, base_url: "${mock.url}/_mock/fault=status;status=500/v1", api_key: sk-up }
  relay: { type: openai, base_url: "${mock.url}/v1", api_key: sk-up }
models:
  sonnet: { targets: [{ provider: claude, model: claude-sonnet-4-5-20250929 }] }
  failover:
    strategy: fallback
    targets: [{ provider: flaky, model: m-flaky }, { provider: relay, model: gpt-4o }]
auth:
  keys:
    - { name: team, key: "sk-client-telemetry-0123456789" }
retries: { attempts: 2, backoff: 1ms }
telemetry:
  otlp: { endpoint: "${endpoint}", headers: { authorization: "Bearer otlp-token-xyz" } }
${extra}
`;

before(async () => {
  mock = await startMock({ port: 0 });
  otlp = await startOtlpReceiver();
  [sluice, withContent] = await Promise.all([
    startSluice({ config: config(otlp.url) }),
    startSluice({ config: config(otlp.url, '  content: true\n  service_name: sluice-content') }),
  ]);
});

after(async () => {
  await Promise.all([sluice?.stop(), withContent?.stop()]);
  await otlp?.close();
  await mock?.close();
});

const client = (s: SluiceProcess, headers: Record<string, string> = {}): OpenAI =>
  new OpenAI({ baseURL: `${s.url}/v1`, apiKey: 'sk-client-telemetry-0123456789', maxRetries: 0, defaultHeaders: headers });

function traceparent(): { header: string; traceId: string; spanId: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${spanId}-01`, traceId, spanId };
}

async function traceOf(traceId: string, count: number): Promise<{ request: ReceivedSpan; attempts: ReceivedSpan[] }> {
  await otlp.waitFor((spans) => spans.filter((s) => s.traceId === traceId).length >= count);
  const spans = otlp.spans.filter((s) => s.traceId === traceId);
  assert.equal(spans.length, count, spans.map((s) => s.name).join(', '));
  const request = spans.find((s) => s.kind === SERVER)!;
  assert.ok(request, 'a SERVER span for the request');
  const attempts = spans.filter((s) => s.kind === CLIENT).sort((a, b) => Number(a.startNs - b.startNs));
  for (const a of attempts) assert.equal(a.parentSpanId, request.spanId);
  return { request, attempts };
}

describe('traces', () => {
  test('a stream: one trace, GenAI attributes, traceparent continued and sent upstream, ends after the last event', async () => {
    const tp = traceparent();
    const sent = performance.now();
    const stream = await client(sluice, { traceparent: tp.header }).chat.completions.create({
      model: 'sonnet',
      stream: true,
      messages: [{ role: 'user', content: 'secret prompt words [[mock chunks=8 delay=60 cached=300 cache_write=20]]' }],
    });
    // create() resolves when the response head arrives: the request span started before that.
    const headersAt = performance.now();
    let text = '';
    let lastEventAt = 0;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      lastEventAt = performance.now();
    }
    // The loop ends at [DONE], the stream's last event.
    const doneAt = performance.now();
    assert.equal(text, mockText(8).join(''));
    const { request, attempts } = await traceOf(tp.traceId, 2);

    assert.equal(request.parentSpanId, tp.spanId, 'continues the client trace');
    assert.equal(request.name, 'chat sonnet');
    assert.equal(attempts.length, 1);
    const [attempt] = attempts;
    // The upstream received the attempt span's context.
    const upstream = mock.requests.find((r) => String(r.headers.traceparent ?? '').includes(tp.traceId));
    assert.ok(upstream, 'traceparent sent upstream');
    assert.equal(upstream.headers.traceparent, `00-${tp.traceId}-${attempt!.spanId}-01`);

    const a = request.attributes;
    assert.equal(a['gen_ai.operation.name'], 'chat');
    assert.equal(a['gen_ai.request.model'], 'sonnet');
    assert.equal(a['gen_ai.response.model'], 'claude-sonnet-4-5-20250929');
    assert.equal(a['gen_ai.provider.name'], 'anthropic', 'the request span names the answering provider too (SPEC §12)');
    assert.equal(a['gen_ai.request.stream'], true);
    assert.deepEqual(a['gen_ai.response.finish_reasons'], ['stop']);
    assert.equal(a['gen_ai.usage.cache_read.input_tokens'], 300);
    assert.equal(a['gen_ai.usage.cache_creation.input_tokens'], 20);
    assert.ok((a['gen_ai.usage.input_tokens'] as number) > 320);
    assert.equal(a['gen_ai.usage.output_tokens'], 8);
    assert.equal(a['sluice.end_reason'], 'completed');
    assert.equal(a['sluice.key_name'], 'team');
    assert.equal(a['sluice.target'], 'claude/claude-sonnet-4-5-20250929');
    assert.equal(a['http.response.status_code'], 200);
    assert.ok((a['sluice.cost_usd'] as number) > 0);
    assert.equal(request.status.code, 0);
    assert.equal(a['gen_ai.input.messages'], undefined, 'no content unless asked for');
    assert.equal(a['gen_ai.output.messages'], undefined);
    assert.equal(request.resource['service.name'], 'sluice');

    const t = attempt!.attributes;
    assert.equal(t['gen_ai.provider.name'], 'anthropic');
    assert.equal(t['gen_ai.request.model'], 'claude-sonnet-4-5-20250929');
    assert.equal(t['sluice.attempt'], undefined, 'the first attempt is not numbered');
    assert.equal(t['http.response.status_code'], 200);
    assert.equal(t['server.address'], '127.0.0.1');
    assert.ok((t['gen_ai.response.time_to_first_chunk'] as number) > 0);
    assert.equal(t['sluice.end_reason'], undefined, 'a completed attempt has no end reason');
    assert.equal(t['sluice.target'], 'claude/claude-sonnet-4-5-20250929');
    assert.equal(attempt!.status.code, 0);

    // The span covers the whole stream: from before the response head to after the last event. The
    // client's clock and sluice's are in two processes, so each bound allows a loaded event loop's
    // lateness (SLACK_MS); a span that ended at the head or waited for a flush would be off by 100s.
    const SLACK_MS = 25;
    const spanMs = Number(request.endNs - request.startNs) / 1e6;
    assert.ok(spanMs >= lastEventAt - headersAt - SLACK_MS, `span ${spanMs} ms, the client saw events for ${lastEventAt - headersAt} ms`);
    assert.ok(spanMs <= doneAt - sent + 2 * SLACK_MS, `span ${spanMs} ms, request to [DONE] ${doneAt - sent} ms`);
    assert.ok(request.endNs >= attempt!.endNs);
    assert.ok(spanMs >= 7 * 60 - 10, `the stream lasted 8 × 60 ms; span ${spanMs} ms`);

    // Nothing secret went to the collector; its own header did.
    const everything = JSON.stringify(otlp.spans.map((s) => s.attributes));
    assert.ok(!everything.includes('sk-upstream-secret') && !everything.includes('sk-client-telemetry'));
    assert.ok(!everything.includes('secret prompt words'));
    assert.equal(otlp.requests[0]!.headers.authorization, 'Bearer otlp-token-xyz');
    assert.match(otlp.requests[0]!.contentType, /application\/json/);
  });

  test('a client abort: end reason client_abort, status unset, on the request and its attempt', async () => {
    const tp = traceparent();
    const controller = new AbortController();
    const stream = await client(sluice, { traceparent: tp.header }).chat.completions.create(
      { model: 'sonnet', stream: true, messages: [{ role: 'user', content: 'go [[mock chunks=100 delay=30]]' }] },
      { signal: controller.signal },
    );
    let n = 0;
    try {
      for await (const c of stream) if (c.choices[0]?.delta?.content && ++n === 2) controller.abort();
    } catch {
      // aborted
    }
    const { request, attempts } = await traceOf(tp.traceId, 2);
    assert.equal(request.attributes['sluice.end_reason'], 'client_abort');
    assert.equal(request.status.code, 0);
    assert.equal(request.attributes['error.type'], undefined);
    assert.equal(attempts[0]!.attributes['sluice.end_reason'], 'client_abort');
    assert.equal(attempts[0]!.status.code, 0);
  });

  test('a mid-stream error: end reason upstream_error, status error, error.type', async () => {
    const tp = traceparent();
    const stream = await client(sluice, { traceparent: tp.header }).chat.completions.create({
      model: 'sonnet',
      stream: true,
      messages: [{ role: 'user', content: 'go [[mock chunks=10 fault=error_mid after=4]]' }],
    });
    await assert.rejects(async () => {
      for await (const c of stream) void c;
    });
    const { request, attempts } = await traceOf(tp.traceId, 2);
    assert.equal(request.attributes['sluice.end_reason'], 'upstream_error');
    assert.equal(request.status.code, ERROR);
    assert.equal(typeof request.attributes['error.type'], 'string');
    assert.equal(attempts[0]!.status.code, ERROR);
    assert.equal(attempts[0]!.attributes['error.type'], request.attributes['error.type']);
  });

  test('a failover: two attempt spans, the second with the retry reason', async () => {
    const tp = traceparent();
    await client(sluice, { traceparent: tp.header }).chat.completions.create({ model: 'failover', messages: [{ role: 'user', content: 'hi' }] });
    const { request, attempts } = await traceOf(tp.traceId, 3);
    assert.equal(attempts.length, 2);
    const [first, second] = attempts;
    assert.equal(first!.attributes['sluice.target'], 'flaky/m-flaky');
    assert.equal(first!.attributes['http.response.status_code'], 500);
    assert.equal(first!.attributes['error.type'], 'upstream_error');
    assert.equal(first!.status.code, ERROR);
    assert.equal(second!.attributes['sluice.target'], 'relay/gpt-4o');
    assert.equal(second!.attributes['sluice.attempt'], 2);
    assert.equal(second!.attributes['sluice.retry_reason'], 'upstream_error');
    assert.equal(second!.attributes['sluice.failover'], true);
    assert.equal(second!.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(request.attributes['sluice.attempts'], 2);
    assert.equal(request.attributes['sluice.failovers'], 1);
    assert.equal(first!.attributes['sluice.attempt'], undefined);
    assert.equal(request.attributes['sluice.end_reason'], 'completed');
    assert.equal(request.status.code, 0);
    assert.ok(second!.startNs >= first!.endNs);
  });

  test('without traceparent: a new trace; a refused request gets a span of its own', async () => {
    const before = new Set(otlp.spans.map((s) => s.traceId));
    await client(sluice).chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] });
    const bad = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'sk-wrong-key-000000', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] }));
    await otlp.waitFor((spans) => spans.some((s) => !before.has(s.traceId) && s.attributes['sluice.end_reason'] === 'rejected'));
    const refused = otlp.spans.find((s) => !before.has(s.traceId) && s.attributes['sluice.end_reason'] === 'rejected')!;
    assert.equal(refused.attributes['error.type'], 'unauthorized');
    assert.equal(refused.attributes['http.response.status_code'], 401);
    assert.equal(refused.parentSpanId, '');
  });

  test('telemetry.content: true exports the prompt and the answer', async () => {
    const tp = traceparent();
    const stream = await client(withContent, { traceparent: tp.header }).chat.completions.create({
      model: 'sonnet',
      stream: true,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'the visible prompt [[mock chunks=3]]' },
      ],
    });
    for await (const c of stream) void c;
    const { request } = await traceOf(tp.traceId, 2);
    assert.equal(request.resource['service.name'], 'sluice-content');
    const input = JSON.parse(request.attributes['gen_ai.input.messages'] as string) as Array<{ role: string; parts: Array<{ content: string }> }>;
    assert.equal(input[0]!.role, 'user');
    assert.match(input[0]!.parts[0]!.content, /the visible prompt/);
    assert.match(request.attributes['gen_ai.system_instructions'] as string, /be brief/);
    const output = JSON.parse(request.attributes['gen_ai.output.messages'] as string) as Array<{ parts: Array<{ type: string; content: string }>; finish_reason: string }>;
    assert.equal(output[0]!.parts.find((p) => p.type === 'text')!.content, mockText(3).join(''));
    assert.equal(output[0]!.finish_reason, 'stop');
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function medianLatency(s: SluiceProcess, n: number): Promise<number> {
  const c = client(s);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await c.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: `q${i}` }] });
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(n / 2)]!;
}

describe('exporter down', () => {
  let down: SluiceProcess;
  before(async () => {
    down = await startSluice({ config: config(`http://127.0.0.1:${await closedPort()}`) });
  });
  after(async () => {
    await down?.stop();
  });

  test('an exporter at a closed port: latency as with a working one, one warning', async () => {
    // Warm both up, then alternate rounds so machine load affects both alike.
    await medianLatency(down, 5);
    await medianLatency(sluice, 5);
    const working: number[] = [];
    const failing: number[] = [];
    for (let round = 0; round < 3; round++) {
      working.push(await medianLatency(sluice, 15));
      failing.push(await medianLatency(down, 15));
    }
    const w = Math.min(...working);
    const f = Math.min(...failing);
    assert.ok(f <= w * 1.5 + 5, `closed-port exporter: ${f.toFixed(1)} ms vs working ${w.toFixed(1)} ms`);
    // An export fails once the exporter has given up retrying (within its 10 s timeout); the log
    // says so once, however many batches fail.
    const deadline = Date.now() + 25_000;
    while (!down.stdout.some((l) => l.includes('trace export failing')) && Date.now() < deadline) await medianLatency(down, 3);
    await medianLatency(down, 10);
    const warnings = down.stdout.filter((l) => l.includes('trace export failing'));
    assert.equal(warnings.length, 1, down.stdout.filter((l) => !l.includes('"msg":"request"')).join('\n'));
    assert.ok(!warnings[0]!.includes('otlp-token'), 'no collector credentials in the log');
  });
});
