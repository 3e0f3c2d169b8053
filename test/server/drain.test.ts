// The drain (src/server/drain.ts) in process, against `sluice mock`: at the drain timeout a
// committed stream ends with a `shutdown` error event and a request still waiting for its upstream
// gets a 503 in its dialect; both end reasons are counted in /metrics.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/index.ts';
import { createApp } from '../../src/server/app.ts';
import { attachMetricsTo } from '../../src/metrics/attach.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { startMock } from '../../src/mock/server.ts';
import { parseExposition, sampleValue } from '../metrics/exposition.ts';

test('at the drain timeout: an error event for a committed stream, a 503 before the commit point; both counted', async () => {
  const mock = await startMock({ port: 0 });
  const config = parseConfig(`
providers:
  up: { type: openai, base_url: "${mock.url}/v1", api_key: sk-up }
models:
  m: { targets: [{ provider: up, model: m-up }] }
retries: { attempts: 0 }
`);
  const metrics = createMetrics({ defaultMetrics: false });
  const app = createApp(config, attachMetricsTo({}, metrics).appOptions);
  const { port } = await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  try {
    const ask = (content: string, stream: boolean) =>
      fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content }] }),
      });
    const committed = await ask('hi [[mock chunks=100 delay=50]]', true);
    const reader = committed.body!.getReader();
    assert.equal((await reader.read()).done, false, 'the stream is under way');
    // Non-streaming, the upstream never answers: nothing has gone out when the drain ends it.
    const waiting = ask('hi [[mock fault=stall_headers]]', false);
    await mock.waitFor((r) => JSON.stringify(r.body ?? '').includes('stall_headers'), 5000);

    const drained = app.drain(300);
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.match(rest, /data: \{"error":\{"message":"the gateway is shutting down[^"]*","type":"server_error","code":"shutdown"\}\}/);
    assert.ok(!rest.includes('[DONE]'));

    const refused = await waiting;
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'shutdown');

    const result = await drained;
    assert.equal(result.inFlight, 2);
    assert.equal(result.ended, 2);
    const samples = parseExposition(await metrics.registry.metrics());
    assert.equal(sampleValue(samples, 'sluice_streams_ended_total', { reason: 'shutdown' }), 1);
    assert.equal(sampleValue(samples, 'sluice_requests_total', { status: '503' }), 1);
    assert.equal(sampleValue(samples, 'sluice_requests_total', { status: '200' }), 1);
  } finally {
    await app.close();
    await mock.close();
  }
});
