// Unit tests of the metrics hooks: synthetic records and hook calls in, exposition text out.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../src/core/errors.ts';
import type { RequestRecord } from '../../src/gateway/pipeline.ts';
import type { ResolvedTarget } from '../../src/gateway/attempt.ts';
import type { ProviderConfig } from '../../src/config/types.ts';
import { createMetrics, STREAM_END_REASONS, type Metrics } from '../../src/metrics/index.ts';
import { attachMetrics, mergeHooks } from '../../src/metrics/attach.ts';
import { parseExposition, sampleValue, type Sample } from './exposition.ts';

function record(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'req_1',
    front: 'openai',
    model: 'fast',
    stream: true,
    target: 'local/qwen',
    provider: 'local',
    attempts: 1,
    status: 200,
    endReason: 'completed',
    firstEventMs: 42,
    totalMs: 900,
    events: 10,
    usage: { inputTokens: 12, outputTokens: 30 },
    retries: 0,
    failovers: 0,
    ...over,
  };
}

async function scrape(m: Metrics): Promise<Sample[]> {
  return parseExposition(await m.registry.metrics());
}

function target(key: string): ResolvedTarget {
  const provider = { name: key.split('/')[0] } as unknown as ProviderConfig;
  return { provider, model: key.split('/')[1]!, key };
}

describe('sluice_streams_ended_total', () => {
  test('every end reason is exported at 0 before any request', async () => {
    const s = await scrape(createMetrics({ defaultMetrics: false }));
    for (const reason of STREAM_END_REASONS) {
      assert.equal(sampleValue(s, 'sluice_streams_ended_total', { reason }), 0, reason);
    }
  });

  test('counts streams per end reason; rejected and non-streaming requests are not streams', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const counts = { completed: 3, client_abort: 2, upstream_error: 1, first_byte_timeout: 4, idle_timeout: 1, total_timeout: 2 };
    for (const [reason, n] of Object.entries(counts)) {
      for (let i = 0; i < n; i++) m.hooks.onRecord!(record({ endReason: reason as RequestRecord['endReason'] }));
    }
    m.hooks.onRecord!(record({ endReason: 'rejected', status: 401, target: undefined, model: '' }));
    m.hooks.onRecord!(record({ stream: false, endReason: 'idle_timeout' }));
    const s = await scrape(m);
    for (const [reason, n] of Object.entries(counts)) assert.equal(sampleValue(s, 'sluice_streams_ended_total', { reason }), n, reason);
    assert.equal(sampleValue(s, 'sluice_streams_ended_total', { reason: 'rejected' }), undefined);
    assert.equal(sampleValue(s, 'sluice_requests_total'), 15);
  });
});

describe('request labels', () => {
  test('requests by front, model, target and status', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.hooks.onRecord!(record());
    m.hooks.onRecord!(record({ front: 'anthropic', status: 502, endReason: 'upstream_error' }));
    m.hooks.onRecord!(record({ status: 499, endReason: 'client_abort' }));
    const s = await scrape(m);
    assert.equal(sampleValue(s, 'sluice_requests_total', { front: 'openai', model: 'fast', target: 'local/qwen', status: '200' }), 1);
    assert.equal(sampleValue(s, 'sluice_requests_total', { front: 'anthropic', status: '502' }), 1);
    assert.equal(sampleValue(s, 'sluice_requests_total', { status: '499' }), 1);
  });

  test('a model the client invented is "(unknown)" when answered 404; configured names are kept', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 50; i++) {
      m.hooks.onRecord!(record({ model: `made-up-${i}`, target: undefined, status: 404, endReason: 'rejected', firstEventMs: -1 }));
      m.hooks.onRecord!(record({ model: `local/made-up-${i}`, target: `local/made-up-${i}`, status: 404, endReason: 'upstream_error' }));
    }
    m.hooks.onRecord!(record({ model: 'fast', target: 'local/qwen', status: 404, endReason: 'upstream_error' }));
    const s = await scrape(m);
    const models = new Set(s.filter((x) => x.name === 'sluice_requests_total').map((x) => x.labels.model));
    assert.deepEqual([...models].sort(), ['(unknown)', 'fast']);
    assert.equal(sampleValue(s, 'sluice_requests_total', { model: '(unknown)', status: '404' }), 100);
    assert.equal(sampleValue(s, 'sluice_requests_total', { model: 'fast', target: 'local/qwen', status: '404' }), 1);
  });

  test('label values are capped: past the limit, new names become "(other)"', async () => {
    const m = createMetrics({ defaultMetrics: false, labelLimit: 5 });
    for (let i = 0; i < 20; i++) m.hooks.onRecord!(record({ model: `ollama/m${i}`, target: `ollama/m${i}` }));
    const s = await scrape(m);
    const models = new Set(s.filter((x) => x.name === 'sluice_requests_total').map((x) => x.labels.model));
    assert.equal(models.size, 6);
    assert.ok(models.has('(other)'));
    assert.equal(sampleValue(s, 'sluice_requests_total', { model: '(other)' }), 15);
  });

  test('upstream errors carry the target name and the error code, never the message', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const secret = 'sk-live-abcdefghijklmnop https://user:pw@api.example.com/v1';
    m.hooks.onAttemptError!(target('mock/m1'), new GatewayError('upstream_rate_limited', `429 from ${secret}`));
    m.hooks.onAttemptError!(target('mock/m1'), new GatewayError('upstream_rate_limited', 'again'));
    m.hooks.onAttemptError!(target('mock/m1'), new GatewayError('idle_timeout', 'no event for 30 s'));
    const text = await m.registry.metrics();
    assert.ok(!text.includes('sk-live') && !text.includes('example.com'), 'no secrets or URLs in the exposition');
    const s = parseExposition(text);
    assert.equal(sampleValue(s, 'sluice_upstream_errors_total', { target: 'mock/m1', kind: 'upstream_rate_limited' }), 2);
    assert.equal(sampleValue(s, 'sluice_upstream_errors_total', { target: 'mock/m1', kind: 'idle_timeout' }), 1);
  });
});

