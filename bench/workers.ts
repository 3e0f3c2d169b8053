// The workers comparison (issue 14): sluice openai→openai with `server.workers: 1` and `auto`, and
// with `auto` behind a key whose rpm, tpm and concurrency limits are checked in the cluster primary
// on every request (the exact cross-worker limits, src/cluster/ipc-state.ts).
//
// Fair on a small machine: for the whole section the bench process (the load generator, and the
// in-process paced upstream) and the mock it starts are pinned to CPU 0 with `taskset -a -cp 0`,
// while every sluice is started under `taskset -c 0-N` (all CPUs, whatever the bench's own affinity).
// The load generator then has the same CPU in every row, and what a second worker adds is what the
// second CPU gives sluice — not what it takes from the client. The bench's affinity is restored after.
// Without taskset (or with one CPU) the section says so and measures unpinned.

import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { load, mockText, pool } from './client.ts';
import { ENTRY, NODE, NODE_FLAGS, ROOT, openai, type BenchEnv } from './contender.ts';
import { percentile, processTree, startChild, treeCpuSeconds, type Child } from './lib.ts';
import type { Sizes } from './scenarios.ts';

export interface WorkersRow {
  name: string;
  workers: number;
  /** Median streams/s and CPU ms per stream of sluice's processes (primary and workers). */
  perSec: number;
  cpuMs: number;
  failed: number;
}

export interface WorkersResult {
  pinned: string;
  rows: WorkersRow[];
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
}

const VARIANTS: Variant[] = [
  { name: 'sluice openai→openai workers:1', workers: 1, key: OPEN_KEY },
  { name: 'sluice openai→openai workers:auto', workers: 'auto', key: OPEN_KEY },
  { name: 'sluice openai→openai workers:auto, limited key', workers: 'auto', key: LIMITED_KEY },
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
  if (canPin && taskset(['-a', '-cp', '0', String(process.pid)])) pinned = `load generator and mock on CPU 0 (taskset -a -cp 0), sluice on CPUs ${all} (taskset -c ${all})`;
  let mock: Child | undefined;
  const rows: WorkersRow[] = [];
  try {
    // Started after pinning: the mock inherits CPU 0.
    mock = await startChild(NODE, [ENTRY, 'mock', '--port', '0', '--quiet'], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    for (const v of VARIANTS) {
      const dir = join(env.workDir, `workers-${rows.length}`);
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'sluice.yaml');
      writeFileSync(config, workersConfig(mock.port, dir, v.workers));
      const bin = join(ROOT, 'bin/sluice');
      const [cmd, args] = canPin ? ['taskset', ['-c', all, bin, 'serve', '--config', config, '--port', '0']] : [bin, ['serve', '--config', config, '--port', '0']];
      const child = await startChild(cmd, args as string[], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
        cwd: dir,
        env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
      });
      try {
        rows.push(await measure(v, child, sizes));
      } catch (err) {
        notes.push(`${v.name}: ${(err as Error).message}`);
      } finally {
        await child.stop();
      }
    }
  } finally {
    await mock?.stop();
    if (canPin) taskset(['-a', '-cp', all, String(process.pid)]);
  }
  return { pinned, rows, notes };
}

async function measure(v: Variant, child: Child, sizes: Sizes): Promise<WorkersRow> {
  // The primary and its workers (taskset's pid is sluice's: it execs).
  const pids = processTree(child.pid);
  const ep = openai(child.port, 'm', { authorization: `Bearer ${v.key}` });
  const p = pool(child.port, 64);
  const text = mockText('chunks=50');
  try {
    await load(p, ep, text, { total: sizes.warmup, concurrency: CONCURRENCY, deadlineMs: sizes.warmupMs, stream: true });
    const perSec: number[] = [];
    const cpuMs: number[] = [];
    let failed = 0;
    for (let i = 0; i < sizes.rounds; i++) {
      const cpu0 = treeCpuSeconds(pids);
      const r = await load(p, ep, text, { total: sizes.streams, concurrency: CONCURRENCY, deadlineMs: 15_000, stream: true });
      const cpu1 = treeCpuSeconds(pids);
      failed += r.failed;
      if (r.completed === 0) continue;
      perSec.push((r.completed / r.wallMs) * 1000);
      cpuMs.push(((cpu1 - cpu0) * 1000) / r.completed);
    }
    return {
      name: v.name,
      workers: pids.length > 1 ? pids.length - 1 : 1,
      perSec: percentile(perSec, 50),
      cpuMs: percentile(cpuMs, 50),
      failed,
    };
  } finally {
    await p.close();
  }
}

function workersConfig(mockPort: number, dir: string, workers: number | 'auto'): string {
  return `server: { host: 127.0.0.1, workers: ${workers} }
store: sqlite:${join(dir, 'sluice.db')}
providers:
  mock: { type: openai, base_url: http://127.0.0.1:${mockPort}/v1, timeouts: { idle: 10m, total: 30m } }
models:
  m: { targets: [{ provider: mock, model: bench }] }
auth:
  keys:
    - { name: open, key: ${OPEN_KEY} }
    # Limits far above what the bench sends: each request is checked and counted, never refused.
    - { name: limited, key: ${LIMITED_KEY}, rpm: 100000000, tpm: 1000000000000, concurrency: 100000 }
`;
}
