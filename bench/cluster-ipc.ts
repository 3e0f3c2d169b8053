// `node bench/cluster-ipc.ts [in-flight] [requests]`: what the exact cross-worker limits cost by
// themselves, without HTTP or an upstream. A forked child plays a cluster worker and asks the
// primary (this process, with the real StateServer) to admit requests of a key with tpm,
// concurrency and rpm limits — one admitAll round trip, then the slot's release and the tokens
// used, as limits/admission.ts does — `in-flight` at a time (default 8; 1 = no two requests share an
// IPC message). Prints the CPU µs per request of each side. Bounded: one run of `requests` (20000).

import { fork } from 'node:child_process';
import { Link, type LinkMessage } from '../src/cluster/link.ts';
import { IpcState } from '../src/cluster/ipc-state.ts';
import { StateServer } from '../src/cluster/state-server.ts';
import type { LimitCheck } from '../src/state/types.ts';

const args = process.argv[2] === 'worker' ? process.argv.slice(3) : process.argv.slice(2);
const IN_FLIGHT = Number(args[0] ?? 8);
const REQUESTS = Number(args[1] ?? 20_000);

const CHECK: LimitCheck = {
  tpm: { name: 'tpm:config:k', windowMs: 60_000, limit: 1e12 },
  concurrency: { name: 'conc:config:k', limit: 1e6, ttlMs: 30_000 },
  rpm: { name: 'rpm:config:k', windowMs: 60_000, limit: 1e9 },
};

interface Result {
  workerUs: number;
  wallMs: number;
}

if (process.argv[2] === 'worker') {
  const link = new Link((m) => {
    process.send!(m);
    return true;
  });
  process.on('message', (m) => void link.receive(m));
  const state = new IpcState(link);
  link.handle('go', async () => {
    let started = 0;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (started < REQUESTS) {
          started++;
          const v = await state.admitAll(CHECK);
          if (!v.allowed) throw new Error('refused');
          v.lease?.release();
          await state.add('tpm:config:k', 60_000, 100);
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    return { workerUs: (used.user + used.system) / REQUESTS, wallMs: performance.now() - t0 } satisfies Result;
  });
} else {
  const child = fork(new URL(import.meta.url).pathname, ['worker', String(IN_FLIGHT), String(REQUESTS)], { execArgv: process.execArgv });
  const server = new StateServer();
  const link = new Link((m: LinkMessage) => {
    child.send(m);
    return true;
  });
  child.on('message', (m) => void link.receive(m));
  server.attach(1, link);
  // Let the child load before the clock starts.
  await new Promise((r) => setTimeout(r, 500));
  const cpu = process.cpuUsage();
  const r = await link.call<Result>('go', [], 120_000);
  const used = process.cpuUsage(cpu);
  const primaryUs = (used.user + used.system) / REQUESTS;
  process.stdout.write(
    `${REQUESTS} requests, ${IN_FLIGHT} in flight: worker ${r.workerUs.toFixed(1)} µs/request, primary ${primaryUs.toFixed(1)} µs/request, ` +
      `together ${(r.workerUs + primaryUs).toFixed(1)} µs (${((REQUESTS / r.wallMs) * 1000).toFixed(0)} requests/s)\n`,
  );
  child.kill();
}
