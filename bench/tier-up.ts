// `node bench/tier-up.ts [WINDOWS]`: how long V8 keeps compiling sluice's functions under load, which
// decides how long a benchmark must warm sluice up before its CPU per stream is steady state. Starts
// `sluice mock` and sluice openai→openai with bin/sluice's V8 flags plus `--trace-opt --trace-deopt`
// (not allowed in NODE_OPTIONS, so the pinned Node is started directly), then drives WINDOWS (14)
// windows of 2000 50-event streams, 8 in flight, and prints per window the CPU per stream of sluice's
// process and how many functions V8 finished optimizing (Maglev or TurboFan) and deoptimized in it.
// Functions run once per request reach TurboFan after ~11 000 requests, in a burst of ~200
// compilations (the compiling runs on V8's threads, counted in the process's CPU); the bench's
// warm-ups (scenarios.ts FULL, ab.ts) are set past it. Loopback only; bounded by counts and deadlines.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, mockText, pool } from './client.ts';
import { ENTRY, openai, ROOT, startMockProcess } from './contender.ts';
import { cpuSeconds, startChild } from './lib.ts';

const WINDOWS = Number(process.argv[2] ?? 14);
const STREAMS = 2000;

/** V8's trace lines, counted as they arrive on sluice's stdout. */
const OPTIMIZED = /\[completed (?:optimizing|compiling) /g;
const DEOPTIMIZED = /\[bailout |deoptimiz/g;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tier-up-'));
  const mock = await startMockProcess();
  const config = join(dir, 'sluice.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1 }\nstore: sqlite:${join(dir, 'sluice.db')}\nproviders:\n  mock: { type: openai, base_url: http://127.0.0.1:${mock.port}/v1 }\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n`,
  );
  // bin/sluice's own flags (see its comments), plus the traces.
  const flags = ['--max-semi-space-size=8', '--no-allocation-site-pretenuring', '--trace-opt', '--trace-deopt'];
  const sluice = await startChild(join(ROOT, 'node_modules/node/bin/node'), [...flags, ENTRY, 'serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, { cwd: dir });
  let optimized = 0;
  let deoptimized = 0;
  let tail = '';
  sluice.proc.stdout!.on('data', (d: Buffer) => {
    // Lines may be split between reads: count whole lines only.
    const text = tail + d.toString();
    const cut = text.lastIndexOf('\n') + 1;
    const lines = text.slice(0, cut);
    tail = text.slice(cut);
    optimized += lines.match(OPTIMIZED)?.length ?? 0;
    deoptimized += lines.match(DEOPTIMIZED)?.length ?? 0;
  });
  try {
    const p = pool(sluice.port);
    const ep = openai(sluice.port, 'm');
    const text = mockText('chunks=50');
    console.log('| streams | CPU ms/stream | optimized | deoptimized |');
    console.log('|---|---|---|---|');
    let done = 0;
    for (let w = 0; w < WINDOWS; w++) {
      const cpu0 = cpuSeconds(sluice.pid);
      const [o0, d0] = [optimized, deoptimized];
      const r = await load(p, ep, text, { total: STREAMS, concurrency: 8, deadlineMs: 60_000, stream: true });
      if (r.failed > 0) throw new Error(`${r.failed} streams failed: ${r.error}`);
      done += r.completed;
      console.log(`| ${done} | ${(((cpuSeconds(sluice.pid) - cpu0) * 1000) / r.completed).toFixed(3)} | ${optimized - o0} | ${deoptimized - d0} |`);
    }
    await p.close();
  } finally {
    await sluice.stop();
    await mock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
