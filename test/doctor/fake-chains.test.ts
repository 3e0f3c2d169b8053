// The doctor against a stand-in gateway with one fault at a time: each fault must be reported by the
// right check, with a culprit and a fix, and nothing else may fail. The real chains (sluice, nginx,
// Caddy) are in sluice.test.ts and proxies.test.ts.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDiagnosis, exitCodeOf, type DoctorReport } from '../../src/doctor/index.ts';
import { startFakeGateway, type FakeGatewayOptions } from './fake-gateway.ts';

async function diagnose(fake: FakeGatewayOptions, protocol: 'openai' | 'anthropic' = 'openai', timeoutMs = 10_000): Promise<DoctorReport> {
  const gw = await startFakeGateway(fake);
  try {
    return await runDiagnosis({ url: `${gw.url}/v1`, protocol, timeoutMs });
  } finally {
    await gw.close();
  }
}

function failing(report: DoctorReport): string[] {
  return report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
}

function check(report: DoctorReport, name: string): NonNullable<DoctorReport['checks'][number]> {
  const c = report.checks.find((x) => x.name === name);
  assert.ok(c, `no check ${name} in ${report.checks.map((x) => x.name).join(', ')}`);
  return c;
}

describe('doctor against a stand-in gateway', { concurrency: true }, () => {
  test('a healthy gateway passes every check, keepalive included', async () => {
    const r = await diagnose({ keepaliveMs: 500 });
    assert.deepEqual(r.checks.filter((c) => c.status !== 'pass').map((c) => `${c.name}: ${c.detail}`), []);
    assert.equal(exitCodeOf(r), 0);
    assert.equal(r.ok, true);
  });

  test('a hop that holds the body until the end fails buffering and names the hop', async () => {
    const r = await diagnose({ keepaliveMs: 500, holdUntilEnd: true, server: 'nginx/1.22.1' });
    assert.equal(exitCodeOf(r), 1);
    const b = check(r, 'buffering');
    assert.equal(b.status, 'fail');
    assert.match(b.detail, /held back/);
    assert.match(b.culprit!, /nginx/);
    assert.match(b.fix!.split('\n')[0]!, /^nginx: proxy_buffering off;/);
    assert.match(b.fix!, /flush_interval -1/);
    assert.equal(check(r, 'chat-buffering').status, 'fail');
    assert.equal(check(r, 'keepalive').status, 'pass');
  });

  test('a hop that cuts silent streams before the keepalive fails the keepalive check', async () => {
    const r = await diagnose({ keepaliveMs: 1500, idleCutMs: 600 });
    assert.deepEqual(failing(r), ['keepalive']);
    const k = check(r, 'keepalive');
    assert.match(k.detail, /idle timeout is below the keepalive interval/);
    assert.match(k.fix!, /proxy_read_timeout/);
    assert.match(k.fix!, /server\.keepalive/);
    assert.ok((k.data!.silenceMs as number) >= 300 && (k.data!.silenceMs as number) < 1400, String(k.data!.silenceMs));
  });

  test('a hop that both buffers and cuts silent streams fails both checks, timing the silence from the send', async () => {
    const r = await diagnose({ keepaliveMs: 1500, idleCutMs: 600, holdUntilEnd: true });
    assert.deepEqual(failing(r).sort(), ['buffering', 'chat-buffering', 'keepalive']);
    const silence = check(r, 'keepalive').data!.silenceMs as number;
    assert.ok(silence >= 300 && silence < 1400, String(silence));
  });

  test('compression is reported with the compressing hop fixes', async () => {
    const r = await diagnose({ gzip: true });
    assert.deepEqual(failing(r), ['compression']);
    assert.match(check(r, 'compression').fix!, /gzip off;/);
    // The events themselves still decode, so the grammar checks pass.
    assert.equal(check(r, 'stream-end').status, 'pass');
  });

  test('grammar faults: no role chunk, a new id per chunk, no [DONE], no no-transform', async () => {
    const r = await diagnose({ noRole: true, changingIds: true, noDone: true, noCacheControl: true });
    assert.deepEqual(failing(r).sort(), ['consistent-id', 'stream-end', 'stream-start']);
    assert.equal(check(r, 'sse-headers').status, 'warn');
    assert.match(check(r, 'stream-end').detail, /without data: \[DONE\]/);
  });

  test('an HTML error page from a proxy instead of a JSON error fails error-handling', async () => {
    const r = await diagnose({ unknownModel: 'html404' });
    assert.deepEqual(failing(r), ['error-handling']);
    assert.match(check(r, 'error-handling').fix!, /proxy_intercept_errors/);
    assert.equal(check(r, 'connection-reuse').status, 'pass');
  });

  test('an unknown model answered with a 200 stream fails error-handling (Anthropic dialect)', async () => {
    const r = await diagnose({ unknownModel: 'stream200' }, 'anthropic');
    assert.deepEqual(failing(r), ['error-handling']);
    assert.equal(check(r, 'stream-start').status, 'pass');
    assert.equal(check(r, 'stream-end').status, 'pass');
  });

  test('an error request that hangs is reported as a hang, bounded by the timeout', async () => {
    const r = await diagnose({ unknownModel: 'hang' }, 'openai', 1500);
    assert.deepEqual(failing(r), ['error-handling']);
    assert.match(check(r, 'error-handling').detail, /hang/);
  });

  test('a gateway that is not a sluice skips the debug-stream and keepalive tests', async () => {
    const r = await diagnose({ sluice: false });
    assert.equal(exitCodeOf(r), 0);
    for (const name of ['sluice', 'buffering', 'keepalive']) assert.equal(check(r, name).status, 'skip', name);
    assert.equal(check(r, 'chat-buffering').status, 'pass');
  });
});
