// `node bench/threads.ts [DIR]`: sluice's CPU per stream by thread — the main thread, V8's helper
// threads (concurrent marking, sweeping), the usage store's writer thread, libuv's thread pool (the
// request log's writes). Starts `sluice mock` and sluice (this checkout, or the checkout DIR), warms
// up, then runs THREADS_ROUNDS (3) rounds of THREADS_STREAMS (6000) 50-event streams, 8 in flight,
// reading each thread's user + system time from /proc/PID/task/*/stat before and after each round.
// THREADS_CONFIG is YAML appended to sluice's config. Loopback only; bounded by counts and deadlines.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, mockText, pool } from './client.ts';
import { openai, ROOT, startMockProcess } from './contender.ts';
import { CLK_TCK, startChild } from './lib.ts';

const ROUNDS = Number(process.env.THREADS_ROUNDS ?? 3);
const STREAMS = Number(process.env.THREADS_STREAMS ?? 6000);
const WARMUP = 16_000;

/** CPU seconds so far of each kind of thread (names without their trailing number, summed). */
function threads(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLK_TCK);
  }
  return out;
}

async function main(): Promise<void> {
  const root = process.argv[2] ? resolve(process.argv[2]) : ROOT;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-threads-'));
  const mock = await startMockProcess();
  try {
    const config = join(dir, 'sluice.yaml');
    writeFileSync(
      config,
      `server: { host: 127.0.0.1 }\nstore: sqlite:${join(dir, 'sluice.db')}\nproviders:\n  mock: { type: openai, base_url: http://127.0.0.1:${mock.port}/v1 }\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n${process.env.THREADS_CONFIG ?? ''}\n`,
    );
    const sluice = await startChild(join(root, 'bin/sluice'), ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, { cwd: dir });
    const p = pool(sluice.port);
    try {
      const ep = openai(sluice.port, 'm');
      const text = mockText('chunks=50');
      await load(p, ep, text, { total: WARMUP, concurrency: 8, deadlineMs: 120_000, stream: true });
      for (let round = 1; round <= ROUNDS; round++) {
        const before = threads(sluice.pid);
        const r = await load(p, ep, text, { total: STREAMS, concurrency: 8, deadlineMs: 120_000, stream: true });
        const after = threads(sluice.pid);
        const parts = [...after]
          .map(([name, s]) => [name, ((s - (before.get(name) ?? 0)) * 1e6) / r.completed] as const)
          .filter(([, us]) => us > 0)
          .sort((a, b) => b[1] - a[1]);
        const total = parts.reduce((sum, [, us]) => sum + us, 0);
        console.log(`round ${round}: ${total.toFixed(0)} µs per stream: ${parts.map(([name, us]) => `${name} ${us.toFixed(0)}`).join(', ')}`);
      }
    } finally {
      await p.close();
      await sluice.stop();
    }
  } finally {
    await mock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
