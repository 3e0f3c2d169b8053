// The cluster primary (SPEC §11, `server.workers` / `--workers` above 1). It serves no request
// itself: it forks the workers and keeps them at their number, owns what they must share without
// Redis (limits: state-server.ts; circuits: circuits.ts), answers /metrics for the whole gateway
// (metrics.ts), and turns signals into gateway-wide actions:
//
//   SIGTERM / SIGINT  every worker drains (server/drain.ts); exit 0 once all have; a second signal
//                     kills them and exits at once
//   SIGHUP            the config is re-read and validated here once, then every worker swaps it in
//                     (server/reload.ts); POST /admin/reload on any worker lands here too
//   a worker dies     its concurrency slots are released, a replacement starts (with a growing
//                     delay if workers keep dying young), the others' streams are untouched
//
// Connections: this process accepts them and hands each to the worker with the fewest open ones
// (dispatch.ts). SLUICE_CLUSTER_BALANCE=round-robin (node:cluster's own) or reuseport (each worker
// binds the port, the kernel spreads connections) are there to measure against it
// (docs/operations.md).

import cluster, { type Worker } from 'node:cluster';
import { resolveConfig } from '../config/index.ts';
import type { Config } from '../config/types.ts';
import { exitOnSecondSignal, untilStopSignal, WORKER_ENV, type ServeSettings } from '../cli/serve.ts';
import { createLogger, setLogWorker } from '../server/log.ts';
import { Reloader, targetsOf, type ReloadResult } from '../server/reload.ts';
import { CircuitAuthority } from './circuits.ts';
import { Link } from './link.ts';
import { ClusterMetrics } from './metrics.ts';
import { StateServer } from './state-server.ts';
import { WORKER_OPS, type Balance, type WorkerInit } from './worker.ts';
import { CONNECTION_CLOSED, Dispatcher, WORKER_LOAD } from './dispatch.ts';

/** A worker that dies younger than this counts towards the crash-loop back-off. */
const YOUNG_MS = 10_000;
const MAX_RESPAWN_DELAY_MS = 30_000;
/** Beyond the drain timeout, how long the primary waits for a worker before killing it. */
const DRAIN_GRACE_MS = 30_000;
const APPLY_TIMEOUT_MS = 10_000;

interface Member {
  worker: Worker;
  link: Link;
  startedAt: number;
  listening: boolean;
  /** Draining on its own (its own SIGTERM): already replaced, its exit is expected. */
  retiring: boolean;
  ready: Promise<void>;
}

const BALANCES: readonly Balance[] = ['least-conn', 'round-robin', 'reuseport'];

export function balanceMode(env: NodeJS.ProcessEnv = process.env): Balance {
  const asked = env.SLUICE_CLUSTER_BALANCE;
  if (asked === undefined || asked === '') return 'least-conn';
  if (!(BALANCES as readonly string[]).includes(asked)) throw new Error(`SLUICE_CLUSTER_BALANCE must be one of ${BALANCES.join(', ')}; got ${asked}`);
  return asked as Balance;
}

