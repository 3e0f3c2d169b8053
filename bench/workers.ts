// The workers comparison (issue 14): sluice openai→openai with `server.workers: 1` and `auto`, and
// with `auto` behind a key with rpm, tpm and concurrency limits far above what is sent (the exact
// cross-worker limits, src/cluster/ipc-state.ts: decided from the allowances the primary grants).
// The limited key is measured on the same `auto` gateway as the open one, in rounds alternating
// with its rounds: the limits' cost is the median of the pairs' ratios (as bench/limits-ab.ts). Two
// gateways measured minutes apart differed by tens of percent for the same code (+6.6 % and
// +24.6 % in two runs of 2026-12-08).
//
// Fair on a small machine: for the whole section the bench process (the load generator, and the
// in-process paced upstream) and the mock it starts are pinned to CPU 0 with `taskset -a -cp 0`,
// while every sluice is started under `taskset -c 0-N` (all CPUs, whatever the bench's own affinity).
// The load generator then has the same CPU in every row, and what a second worker adds is what the
// second CPU gives sluice — not what it takes from the client. The bench's affinity is restored after.
// Without taskset (or with one CPU) the section says so and measures unpinned.
//
// Cheap on a small machine: the client and the upstream are lean-load.ts's raw-socket load
// generator and canned upstream (the bytes `sluice mock` sent once), so they take little of the CPU
// the second worker needs; their CPU per stream is measured and reported beside sluice's, with the
// ceiling it leaves: CPUs ÷ (sluice's + theirs per stream), as a multiple of the one-worker rate.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { mockText } from './client.ts';
import { NODE_FLAGS, ROOT, type BenchEnv, startMockProcess } from './contender.ts';
import { cannedUpstream, chatRequestBytes, leanLoad, type CannedUpstream } from './lean-load.ts';
import { percentile, processTree, startChild, treeCpuSeconds, type Child } from './lib.ts';
import type { Sizes } from './scenarios.ts';

export interface WorkersRow {
  name: string;
  workers: number;
  /** Median streams/s and CPU ms per stream of sluice's processes (primary and workers). */
  perSec: number;
  cpuMs: number;
  /** Median CPU ms per stream of the load generator and the canned upstream (the bench process). */
  clientCpuMs: number;
  failed: number;
}

export interface WorkersResult {
  pinned: string;
  cpus: number;
  rows: WorkersRow[];
  /** The limited key's CPU per stream over the open key's, per pair of alternating rounds on one `auto` gateway. */
  limitsPairs: number[];
  notes: string[];
}

const LIMITED_KEY = 'sk-bench-limited-0123456789abcdef';
const OPEN_KEY = 'sk-bench-open-0123456789abcdef';
/** Eight streams in flight, as in the throughput scenario. */
const CONCURRENCY = 8;

interface Variant {
  name: string;
  workers: number | 'auto';
  key: string;
  /** A second key measured on the same gateway, its rounds alternating with `key`'s: its own row. */
  paired?: { name: string; key: string };
  /** This many independent one-worker sluices instead of one (the load split between them). */
  separate?: 'per-cpu';
}

const VARIANTS: Variant[] = [
  { name: 'sluice openai→openai workers:1', workers: 1, key: OPEN_KEY },
  { name: 'sluice openai→openai workers:auto', workers: 'auto', key: OPEN_KEY, paired: { name: 'sluice openai→openai workers:auto, limited key', key: LIMITED_KEY } },
  // No cluster at all: what two busy Node processes cost each other on this machine, beside what
  // the cluster (the primary, the hand-off, the shared state) adds to it.
  { name: 'sluice openai→openai separate processes, one per CPU', workers: 1, key: OPEN_KEY, separate: 'per-cpu' },
];

function taskset(args: string[]): boolean {
  const r = spawnSync('taskset', args, { encoding: 'utf8' });
  return r.status === 0;
}

export async function workersScenario(env: BenchEnv, sizes: Sizes): Promise<WorkersResult> {
  const cpus = availableParallelism();
  const all = `0-${cpus - 1}`;
  const notes: string[] = [];
  const canPin = cpus >= 2 && taskset(['-cp', all, String(process.pid)]);
  let pinned = 'not pinned (taskset missing or one CPU)';
  if (canPin && taskset(['-a', '-cp', '0', String(process.pid)])) pinned = `load generator and canned upstream on CPU 0 (taskset -a -cp 0), sluice on CPUs ${all} (taskset -c ${all})`;
  let upstream: CannedUpstream | undefined;
  const rows: WorkersRow[] = [];
  const limitsPairs: number[] = [];
  try {
    // The mock answers once (started after pinning: on CPU 0), the canned upstream serves its bytes.
    const mock: Child = await startMockProcess();
    try {
      const asked = { model: 'bench', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: mockText('chunks=50') }] };
      upstream = await cannedUpstream(`http://127.0.0.1:${mock.port}`, '/v1/chat/completions', JSON.stringify(asked));
    } finally {
      await mock.stop();
    }
    for (const v of VARIANTS) {
      const children: Child[] = [];
      try {
        for (let i = 0; i < (v.separate === 'per-cpu' ? cpus : 1); i++) {
          const dir = join(env.workDir, `workers-${rows.length}-${i}`);
          mkdirSync(dir, { recursive: true });
          const config = join(dir, 'sluice.yaml');
          writeFileSync(config, workersConfig(upstream.port, dir, v.workers));
          const bin = join(ROOT, 'bin/sluice');
          const [cmd, args] = canPin ? ['taskset', ['-c', all, bin, 'serve', '--config', config, '--port', '0']] : [bin, ['serve', '--config', config, '--port', '0']];
          children.push(
            await startChild(cmd, args as string[], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
              cwd: dir,
              env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
            }),
          );
        }
        const measured = await measure(v, children, sizes);
        rows.push(...measured.rows);
        limitsPairs.push(...measured.ratios);
      } catch (err) {
        notes.push(`${v.name}: ${(err as Error).message}`);
      } finally {
        await Promise.all(children.map((c) => c.stop()));
      }
    }
  } finally {
    await upstream?.close();
    if (canPin) taskset(['-a', '-cp', all, String(process.pid)]);
  }
  return { pinned, cpus, rows, limitsPairs, notes };
}