describe('per-request series', () => {
  test('retries, failovers and tokens (estimated or reported)', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.hooks.onRecord!(record({ retries: 2, failovers: 1, attempts: 3 }));
    m.hooks.onRecord!(record({ usage: { inputTokens: 5, outputTokens: 7, estimated: true } }));
    m.hooks.onRecord!(record({ endReason: 'rejected', status: 429, target: undefined, usage: undefined }));
    const s = await scrape(m);
    assert.equal(sampleValue(s, 'sluice_retries_total', { model: 'fast' }), 2);
    assert.equal(sampleValue(s, 'sluice_failovers_total', { model: 'fast' }), 1);
    assert.equal(sampleValue(s, 'sluice_tokens_total', { direction: 'in', estimated: 'false' }), 12);
    assert.equal(sampleValue(s, 'sluice_tokens_total', { direction: 'out', estimated: 'false' }), 30);
    assert.equal(sampleValue(s, 'sluice_tokens_total', { direction: 'in', estimated: 'true', model: 'fast', target: 'local/qwen' }), 5);
    assert.equal(sampleValue(s, 'sluice_tokens_total', { direction: 'out', estimated: 'true' }), 7);
  });

  test('time to first event lands in the right bucket; -1 (no event) and non-streaming requests are not observed', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.hooks.onRecord!(record({ firstEventMs: 42 }));
    m.hooks.onRecord!(record({ firstEventMs: 90_000 }));
    m.hooks.onRecord!(record({ firstEventMs: -1, endReason: 'first_byte_timeout', status: 504 }));
    m.hooks.onRecord!(record({ stream: false, firstEventMs: 700 }));
    const s = await scrape(m);
    const name = 'sluice_time_to_first_event_seconds';
    assert.equal(sampleValue(s, `${name}_count`, { model: 'fast' }), 2);
    assert.equal(sampleValue(s, `${name}_bucket`, { le: '0.025' }), 0);
    assert.equal(sampleValue(s, `${name}_bucket`, { le: '0.05' }), 1);
    assert.equal(sampleValue(s, `${name}_bucket`, { le: '60' }), 1);
    assert.equal(sampleValue(s, `${name}_bucket`, { le: '120' }), 2);
    assert.equal(sampleValue(s, `${name}_bucket`, { le: '+Inf' }), 2);
    assert.ok(Math.abs(sampleValue(s, `${name}_sum`)! - 90.042) < 1e-9);
  });

  test('active streams follow open/close', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.hooks.onStreamOpen!();
    m.hooks.onStreamOpen!();
    m.hooks.onStreamOpen!();
    m.hooks.onStreamClose!();
    assert.equal(sampleValue(await scrape(m), 'sluice_active_streams'), 2);
    m.hooks.onStreamClose!();
    m.hooks.onStreamClose!();
    assert.equal(sampleValue(await scrape(m), 'sluice_active_streams'), 0);
  });
});