export async function runPrimary(config: Config, s: ServeSettings, count: number): Promise<number> {
  setLogWorker(0);
  const log = createLogger(s.logLevel ?? config.logging.level);
  const balance = balanceMode();
  // Must be set before the first fork; round-robin is also Linux's default, made explicit here.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ silent: false });
  const dispatcher = balance === 'least-conn' ? new Dispatcher() : undefined;

  const state = new StateServer();
  const metrics = new ClusterMetrics();
  const circuits = new CircuitAuthority(config.breaker, (target, circuit) => {
    if (circuit === 'open') log.warn({ target, cooldown_ms: live.config.breaker.cooldownMs }, 'circuit opened: target out of rotation');
    else log.info({ target }, 'circuit closed: target back in rotation');
  });
  let live = { config, generation: 1 };
  let port = dispatcher ? (await dispatcher.listen(s.port, s.host)).port : s.port;
  const members = new Map<number, Member>();
  let stopping = false;
  let youngExits = 0;

  const reloader = new Reloader(config, {
    load: () => resolveConfig(s.resolveArgs),
    async apply(plan, generation) {
      circuits.configure(plan.config.breaker);
      for (const key of targetsOf(plan.changedProviders, circuits.health.keys())) circuits.health.forget(key);
      live = { config: plan.config, generation };
      if (s.logLevel === undefined) log.level = plan.config.logging.level;
      await Promise.all(
        [...members.values()].map((m) =>
          m.link.call(WORKER_OPS.config, [plan.config, generation, plan.changedProviders], APPLY_TIMEOUT_MS).catch((err: Error) => {
            log.warn({ child: m.worker.id, error: err.message }, 'a worker did not confirm the new config');
          }),
        ),
      );
    },
    log,
  });
  const reload = async (trigger: string): Promise<ReloadResult> => {
    const result = await reloader.reload(trigger);
    metrics.reloads.inc({ result: result.ok ? 'applied' : 'refused' });
    return result;
  };

  const fork = (): Member => {
    const worker = cluster.fork({ [WORKER_ENV]: '1' });
    const link = new Link((msg) => {
      if (!worker.isConnected()) return false;
      worker.send(msg);
      return true;
    });
    worker.on('message', (msg) => void link.receive(msg));
    let listened!: () => void;
    let failed!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      listened = resolve;
      failed = reject;
    });
    ready.catch(() => undefined);
    const m: Member = { worker, link, startedAt: Date.now(), listening: false, retiring: false, ready };
    members.set(worker.id, m);
    state.attach(worker.id, link);
    circuits.attach(worker.id, link);
    metrics.attach(worker.id, link);
    metrics.workers.set(members.size);
    link.handle(WORKER_OPS.hello, (): WorkerInit => ({
      config: live.config,
      generation: live.generation,
      host: s.host,
      // node:cluster shares one listening handle per (address, port as asked): every worker must ask
      // for the same port, 0 included. Under SO_REUSEPORT each binds for itself: the port found.
      port: balance === 'round-robin' ? s.port : port,
      balance,
      circuits: circuits.snapshot(),
      watched: circuits.watchedTargets(),
      tap: s.tap,
      logLevel: s.logLevel,
      allowOpen: s.allowOpen,
    }));
    link.handle(WORKER_OPS.listening, ([, listenedPort]) => {
      m.listening = true;
      port = listenedPort as number;
      dispatcher?.add(worker);
      listened();
      // A worker that started while the gateway was stopping drains at once.
      if (stopping) link.post(WORKER_OPS.drain);
    });
    link.handle(WORKER_OPS.reload, () => reload('admin'));
    // A worker told to stop by someone else (kill PID): no new connections for it, and its
    // replacement starts now rather than after its drain.
    link.handle(WORKER_OPS.draining, () => {
      if (stopping || m.retiring) return;
      m.retiring = true;
      dispatcher?.remove(worker.id);
      log.info({ child: worker.id, pid: worker.process.pid }, 'a worker drains on its own; starting its replacement');
      if (countLive() < count) fork();
    });
    link.handle(CONNECTION_CLOSED, () => dispatcher?.closed(worker.id));
    link.handle(WORKER_LOAD, ([active, taken]) => dispatcher?.report(worker.id, active as number, taken as number));
    worker.on('exit', (code, signal) => {
      members.delete(worker.id);
      dispatcher?.remove(worker.id);
      link.close();
      const released = state.detach(worker.id);
      circuits.detach(worker.id);
      metrics.detach(worker.id);
      metrics.workers.set(members.size);
      if (!m.listening) {
        failed(new Error(`worker ${worker.id} exited (${signal ?? `code ${code}`}) before it was serving`));
        if (!stopping && !starting) respawnLater(m);
        return;
      }
      if (stopping) return;
      if (m.retiring) {
        log.info({ child: worker.id, code, signal }, 'a drained worker exited');
        return;
      }
      log.error(
        { child: worker.id, pid: worker.process.pid, code, signal, slots_released: released },
        'worker exited unexpectedly; starting a replacement (the other workers keep serving)',
      );
      metrics.restarts.inc();
      respawnLater(m);
    });
    return m;
  };

  /** Workers that are not on their way out. */
  const countLive = (): number => [...members.values()].filter((x) => !x.retiring).length;

  const respawnLater = (dead: Member): void => {
    youngExits = Date.now() - dead.startedAt < YOUNG_MS ? youngExits + 1 : 0;
    const delay = youngExits <= 1 ? 0 : Math.min(MAX_RESPAWN_DELAY_MS, 500 * 2 ** (youngExits - 2));
    if (delay > 0) log.warn({ delay_ms: delay }, 'workers keep exiting soon after they start; waiting before the next one');
    setTimeout(() => {
      if (!stopping && countLive() < count) fork();
    }, delay).unref();
  };

  // The first worker binds the port (0 = a free one); the others then join that port.
  let starting = true;
  try {
    await fork().ready;
    const rest: Member[] = [];
    for (let i = 1; i < count; i++) rest.push(fork());
    await Promise.all(rest.map((m) => m.ready));
  } catch (err) {
    stopping = true;
    dispatcher?.close();
    for (const m of members.values()) m.worker.process.kill('SIGKILL');
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    throw err;
  }
  starting = false;

  const url = `http://${s.host.includes(':') ? `[${s.host}]` : s.host}:${port}`;
  log.info(
    { url, pid: process.pid, workers: count, balance, config: config.source, providers: Object.keys(config.providers), models: Object.keys(config.models) },
    `listening with ${count} workers`,
  );
  process.stderr.write(`sluice listening on ${url} (${count} workers, primary pid ${process.pid})\n`);

  const onHup = (): void => void reload('SIGHUP');
  process.on('SIGHUP', onHup);
  const signal = await untilStopSignal();
  stopping = true;
  dispatcher?.close();
  log.info({ signal, workers: members.size }, `${signal}: every worker drains (a second signal exits at once)`);
  exitOnSecondSignal(() => {
    for (const m of members.values()) m.worker.process.kill('SIGKILL');
    log.flush();
  });
  const exited = [...members.values()].map((m) => new Promise<void>((resolve) => m.worker.once('exit', () => resolve())));
  for (const m of members.values()) m.link.post(WORKER_OPS.drain);
  const killer = setTimeout(() => {
    log.warn({ workers: members.size }, 'workers still running long after the drain timeout: killing them');
    for (const m of members.values()) m.worker.process.kill('SIGKILL');
  }, live.config.server.drainTimeoutMs + DRAIN_GRACE_MS);
  killer.unref();
  await Promise.all(exited);
  clearTimeout(killer);
  process.off('SIGHUP', onHup);
  circuits.stop();
  log.info({}, 'every worker drained: exiting');
  await new Promise<void>((resolve) => log.flush(() => resolve()));
  return 0;
}
