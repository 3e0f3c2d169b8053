// `node bench/gc-promotion.ts [DIR]`: what V8's garbage collector does per stream with tracing off
// and on, side by side. Starts one `sluice mock`, the OTLP sink (otlp-sink.ts, a process of its own)
// and sluice openai→openai from this checkout with tracing off and on, plus, given DIR (another
// checkout with node_modules, e.g. a `git worktree` of the commit before), DIR's sluice with tracing
// on; each with bin/sluice's V8 flags (GC_FLAGS replaces them, e.g. to try another young
// generation) and `--trace-gc-nvp` (not allowed in NODE_OPTIONS, so the pinned Node is started
// directly). After a warm-up of 16 000 streams each (bench/tier-up.ts), it
// runs ROUNDS (8) rounds of 2000 50-event streams, 8 in flight, against each in turn (rotating
// order), and prints per contender the medians of: CPU per stream (user + system from /proc), bytes
// promoted to the old generation per stream, scavenge pause per stream, and the per-round ratio of
// CPU to the tracing-off process. CPU on this VM varies between identical processes by up to ~12 %,
// so a CPU difference needs several runs. Promotion with tracing on repeats (~4200 bytes per stream
// on 2026-12-07); with tracing off it was bimodal across runs (about 400 or 3300-3700 bytes per
// stream): how long a request lives in wall time, which a busy client or mock stretches (bench/README.md).
// Loopback only; bounded by counts and deadlines.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMock } from '../src/mock/server.ts';
import { load, mockText, pool } from './client.ts';
import { openai, ROOT } from './contender.ts';
import { cpuSeconds, percentile, startChild, type Child } from './lib.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 8);
const STREAMS = 2000;
const WARMUP = 16_000;
const TEXT = mockText('chunks=50');
/** bin/sluice's V8 flags, or GC_FLAGS in their place. */
const V8_FLAGS = (process.env.GC_FLAGS ?? '--max-semi-space-size=8 --no-allocation-site-pretenuring').split(' ').filter(Boolean);

interface Side {
  name: string;
  child: Child;
  /** Running totals from the GC trace. */
  promoted: number;
  scavengeMs: number;
  cpuUs: number[];
  promotedBytes: number[];
  scavengeUs: number[];
}

const median = (xs: number[]): number => percentile(xs, 50);

async function main(): Promise<void> {
  const other = process.argv[2] === undefined ? undefined : resolve(process.argv[2]);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-gc-'));
  const mock = await startMock({ port: 0 });
  const sink = await startChild(process.execPath, [fileURLToPath(new URL('./otlp-sink.ts', import.meta.url))], /otlp sink on http:\/\/127\.0\.0\.1:(\d+)/);
  const sides: Side[] = [];
  const start = async (name: string, root: string, tracing: boolean): Promise<void> => {
    const config = join(dir, `${sides.length}.yaml`);
    const telemetry = tracing ? `telemetry:\n  otlp: { endpoint: "http://127.0.0.1:${sink.port}" }\n` : '';
    writeFileSync(
      config,
      `server: { host: 127.0.0.1 }\nstore: sqlite:${join(dir, `${sides.length}.db`)}\nproviders:\n  mock: { type: openai, base_url: ${mock.url}/v1 }\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n${telemetry}`,
    );
    const flags = [...V8_FLAGS, '--trace-gc-nvp'];
    const child = await startChild(join(root, 'node_modules/node/bin/node'), [...flags, join(root, 'src/cli/entry.js'), 'serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, { cwd: dir });
    const side: Side = { name, child, promoted: 0, scavengeMs: 0, cpuUs: [], promotedBytes: [], scavengeUs: [] };
    let tail = '';
    child.proc.stdout!.on('data', (d: Buffer) => {
      // Whole lines only: a read may end mid-line.
      const text = tail + d.toString();
      const cut = text.lastIndexOf('\n') + 1;
      tail = text.slice(cut);
      for (const line of text.slice(0, cut).split('\n')) {
        const promoted = /\bpromoted=(\d+)/.exec(line);
        if (promoted) side.promoted += Number(promoted[1]);
        const pause = /\bpause=([\d.]+) .*?\bgc=s\b/.exec(line);
        if (pause) side.scavengeMs += Number(pause[1]);
      }
    });
    sides.push(side);
  };
  try {
    await start('tracing off', ROOT, false);
    await start('tracing on', ROOT, true);
    if (other !== undefined) await start(`tracing on, ${other}`, other, true);
    const pools = sides.map((s) => pool(s.child.port, 16));
    for (const [i, s] of sides.entries()) await load(pools[i]!, openai(s.child.port, 'm'), TEXT, { total: WARMUP, concurrency: 8, deadlineMs: 60_000, stream: true });
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < sides.length; k++) {
        const i = (k + round) % sides.length;
        const s = sides[i]!;
        const cpu0 = cpuSeconds(s.child.pid);
        const promoted0 = s.promoted;
        const scavenge0 = s.scavengeMs;
        const r = await load(pools[i]!, openai(s.child.port, 'm'), TEXT, { total: STREAMS, concurrency: 8, deadlineMs: 60_000, stream: true });
        if (r.failed > 0) throw new Error(`${s.name}: ${r.failed} streams failed: ${r.error}`);
        s.cpuUs.push(((cpuSeconds(s.child.pid) - cpu0) * 1e6) / r.completed);
        s.promotedBytes.push((s.promoted - promoted0) / r.completed);
        s.scavengeUs.push(((s.scavengeMs - scavenge0) * 1000) / r.completed);
      }
    }
    await Promise.all(pools.map((p) => p.close()));
    const off = sides[0]!;
    console.log(`${ROUNDS} rounds of ${STREAMS} streams each (medians)\n`);
    console.log('| contender | CPU µs/stream | × tracing off | promoted B/stream | scavenge µs/stream |');
    console.log('|---|---|---|---|---|');
    for (const s of sides) {
      const ratio = median(s.cpuUs.map((c, j) => c / off.cpuUs[j]!));
      console.log(`| ${s.name} | ${median(s.cpuUs).toFixed(0)} | ×${ratio.toFixed(3)} | ${median(s.promotedBytes).toFixed(0)} | ${median(s.scavengeUs).toFixed(1)} |`);
    }
  } finally {
    for (const s of sides) await s.child.stop();
    await sink.stop();
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
