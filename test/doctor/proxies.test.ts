// `sluice doctor` through real reverse proxies in front of a real sluice: it must blame nginx's
// buffering and nginx's short read timeout with the right fixes, and pass well-configured nginx and
// Caddy. Skips when nginx/Caddy are missing (fails under SLUICE_REQUIRE_SYSTEM=1, SPEC §9).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDiagnosis, exitCodeOf, type Check, type DoctorReport } from '../../src/doctor/index.ts';
import { join } from 'node:path';
import { ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { requireOrSkip, startCaddy, startNginx, type ProxyProcess } from '../helpers/proxies.ts';

/** keepalive 1s: the idle probe holds a stream silent for 1.5 s. */
let fast: SluiceProcess;
/** keepalive 3s, for a proxy whose 1 s read timeout is below it. */
let slow: SluiceProcess;

before(async () => {
  [fast, slow] = await Promise.all([
    startSluice({ config: 'server:\n  keepalive: 1s\n' }),
    startSluice({ config: 'server:\n  keepalive: 3s\n' }),
  ]);
});
after(async () => {
  await Promise.all([fast?.stop(), slow?.stop()]);
});

async function diagnoseThrough(proxy: ProxyProcess): Promise<DoctorReport> {
  try {
    return await runDiagnosis({ url: `${proxy.url}/v1`, timeoutMs: 10_000 });
  } finally {
    await proxy.stop();
  }
}

function check(r: DoctorReport, name: string): Check {
  const c = r.checks.find((x) => x.name === name);
  assert.ok(c, `no check ${name}`);
  return c;
}

function explain(r: DoctorReport): string {
  return r.checks.map((c) => `${c.status} ${c.name}: ${c.detail}${c.culprit ? ` [${c.culprit}]` : ''}`).join('\n');
}

describe('doctor through real proxies', { concurrency: true }, () => {
  test('nginx buffering (proxy_buffering on, X-Accel-Buffering ignored) → exit 1 naming proxy_buffering off', async (t) => {
    const nginx = await startNginx({ upstreamPort: fast.port, buffering: true });
    if (!requireOrSkip(t, nginx, 'nginx')) return;
    const r = await diagnoseThrough(nginx);
    assert.equal(exitCodeOf(r), 1, explain(r));
    const b = check(r, 'buffering');
    assert.equal(b.status, 'fail', explain(r));
    assert.match(b.culprit!, /^nginx \(server: nginx/);
    assert.match(b.fix!.split('\n')[0]!, /^nginx: proxy_buffering off;/);
  });

  test('nginx proxy_read_timeout 1s below a 3 s keepalive → exit 1 naming the idle timeout', async (t) => {
    const nginx = await startNginx({ upstreamPort: slow.port, readTimeoutS: 1 });
    if (!requireOrSkip(t, nginx, 'nginx')) return;
    const r = await diagnoseThrough(nginx);
    assert.equal(exitCodeOf(r), 1, explain(r));
    assert.deepEqual(r.checks.filter((c) => c.status === 'fail').map((c) => c.name), ['keepalive'], explain(r));
    const k = check(r, 'keepalive');
    assert.match(k.detail, /idle timeout is below the keepalive interval/);
    assert.match(k.culprit!, /nginx/);
    assert.match(k.fix!, /proxy_read_timeout/);
    const silence = k.data!.silenceMs as number;
    // Loose bounds: under load the last byte is stamped late; what matters is "well before the 3 s keepalive".
    assert.ok(silence >= 500 && silence < 2500, `cut after ${silence} ms of silence`);
  });

  test('nginx configured for streaming (buffering off, HTTP/1.1, read timeout above keepalive) → exit 0', async (t) => {
    const nginx = await startNginx({ upstreamPort: fast.port, buffering: false, readTimeoutS: 5 });
    if (!requireOrSkip(t, nginx, 'nginx')) return;
    const r = await diagnoseThrough(nginx);
    assert.equal(exitCodeOf(r), 0, explain(r));
    assert.equal(check(r, 'buffering').status, 'pass');
  });

  test('Caddy with its defaults streams → exit 0', async (t) => {
    const caddy = await startCaddy({ upstreamPort: fast.port });
    if (!requireOrSkip(t, caddy, 'caddy')) return;
    const r = await diagnoseThrough(caddy);
    assert.equal(exitCodeOf(r), 0, explain(r));
    assert.equal(check(r, 'buffering').status, 'pass');
    assert.notEqual(check(r, 'keepalive').status, 'fail');
  });

  // Issue 5: the shipped deploy/ files themselves, not just hand-written test configs.
  test('nginx with deploy/nginx.conf → exit 0, every check passing', async (t) => {
    const nginx = await startNginx({ upstreamPort: fast.port, config: join(ROOT, 'deploy/nginx.conf') });
    if (!requireOrSkip(t, nginx, 'nginx')) return;
    const r = await diagnoseThrough(nginx);
    assert.equal(exitCodeOf(r), 0, explain(r));
    assert.equal(check(r, 'buffering').status, 'pass', explain(r));
    assert.equal(check(r, 'keepalive').status, 'pass', explain(r));
  });

  test('Caddy with deploy/Caddyfile → exit 0, every check passing', async (t) => {
    const caddy = await startCaddy({ upstreamPort: fast.port, caddyfile: join(ROOT, 'deploy/Caddyfile') });
    if (!requireOrSkip(t, caddy, 'caddy')) return;
    const r = await diagnoseThrough(caddy);
    assert.equal(exitCodeOf(r), 0, explain(r));
    assert.equal(check(r, 'buffering').status, 'pass', explain(r));
    assert.equal(check(r, 'keepalive').status, 'pass', explain(r));
  });
});
