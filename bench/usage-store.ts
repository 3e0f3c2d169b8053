// `node bench/usage-store.ts`: what writing usage to SQLite costs the thread that serves the streams
// (docs/operations.md, "The usage store"), with the usage thread (as sluice runs) and without it
// (`usageThread: false`: every batch and checkpoint on the serving connection), in alternating rounds
// of the same run. Each round writes BATCHES batches of 200 rows into a fresh database, a timer tick
// between batches as in a serving gateway, and reports the event-loop delay the writes caused
// (monitorEventLoopDelay, 1 ms resolution: p99 and max), the serving thread's CPU per row and the
// process's. `USAGE_DISK_LOAD=1` runs `dd … conv=fsync` writing 3 GB beside each round (another
// process busy with the same disk). Knobs: USAGE_ROUNDS (3), USAGE_BATCHES (2000). Bounded by counts.

import { spawn, type ChildProcess } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore } from '../src/store/index.ts';
import { usageRows } from '../test/helpers/usage-rows.ts';

const ROUNDS = Number(process.env.USAGE_ROUNDS ?? 3);
const BATCHES = Number(process.env.USAGE_BATCHES ?? 2000);
const ROWS = 200;
const DISK_LOAD = process.env.USAGE_DISK_LOAD === '1';

interface Round {
  p99: number;
  max: number;
  mainUsPerRow: number;
  processUsPerRow: number;
}

let rounds = 0;

async function round(dir: string, thread: boolean): Promise<Round> {
  const store = new SqliteStore(join(dir, `${thread ? 'thread' : 'inline'}-${rounds++}.db`), thread ? {} : { usageThread: false });
  await store.recordUsage(usageRows(ROWS));
  let load: ChildProcess | undefined;
  if (DISK_LOAD) load = spawn('dd', ['if=/dev/zero', `of=${join(dir, 'load')}`, 'bs=1M', 'count=3000', 'conv=fsync'], { stdio: 'ignore' });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu = process.cpuUsage();
  const mainCpu = process.threadCpuUsage();
  for (let i = 0; i < BATCHES; i++) {
    await sleep(1);
    await store.recordUsage(usageRows(ROWS));
  }
  delay.disable();
  const all = process.cpuUsage(cpu);
  const main = process.threadCpuUsage(mainCpu);
  if (load && load.exitCode === null) {
    load.kill();
    await new Promise((resolve) => load.once('exit', resolve));
  }
  await store.close();
  const rows = BATCHES * ROWS;
  return {
    p99: delay.percentile(99) / 1e6,
    max: delay.max / 1e6,
    mainUsPerRow: (main.user + main.system) / rows,
    processUsPerRow: (all.user + all.system) / rows,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-usage-bench-'));
  try {
    await measure(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(dir: string): Promise<void> {
  const results = { inline: [] as Round[], thread: [] as Round[] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const thread of r % 2 === 0 ? [false, true] : [true, false]) {
      const res = await round(dir, thread);
      results[thread ? 'thread' : 'inline'].push(res);
      console.error(`usage-store: round ${r + 1}/${ROUNDS} ${thread ? 'thread' : 'inline'}: p99 ${res.p99.toFixed(2)} ms, max ${res.max.toFixed(1)} ms`);
    }
  }
  console.log(`${ROUNDS} rounds of ${BATCHES} batches of ${ROWS} rows each${DISK_LOAD ? ', dd writing 3 GB beside each round' : ''}`);
  console.log('| usage written | event-loop delay p99 (median) | max (worst round) | serving thread CPU µs/row | process CPU µs/row |');
  console.log('|---|---|---|---|---|');
  for (const [name, rs] of [['on the serving connection', results.inline], ['by the usage thread (sluice)', results.thread]] as const) {
    console.log(
      `| ${name} | ${median(rs.map((x) => x.p99)).toFixed(2)} ms | ${Math.max(...rs.map((x) => x.max)).toFixed(1)} ms | ${median(rs.map((x) => x.mainUsPerRow)).toFixed(2)} | ${median(rs.map((x) => x.processUsPerRow)).toFixed(2)} |`,
    );
  }
}

await main();