async function measure(v: Variant, children: Child[], sizes: Sizes): Promise<{ rows: WorkersRow[]; ratios: number[] }> {
  // Every sluice process: primaries and their workers (taskset's pid is sluice's: it execs).
  const pids = children.flatMap((c) => processTree(c.pid));
  const keys = v.paired ? [v.key, v.paired.key] : [v.key];
  const reqs = keys.map((key) => children.map((c) => chatRequestBytes(c.port, 'm', mockText('chunks=50'), { authorization: `Bearer ${key}` })));
  // The connections and streams split evenly between the processes.
  const run = async (k: number, total: number, deadlineMs: number) => {
    const rs = await Promise.all(
      children.map((c, i) => leanLoad(c.port, reqs[k]![i]!, { total: Math.ceil(total / children.length), connections: Math.max(1, CONCURRENCY / children.length), deadlineMs })),
    );
    return {
      completed: rs.reduce((n, r) => n + r.completed, 0),
      failed: rs.reduce((n, r) => n + r.failed, 0),
      wallMs: Math.max(...rs.map((r) => r.wallMs)),
    };
  };
  for (let k = 0; k < keys.length; k++) await run(k, sizes.warmup, sizes.warmupMs);
  const perSec: number[][] = keys.map(() => []);
  const cpuMs: number[][] = keys.map(() => []);
  const clientCpuMs: number[][] = keys.map(() => []);
  const failed = keys.map(() => 0);
  const ratios: number[] = [];
  // With a paired key: as many pairs as the rows a target is read from get (Sizes.targetRounds).
  const rounds = v.paired ? sizes.targetRounds : sizes.rounds;
  for (let i = 0; i < rounds; i++) {
    const cpu: number[] = [];
    // Alternate which key goes first, so neither always follows the other.
    const order = i % 2 === 0 ? keys.map((_, k) => k) : keys.map((_, k) => keys.length - 1 - k);
    for (const k of order) {
      const cpu0 = treeCpuSeconds(pids);
      const own0 = process.cpuUsage();
      const r = await run(k, sizes.streams, 15_000);
      const own = process.cpuUsage(own0);
      const cpu1 = treeCpuSeconds(pids);
      failed[k]! += r.failed;
      if (r.completed === 0) continue;
      perSec[k]!.push((r.completed / r.wallMs) * 1000);
      cpu[k] = ((cpu1 - cpu0) * 1000) / r.completed;
      cpuMs[k]!.push(cpu[k]!);
      clientCpuMs[k]!.push((own.user + own.system) / 1000 / r.completed);
    }
    if (v.paired && cpu[0] !== undefined && cpu[1] !== undefined) ratios.push(cpu[1] / cpu[0]);
  }
  const workers = children.length > 1 ? children.length : pids.length > 1 ? pids.length - 1 : 1;
  const names = v.paired ? [v.name, v.paired.name] : [v.name];
  return {
    rows: names.map((name, k) => ({
      name,
      workers,
      perSec: percentile(perSec[k]!, 50),
      cpuMs: percentile(cpuMs[k]!, 50),
      clientCpuMs: percentile(clientCpuMs[k]!, 50),
      failed: failed[k]!,
    })),
    ratios,
  };
}

function workersConfig(upstreamPort: number, dir: string, workers: number | 'auto'): string {
  return `server: { host: 127.0.0.1, workers: ${workers} }
store: sqlite:${join(dir, 'sluice.db')}
providers:
  mock: { type: openai, base_url: http://127.0.0.1:${upstreamPort}/v1, timeouts: { idle: 10m, total: 30m } }
models:
  m: { targets: [{ provider: mock, model: bench }] }
auth:
  keys:
    - { name: open, key: ${OPEN_KEY} }
    # Limits far above what the bench sends: each request is checked and counted, never refused.
    - { name: limited, key: ${LIMITED_KEY}, rpm: 100000000, tpm: 1000000000000, concurrency: 100000 }
`;
}