describe('sluice_event_gap_seconds', () => {
  test('observes gaps between events per front, cumulative buckets; the first event is not a gap', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const onEvent = m.hooks.onClientEvent as (gapMs: number, first: boolean, front?: string) => void;
    onEvent(800, true, 'openai'); // time to first event: its own histogram
    for (const ms of [0.5, 3, 3, 40, 2000, 70_000]) onEvent(ms, false, 'openai');
    onEvent(7, false, 'anthropic');
    const s = await scrape(m);
    const name = 'sluice_event_gap_seconds';
    const openai = { front: 'openai' };
    assert.equal(sampleValue(s, `${name}_count`, openai), 6);
    assert.equal(sampleValue(s, `${name}_bucket`, { ...openai, le: '0.001' }), 1);
    assert.equal(sampleValue(s, `${name}_bucket`, { ...openai, le: '0.005' }), 3);
    assert.equal(sampleValue(s, `${name}_bucket`, { ...openai, le: '0.05' }), 4);
    assert.equal(sampleValue(s, `${name}_bucket`, { ...openai, le: '2.5' }), 5);
    assert.equal(sampleValue(s, `${name}_bucket`, { ...openai, le: '60' }), 5);
    assert.equal(sampleValue(s, `${name}_bucket`, { ...openai, le: '+Inf' }), 6);
    assert.ok(Math.abs(sampleValue(s, `${name}_sum`, openai)! - 72.0465) < 1e-9);
    assert.equal(sampleValue(s, `${name}_count`, { front: 'anthropic' }), 1);
    // Buckets are monotonic, as Prometheus requires.
    const buckets = s.filter((x) => x.name === `${name}_bucket` && x.labels.front === 'openai').map((x) => x.value);
    assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b));
  });

  test('resetMetrics clears the fast histogram too', async () => {
    const m = createMetrics({ defaultMetrics: false });
    (m.hooks.onClientEvent as (g: number, f: boolean, front?: string) => void)(5, false, 'openai');
    m.registry.resetMetrics();
    assert.equal(sampleValue(await scrape(m), 'sluice_event_gap_seconds_count', { front: 'openai' }), 0);
  });
});

describe('GET /metrics', () => {
  async function call(m: Metrics, method: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    const headers: Record<string, unknown> = {};
    let status = 0;
    let body = '';
    await new Promise<void>((resolve) => {
      const res = {
        writeHead(s: number, h: Record<string, unknown>) {
          status = s;
          Object.assign(headers, h);
          return res;
        },
        end(b?: string) {
          body = b ?? '';
          resolve();
        },
      };
      void m.handler({ method } as IncomingMessage, res as unknown as ServerResponse, new URL('http://x/metrics'));
    });
    return { status, headers, body };
  }

  test('serves the Prometheus text format with process metrics', async () => {
    const m = createMetrics();
    const r = await call(m, 'GET');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^# HELP sluice_requests_total /m);
    assert.match(r.body, /^# TYPE sluice_event_gap_seconds histogram$/m);
    assert.match(r.body, /^process_cpu_user_seconds_total /m);
    assert.match(r.body, /^nodejs_eventloop_lag_seconds /m);
    parseExposition(r.body); // every line well-formed
  });

  test('HEAD has no body; other methods are 405', async () => {
    const m = createMetrics({ defaultMetrics: false });
    assert.equal((await call(m, 'HEAD')).body, '');
    const post = await call(m, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('two instances do not share counts (private registries)', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.hooks.onRecord!(record());
    assert.equal(sampleValue(await scrape(a), 'sluice_requests_total'), 1);
    assert.equal(sampleValue(await scrape(b), 'sluice_requests_total'), undefined);
  });
});

describe('attachMetrics', () => {
  test('keeps existing hooks and routes, adds /metrics, and calls both hook sets', async () => {
    const seen: string[] = [];
    const existing = async (): Promise<void> => {};
    const opts = attachMetrics(
      {
        routes: { '/other': existing },
        hooks: {
          onRecord: (r) => seen.push(`record:${r.endReason}`),
          onStreamOpen: () => seen.push('open'),
          tap: 3,
        },
      },
      { defaultMetrics: false },
    );
    assert.equal(opts.routes?.['/other'], existing);
    assert.equal(typeof opts.routes?.['/metrics'], 'function');
    assert.equal(opts.hooks?.tap, 3);
    opts.hooks!.onStreamOpen!();
    opts.hooks!.onRecord!(record({ endReason: 'idle_timeout' }));
    opts.hooks!.onClientEvent!(5, false, 'openai');
    assert.deepEqual(seen, ['open', 'record:idle_timeout']);
  });

  test('mergeHooks passes every argument (including an extra front) to both sides', () => {
    const got: unknown[][] = [];
    const h = (...args: unknown[]): void => void got.push(args);
    const merged = mergeHooks({ onClientEvent: h as never }, { onClientEvent: h as never });
    (merged.onClientEvent as (...a: unknown[]) => void)(3, false, 'anthropic');
    assert.deepEqual(got, [
      [3, false, 'anthropic'],
      [3, false, 'anthropic'],
    ]);
  });
});
