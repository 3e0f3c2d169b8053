// `sluice serve`: load the config (or zero-config) and run the gateway — in this process, or, with
// `server.workers` / `--workers` above 1, as a cluster primary with that many worker processes
// (src/cluster/). Signals (SPEC §11): SIGTERM/SIGINT drain and exit 0 (a second one exits at
// once); SIGHUP reloads the config.

import { availableParallelism } from 'node:os';
import { parseArgs, UsageError, type ParsedArgs } from './args.ts';
import { resolveConfig, type ResolveArgs } from '../config/index.ts';
import type { Config } from '../config/types.ts';
import { createLogger } from '../server/log.ts';

const HELP = `Usage: sluice serve [--config FILE] [--host H] [--port N] [--workers N|auto] [--allow-open] [--tap N] [--log-level L]

Runs the gateway. Without --config it reads ./sluice.yaml if present, else runs zero-config: the
built-in "demo" model plus every provider whose key is in the environment (OPENAI_API_KEY,
ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY), reachable as provider/model.

  --config FILE     the YAML config (docs/spec.md §2)
  --host H          listen address (default from config, 127.0.0.1)
  --port N          listen port (default from config, 4000; 0 picks a free port)
  --workers N|auto  processes serving the port (default server.workers, 1); auto = one per core
  --allow-open      allow serving without client keys on a non-loopback address
  --tap N           also log the first N raw upstream SSE lines of each request (redacted)
  --log-level L     trace|debug|info|warn|error (default info)

Signals: SIGTERM or SIGINT stops accepting connections, lets requests in flight finish for up to
server.drain_timeout (default 5m), ends the rest with an error event, and exits 0; a second one
exits at once. SIGHUP re-reads the config file (also POST /admin/reload with auth.admin_key).
With several workers, send signals to the primary: the process whose pid sluice prints at start.`;

/** Set by the primary in the environment of the workers it forks (src/cluster/primary.ts). */
export const WORKER_ENV = 'SLUICE_CLUSTER_WORKER';

export interface ServeSettings {
  flags: ParsedArgs['flags'];
  resolveArgs: ResolveArgs;
  host: string;
  port: number;
  tap: number;
  /** --log-level, which wins over the config's logging.level (also after a reload). */
  logLevel?: string;
  allowOpen: boolean;
}

export async function runServe(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: ['config', 'host', 'port', 'tap', 'log-level', 'workers'], booleans: ['allow-open'] });
  if (flags.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const workersFlag = typeof flags.workers === 'string' ? parseWorkers(flags.workers) : undefined;
  if (process.env[WORKER_ENV] === '1') {
    const { runWorker } = await import('../cluster/worker.ts');
    return runWorker(flags);
  }
  const resolveArgs: ResolveArgs = {
    configPath: typeof flags.config === 'string' ? flags.config : undefined,
    cwd: process.cwd(),
    env: process.env,
  };
  const config: Config = resolveConfig(resolveArgs);
  const settings = settingsFrom(flags, config, resolveArgs);
  const workers = workerCount(workersFlag ?? config.server.workers);
  if (workers > 1) {
    const { runPrimary } = await import('../cluster/primary.ts');
    return runPrimary(config, settings, workers);
  }
  return runSingle(config, settings);
}

export function settingsFrom(flags: ParsedArgs['flags'], config: Config, resolveArgs: ResolveArgs): ServeSettings {
  const host = typeof flags.host === 'string' ? flags.host : config.server.host;
  const port = typeof flags.port === 'string' ? Number(flags.port) : config.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${String(flags.port)}`);
  return {
    flags,
    resolveArgs,
    host,
    port,
    tap: typeof flags.tap === 'string' ? Number(flags.tap) : config.logging.tap,
    logLevel: typeof flags['log-level'] === 'string' ? flags['log-level'] : undefined,
    allowOpen: flags['allow-open'] === true,
  };
}

function parseWorkers(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new UsageError(`--workers must be a number from 1 to 1024, or auto; got ${value}`);
  return n;
}

/** `auto`: one per core the process may use. */
export function workerCount(workers: number | 'auto'): number {
  return workers === 'auto' ? availableParallelism() : workers;
}

async function runSingle(config: Config, s: ServeSettings): Promise<number> {
  const log = createLogger(s.logLevel ?? config.logging.level);
  const { startGateway } = await import('../server/gateway.ts');
  const { Reloader } = await import('../server/reload.ts');
  let gateway: import('../server/gateway.ts').Gateway | undefined;
  const reloader = new Reloader(config, {
    load: () => resolveConfig(s.resolveArgs),
    apply(plan, generation) {
      gateway!.apply(plan, generation);
      if (s.logLevel === undefined) log.level = plan.config.logging.level;
    },
    log,
  });
  const reload = async () => {
    const result = await reloader.reload('admin');
    gateway?.services.metrics.reloaded(result.ok);
    return result;
  };
  gateway = await startGateway(config, { log, tap: s.tap, allowOpen: s.allowOpen, host: s.host, reload });
  const { app } = gateway;
  const address = await app.listen(s.port, s.host);
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info(
    {
      url,
      pid: process.pid,
      config: config.source,
      providers: Object.keys(config.providers),
      models: Object.keys(config.models),
      open: app.auth.open,
    },
    app.auth.open ? 'listening (open: no client keys configured, any client may use this gateway)' : 'listening',
  );
  process.stderr.write(`sluice listening on ${url}${app.auth.open ? ' (open: no client keys configured)' : ''}\n`);

  const onHup = (): void => {
    void reloader.reload('SIGHUP').then((r) => gateway!.services.metrics.reloaded(r.ok));
  };
  process.on('SIGHUP', onHup);
  const signal = await untilStopSignal();
  log.info({ signal }, `${signal}: stopping (a second signal exits at once)`);
  exitOnSecondSignal(() => log.flush());
  await gateway.stop();
  process.off('SIGHUP', onHup);
  log.flush();
  return 0;
}

/** Resolves with the name of the first SIGTERM or SIGINT. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** After the first stop signal: the next one exits at once, 128 + its number as shells report it. */
export function exitOnSecondSignal(beforeExit: () => void = () => {}): void {
  const now = (signal: NodeJS.Signals): void => {
    process.stderr.write(`sluice: ${signal} again: exiting at once\n`);
    beforeExit();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', now);
  process.once('SIGTERM', now);
}
