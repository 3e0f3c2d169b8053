// What tracing costs (issue 15: at most 10 % CPU per stream over tracing off): two sluice processes
// in front of the same `sluice mock`, one with `telemetry.otlp` pointed at a local OTLP sink (a
// process of its own, bench/otlp-sink.ts, as a collector is), one without, measured in paired rounds
// of 50-chunk streams (8 in flight) after a warm-up each. CPU is the sluice process's user + system
// time from /proc, per stream; the ratio is taken per pair and its median reported, so machine load
// drifting between rounds affects both sides alike. 60 pairs by default (~2 minutes): single pairs
// on this VM range ×0.77–×1.50 for one build, and the median of 15 moved by ±0.05 from run to run;
// of 60, by about half that (bench/RESULTS.md, "Tracing, 2026-12-08").
//
//   node bench/tracing.ts            (BENCH_QUICK=1 for a short run; ROUNDS=N for more pairs)

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMock } from '../src/mock/server.ts';
import { load, mockText, pool } from './client.ts';
import { NODE_FLAGS, SLUICE_BIN, openai } from './contender.ts';
import { cpuSeconds, percentile, startChild, type Child } from './lib.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const WARMUP = QUICK ? 1500 : 16_000;
const ROUNDS = Number(process.env.ROUNDS ?? (QUICK ? 3 : 60));
const PER_ROUND = QUICK ? 600 : 1500;
const TEXT = mockText('chunks=50');

const mock = await startMock({ port: 0 });
const sink = await startChild(process.execPath, [fileURLToPath(new URL('./otlp-sink.ts', import.meta.url))], /otlp sink on http:\/\/127\.0\.0\.1:(\d+)/);
const sinkUrl = `http://127.0.0.1:${sink.port}`;
let sinkCounts = '';
sink.proc.stdout!.on('data', (d: Buffer) => (sinkCounts += d.toString()));
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-tracing-'));

async function startSluice(name: string, telemetry: string): Promise<Child> {
  const work = join(dir, name);
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    `server: { host: 127.0.0.1 }
store: sqlite:${join(work, 'sluice.db')}
providers:
  mock: { type: openai, base_url: ${mock.url}/v1 }
models:
  m: { targets: [{ provider: mock, model: bench }] }
${telemetry}`,
  );
  return startChild(SLUICE_BIN, ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
    cwd: dir,
    env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
  });
}

const off = await startSluice('off', '');
const on = await startSluice('on', `telemetry:\n  otlp: { endpoint: "${sinkUrl}" }\n`);
const sides = [
  { name: 'tracing off', child: off, pool: pool(off.port, 16) },
  { name: 'tracing on', child: on, pool: pool(on.port, 16) },
];

try {
  for (const s of sides) await load(s.pool, openai(s.child.port, 'm'), TEXT, { total: WARMUP, concurrency: 8, deadlineMs: 30_000, stream: true });
  const perStream: Record<string, number[]> = { 'tracing off': [], 'tracing on': [] };
  const ratios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const pair: number[] = [];
    // Alternate which side goes first, so neither always runs right after the other's burst.
    for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
      const cpu0 = cpuSeconds(s.child.pid);
      const r = await load(s.pool, openai(s.child.port, 'm'), TEXT, { total: PER_ROUND, concurrency: 8, deadlineMs: 20_000, stream: true });
      const ms = ((cpuSeconds(s.child.pid) - cpu0) * 1000) / r.completed;
      if (r.failed > 0) process.stderr.write(`${s.name}: ${r.failed} failed (${r.error})\n`);
      perStream[s.name]!.push(ms);
      pair[sides.indexOf(s)] = ms;
    }
    ratios.push(pair[1]! / pair[0]!);
    process.stderr.write(`round ${i + 1}: off ${pair[0]!.toFixed(3)} ms, on ${pair[1]!.toFixed(3)} ms per stream (×${(pair[1]! / pair[0]!).toFixed(3)})\n`);
  }
  const med = (xs: number[]): number => percentile(xs, 50);
  process.stdout.write(
    `\n| | CPU ms per stream (median of ${ROUNDS} rounds of ${PER_ROUND}) |\n|---|---|\n` +
      `| tracing off | ${med(perStream['tracing off']!).toFixed(3)} |\n` +
      `| tracing on (OTLP/HTTP to a local collector) | ${med(perStream['tracing on']!).toFixed(3)} |\n` +
      `| on / off (median of paired rounds) | ×${med(ratios).toFixed(3)} |\n` +
      '\n',
  );
} finally {
  await Promise.all(sides.map((s) => s.pool.close()));
  await Promise.all([off.stop(), on.stop()]);
  const ended = new Promise((r) => sink.proc.stdout!.once('close', r));
  await sink.stop();
  await ended;
  const counts = /\{.*\}/.exec(sinkCounts);
  if (counts) {
    const c = JSON.parse(counts[0]) as { exports: number; bytes: number };
    process.stdout.write(`spans exported: ${c.exports} requests, ${(c.bytes / 1e6).toFixed(1)} MB\n`);
  }
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
}
