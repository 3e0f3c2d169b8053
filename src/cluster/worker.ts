// A cluster worker (SPEC §11): one gateway process among `server.workers`. It takes its config,
// generation, address and the circuit states from the primary (so a replacement worker serves
// what the others serve, even if the file changed since), and without Redis asks the primary for
// every limit and circuit (ipc-state.ts, circuits.ts). The primary tells it to reload and to
// drain; a SIGTERM/SIGINT of its own (Ctrl-C reaches the whole process group) drains it too, and a
// second one exits at once. SIGHUP is the primary's to handle: one reload for the whole gateway.

import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket, type AddressInfo } from 'node:net';
import type { ParsedArgs } from '../cli/args.ts';
import type { Config } from '../config/types.ts';
import { exitOnSecondSignal, untilStopSignal } from '../cli/serve.ts';
import { startGateway, type Gateway } from '../server/gateway.ts';
import { createLogger, setLogWorker } from '../server/log.ts';
import type { ReloadResult } from '../server/reload.ts';
import type { CircuitEntry } from './circuits.ts';
import { Link } from './link.ts';
import { CONNECTION_CLOSED, CONNECTION_MESSAGE, WORKER_LOAD } from './dispatch.ts';

export type Balance = 'least-conn' | 'round-robin' | 'reuseport';

export const WORKER_OPS = {
  hello: 'w.hello',
  listening: 'w.listening',
  reload: 'w.reload',
  config: 'w.config',
  drain: 'w.drain',
  /** This worker drains on its own (its own SIGTERM): no more connections for it. */
  draining: 'w.draining',
} as const;

/** What the primary tells a starting worker. */
export interface WorkerInit {
  config: Config;
  generation: number;
  host: string;
  port: number;
  /** How connections reach the workers (dispatch.ts). */
  balance: Balance;
  circuits: CircuitEntry[];
  /** Targets whose every outcome goes to the primary at once (circuits.ts). */
  watched: string[];
  tap: number;
  logLevel?: string;
  allowOpen: boolean;
}

const HELLO_TIMEOUT_MS = 10_000;
/** At most this stale is the dispatcher's count of a worker's requests in flight (dispatch.ts). */
const LOAD_REPORT_MS = 50;
const RELOAD_TIMEOUT_MS = 30_000;

export async function runWorker(flags: ParsedArgs['flags']): Promise<number> {
  try {
    return await serveAsWorker(flags);
  } catch (err) {
    // The IPC channel would keep the process alive after main() sets the exit code: leave now.
    process.stderr.write(`sluice serve: worker ${cluster.worker?.id ?? '?'}: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  }
}

async function serveAsWorker(_flags: ParsedArgs['flags']): Promise<number> {
  const id = cluster.worker?.id ?? 0;
  setLogWorker(id);
  const link = new Link((msg) => {
    if (!process.connected) return false;
    process.send!(msg);
    return true;
  });
  process.on('message', (msg) => void link.receive(msg));
  // The primary is gone (node:cluster then exits this worker too); nothing more can be asked.
  process.on('disconnect', () => link.close());
  // Until the primary has a say, SIGHUP must not kill this worker.
  process.on('SIGHUP', () => {});

  // Registered before the gateway exists: a reload or a drain may come while it starts.
  let gateway: Gateway | undefined;
  let pendingConfig: unknown[] | undefined;
  let drainAsked = false;
  let onDrainAsked: (() => void) | undefined;
  link.handle(WORKER_OPS.config, (args) => {
    if (gateway) applyConfig(gateway, args);
    else pendingConfig = args;
    return true;
  });
  link.handle(WORKER_OPS.drain, () => {
    drainAsked = true;
    onDrainAsked?.();
  });

  const init = await link.call<WorkerInit>(WORKER_OPS.hello, [], HELLO_TIMEOUT_MS);
  // The dispatcher's view of this worker: requests in flight and connections taken up, reported
  // together (a connection counts as on its way until a report shows it taken, and then as the
  // request it carries), at most every LOAD_REPORT_MS. The dispatcher only reads them when a
  // connection arrives; reporting every request cost the primary more than the rest of its work.
  let inFlight = 0;
  let taken = 0;
  let reported = { inFlight: 0, taken: 0 };
  let timer: NodeJS.Timeout | undefined;
  const sendLoad = (): void => {
    timer = undefined;
    if (inFlight === reported.inFlight && taken === reported.taken) return;
    reported = { inFlight, taken };
    link.post(WORKER_LOAD, inFlight, taken);
  };
  const loadChanged = (): void => {
    if (timer || init.balance !== 'least-conn') return;
    timer = setTimeout(sendLoad, LOAD_REPORT_MS);
    timer.unref();
  };
  const log = createLogger(init.logLevel ?? init.config.logging.level);
  const applyConfig = (g: Gateway, [config, generation, changedProviders]: unknown[]): void => {
    g.apply({ config: config as Config, restartOnly: [], changedProviders: changedProviders as string[] }, generation as number);
    if (init.logLevel === undefined) log.level = (config as Config).logging.level;
  };
  gateway = await startGateway(init.config, {
    log,
    tap: init.tap,
    allowOpen: init.allowOpen,
    host: init.host,
    reload: () => link.call<ReloadResult>(WORKER_OPS.reload, [], RELOAD_TIMEOUT_MS),
    worker: { link, circuits: init.circuits, watched: init.watched },
    onLoad(n) {
      inFlight = n;
      loadChanged();
    },
  });
  if (init.generation !== 1) gateway.apply({ config: init.config, restartOnly: [], changedProviders: [] }, init.generation);
  if (pendingConfig && (pendingConfig[1] as number) > init.generation) applyConfig(gateway, pendingConfig);
  const g = gateway;

  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      log.info({ reason: why }, `${why}: draining this worker`);
      link.post(WORKER_OPS.draining);
      await g.stop();
      log.flush();
      link.flush();
    })();
    return stopping;
  };
  const signalled = untilStopSignal();
  if (init.balance === 'least-conn') {
    // Connections come from the primary; the private socket (Linux's abstract namespace: no file)
    // only keeps the HTTP server in its listening state.
    process.on('message', (msg, handle) => {
      if (msg !== CONNECTION_MESSAGE || !(handle instanceof Socket)) return;
      handle.once('close', () => link.post(CONNECTION_CLOSED));
      taken++;
      g.app.accept(handle);
      loadChanged();
    });
    await g.app.listen(0, '', { path: privateSocket() });
    link.post(WORKER_OPS.listening, init.host, init.port);
  } else {
    const address: AddressInfo = await g.app.listen(init.port, init.host, { reusePort: init.balance === 'reuseport' });
    link.post(WORKER_OPS.listening, address.address, address.port);
  }
  const drained = new Promise<void>((resolve) => {
    onDrainAsked = () => void stop('the primary asked').then(resolve);
    if (drainAsked) onDrainAsked();
    void signalled.then((signal) => {
      exitOnSecondSignal(() => log.flush());
      void stop(signal).then(resolve);
    });
  });
  await drained;
  // Leave the cluster (the IPC channel would keep this process alive); exit 0 after the logs are out.
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  process.disconnect();
  return 0;
}

/**
 * Where a least-conn worker's HTTP server listens, only to be in its listening state: Linux's
 * abstract namespace (no file), elsewhere a socket file in the temporary directory.
 */
function privateSocket(): string {
  const name = `sluice-worker-${process.pid}-${randomBytes(6).toString('hex')}`;
  return process.platform === 'linux' ? `\0${name}` : join(tmpdir(), `${name}.sock`);
}
