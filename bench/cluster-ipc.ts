// `node bench/cluster-ipc.ts [in-flight] [requests]`: what the exact cross-worker limits cost by
// themselves, without HTTP or an upstream. A forked child plays a cluster worker and asks the
// primary (this process, with the real StateServer) to admit requests of a key with tpm,
// concurrency and rpm limits — one admitAll round trip, then the slot's release and the tokens
// used, as limits/admission.ts does — `in-flight` at a time (default 8; 1 = no two requests share an
// IPC message). Each request spans a turn of the event loop (admitted in one, ended in a later one),
// as a real one does. The limits are far from reached, so the worker's allowances (ipc-state.ts)
// decide most admissions. Prints the CPU µs per request of each side, the worker's net of the same
// loop without limits, and the IPC messages per request each way. Bounded: one run of `requests`
// (20000) and one of the loop without limits.

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
  /** The same loop without limits, µs per request. */
  bareUs: number;
  wallMs: number;
  toPrimary: number;
}

let toPrimary = 0;
let toWorker = 0;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

if (process.argv[2] === 'worker') {
  const link = new Link((m) => {
    toPrimary++;
    process.send!(m);
    return true;
  });
  process.on('message', (m) => void link.receive(m));
  const state = new IpcState(link);
  const loop = async (limited: boolean): Promise<void> => {
    let started = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (started < REQUESTS) {
          started++;
          if (!limited) {
            await turn();
            continue;
          }
          const v = await state.admitAll(CHECK);
          if (!v.allowed) throw new Error('refused');
          await turn();
          v.lease?.release();
          await state.add('tpm:config:k', 60_000, 100);
        }
      }),
    );
  };
  link.handle('go', async () => {
    let cpu = process.cpuUsage();
    await loop(false);
    const bare = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const sent = toPrimary;
    const t0 = performance.now();
    await loop(true);
    const used = process.cpuUsage(cpu);
    return {
      workerUs: (used.user + used.system) / REQUESTS,
      bareUs: (bare.user + bare.system) / REQUESTS,
      wallMs: performance.now() - t0,
      toPrimary: toPrimary - sent,
    } satisfies Result;
  });
} else {
  const child = fork(new URL(import.meta.url).pathname, ['worker', String(IN_FLIGHT), String(REQUESTS)], { execArgv: process.execArgv });
  const server = new StateServer();
  const link = new Link((m: LinkMessage) => {
    toWorker++;
    child.send(m);
    return true;
  });
  child.on('message', (m) => void link.receive(m));
  server.attach(1, link);
  // Let the child load before the clock starts.
  await new Promise((r) => setTimeout(r, 500));
  const cpu = process.cpuUsage();
  const r = await link.call<Result>('go', [], 120_000);
  const replies = toWorker - 1;
  const used = process.cpuUsage(cpu);
  const primaryUs = (used.user + used.system) / REQUESTS;
  process.stdout.write(
    `${REQUESTS} requests, ${IN_FLIGHT} in flight: worker ${r.workerUs.toFixed(1)} µs/request (${(r.workerUs - r.bareUs).toFixed(1)} net of the loop without limits), ` +
      `primary ${primaryUs.toFixed(1)} µs/request, together ${(r.workerUs + primaryUs).toFixed(1)} µs (${((REQUESTS / r.wallMs) * 1000).toFixed(0)} requests/s); ` +
      `IPC messages per request: ${(r.toPrimary / REQUESTS).toFixed(3)} to the primary, ${(replies / REQUESTS).toFixed(3)} back\n`,
  );
  child.kill();
}
