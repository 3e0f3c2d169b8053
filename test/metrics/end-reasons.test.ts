// End to end: a real sluice process in front of `sluice mock`; one streaming request ends in each
// end reason of SPEC §5, then GET /metrics must count exactly one stream per reason, and the other
// series must agree with what happened (upstream errors by kind, streams no longer active, tokens).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { parseExposition, sampleValue } from './exposition.ts';

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0 });
  // `m`: short first_byte/idle limits; `slow-total`: a total limit shorter than the stream.
  // No retries, so each fault ends the request at once with its own reason.
  sluice = await startSluice({
    config: `
server: { keepalive: 200ms }
providers:
  mock:
    type: openai
    base_url: ${mock.url}/v1
    api_key: sk-test-upstream-secret
    timeouts: { connect: 2s, first_byte: 500ms, idle: 500ms, total: 20s }
  capped:
    type: openai
    base_url: ${mock.url}/v1
    api_key: sk-test-upstream-secret
    timeouts: { connect: 2s, first_byte: 5s, idle: 5s, total: 700ms }
models:
  m:
    targets: [{ provider: mock, model: mock-model }]
  slow-total:
    targets: [{ provider: capped, model: mock-model }]
retries: { attempts: 0, backoff: 10ms }
`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function chat(model: string, directive: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${sluice.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: `hi [[mock ${directive}]]` }] }),
    signal,
  });
}

/** Sends a streaming request, reads it to the end, and waits for its log record. */
async function streamToEnd(model: string, directive: string, reason: string): Promise<string> {
  const res = await chat(model, directive);
  assert.equal(res.status, 200, `${directive}: status`);
  const body = await res.text();
  await sluice.waitForRecord((r) => r.end_reason === reason, 5000);
  return body;
}

test('each end reason is counted once in sluice_streams_ended_total', { timeout: 60_000 }, async () => {
  const completed = await streamToEnd('m', 'chunks=6', 'completed');
  assert.match(completed, /data: \[DONE\]/);

  const upstreamError = await streamToEnd('m', 'fault=error_mid after=2', 'upstream_error');
  assert.match(upstreamError, /"error"/);

  // Headers, then silence: no upstream event within first_byte. Keepalives (200 ms) commit the 200.
  await streamToEnd('m', 'fault=stall_first', 'first_byte_timeout');

  // Events, then only upstream comments: comments do not reset the idle clock (SPEC §4.4).
  await streamToEnd('m', 'fault=stall_mid after=3 keepalive=50', 'idle_timeout');

  // A stream of 50 × 100 ms outlasts the 700 ms total limit.
  await streamToEnd('slow-total', 'delay=100 chunks=50', 'total_timeout');

  // The client hangs up after the first event of a 5 s stream.
  const abort = new AbortController();
  const res = await chat('m', 'delay=100 chunks=50', abort.signal);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.equal(first.done, false);
  abort.abort();
  await reader.read().catch(() => undefined);
  await sluice.waitForRecord((r) => r.end_reason === 'client_abort', 5000);

  const scrape = await fetch(`${sluice.url}/metrics`);
  assert.equal(scrape.status, 200);
  assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await scrape.text();
  assert.ok(!text.includes('sk-test-upstream-secret') && !text.includes(mock.url), 'no keys or URLs in label values');
  const s = parseExposition(text);

  for (const reason of ['completed', 'client_abort', 'upstream_error', 'first_byte_timeout', 'idle_timeout', 'total_timeout']) {
    assert.equal(sampleValue(s, 'sluice_streams_ended_total', { reason }), 1, `streams ended with ${reason}`);
  }
  assert.equal(sampleValue(s, 'sluice_active_streams'), 0);
  assert.equal(sampleValue(s, 'sluice_requests_total', { front: 'openai', model: 'm', target: 'mock/mock-model' }), 5);
  assert.equal(sampleValue(s, 'sluice_requests_total', { model: 'slow-total', target: 'capped/mock-model' }), 1);
  assert.equal(sampleValue(s, 'sluice_requests_total', { status: '499' }), 1);
  for (const kind of ['first_byte_timeout', 'idle_timeout']) {
    assert.equal(sampleValue(s, 'sluice_upstream_errors_total', { target: 'mock/mock-model', kind }), 1, kind);
  }
  assert.equal(sampleValue(s, 'sluice_upstream_errors_total', { target: 'capped/mock-model', kind: 'total_timeout' }), 1);
  assert.equal(sampleValue(s, 'sluice_retries_total'), undefined, 'no retries were configured');
  assert.ok((sampleValue(s, 'sluice_tokens_total', { model: 'm', direction: 'out' }) ?? 0) > 0, 'output tokens recorded');
  // Every stream of `m` sent the client at least one event (first_byte_timeout: its error event,
  // after keepalives committed the 200), so each one's first event is timed.
  assert.equal(sampleValue(s, 'sluice_time_to_first_event_seconds_count', { model: 'm' }), 5);
  assert.ok((sampleValue(s, 'sluice_event_gap_seconds_count', { front: 'openai' }) ?? 0) >= 10, 'gaps between events observed, by front');
});

test('an invented model is counted as "(unknown)" with status 404', async () => {
  const res = await chat('no-such-model-4711', 'chunks=1');
  assert.equal(res.status, 404);
  await res.text();
  await sluice.waitForRecord((r) => r.status === 404, 5000);
  const s = parseExposition(await (await fetch(`${sluice.url}/metrics`)).text());
  assert.equal(sampleValue(s, 'sluice_requests_total', { model: '(unknown)', status: '404' }), 1);
  assert.ok(!s.some((x) => x.labels.model === 'no-such-model-4711'));
});
