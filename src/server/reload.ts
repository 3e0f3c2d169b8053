// Config reload (SPEC §11): SIGHUP or `POST /admin/reload` re-reads the config file, validates it
// and swaps it in atomically. A request takes the generation that is live when it arrives and
// keeps it to its end (its targets, limits and time limits); new requests get the new one. An
// invalid file is refused with every problem logged, and the old generation keeps serving.
//
// What carries over: circuit breakers and latency averages of every target whose provider did not
// change (a provider whose URL, key, quirks or limits changed is a different upstream: its targets
// start closed and unmeasured). What does not change without a restart: the listening address, the
// worker count, the store, Redis and telemetry — a reload that changes them keeps the running values
// and says so in the log. Prices (`pricing:`) follow the reload.

import type { Config } from '../config/types.ts';

/** Fields a running gateway cannot change in place. */
const RESTART_ONLY: Array<[string, (c: Config) => unknown]> = [
  ['server.host', (c) => c.server.host],
  ['server.port', (c) => c.server.port],
  ['server.workers', (c) => c.server.workers],
  ['store', (c) => c.store],
  ['redis', (c) => c.redis],
  // The exporter is started once (telemetry/).
  ['telemetry', (c) => JSON.stringify(c.telemetry ?? null)],
];

export interface ReloadPlan {
  /** The new config, with the restart-only fields of the running one. */
  config: Config;
  /** Restart-only fields the file changed (kept at their running values). */
  restartOnly: string[];
  /** Providers that changed or went away: the health of their targets starts afresh. */
  changedProviders: string[];
}

export function planReload(running: Config, next: Config): ReloadPlan {
  const restartOnly = RESTART_ONLY.filter(([, get]) => get(running) !== get(next)).map(([name]) => name);
  const config: Config = {
    ...next,
    server: { ...next.server, host: running.server.host, port: running.server.port, workers: running.server.workers },
    store: running.store,
    telemetry: running.telemetry,
  };
  if (running.redis === undefined) delete config.redis;
  else config.redis = running.redis;
  const changedProviders = Object.keys(running.providers).filter(
    (name) => !Object.hasOwn(next.providers, name) || JSON.stringify(running.providers[name]) !== JSON.stringify(next.providers[name]),
  );
  return { config, restartOnly, changedProviders };
}

/** Target keys (`provider/model`) of the given providers, among `keys`. */
export function targetsOf(providers: readonly string[], keys: Iterable<string>): string[] {
  if (providers.length === 0) return [];
  const out: string[] = [];
  for (const key of keys) {
    const slash = key.indexOf('/');
    if (slash > 0 && providers.includes(key.slice(0, slash))) out.push(key);
  }
  return out;
}

export type ReloadResult =
  | { ok: true; generation: number; restartOnly: string[]; changedProviders: string[] }
  | { ok: false; generation: number; problems: string[] };

export interface ReloaderOptions {
  /** Reads and validates the config (throws ConfigError listing every problem). */
  load(): Config;
  /** Swaps the new generation in. */
  apply(plan: ReloadPlan, generation: number): void | Promise<void>;
  log: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

/** Serializes reloads and keeps the generation count: 1 is the config the gateway started with. */
export class Reloader {
  private readonly opts: ReloaderOptions;
  private running: Config;
  private gen = 1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(initial: Config, opts: ReloaderOptions) {
    this.running = initial;
    this.opts = opts;
  }

  get generation(): number {
    return this.gen;
  }

  get config(): Config {
    return this.running;
  }

  /** Re-reads the config; `trigger` is for the log (SIGHUP, admin). */
  reload(trigger: string): Promise<ReloadResult> {
    const next = this.queue.then(() => this.reloadNow(trigger));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(trigger: string): Promise<ReloadResult> {
    const { log } = this.opts;
    let loaded: Config;
    try {
      loaded = this.opts.load();
    } catch (err) {
      const problems = (err as { problems?: unknown }).problems;
      const list = Array.isArray(problems) ? problems.map(String) : [(err as Error)?.message ?? String(err)];
      log.error(
        { trigger, generation: this.gen, problems: list },
        `config reload refused (${list.length === 1 ? '1 problem' : `${list.length} problems`}); generation ${this.gen} keeps serving`,
      );
      return { ok: false, generation: this.gen, problems: list };
    }
    const plan = planReload(this.running, loaded);
    const generation = this.gen + 1;
    await this.opts.apply(plan, generation);
    this.gen = generation;
    this.running = plan.config;
    if (plan.restartOnly.length > 0) {
      log.warn({ trigger, generation, fields: plan.restartOnly }, `config reload: ${plan.restartOnly.join(', ')} changed; that takes a restart, the running values stay`);
    }
    log.info(
      {
        trigger,
        generation,
        config: plan.config.source,
        models: Object.keys(plan.config.models),
        providers: Object.keys(plan.config.providers),
        reset_providers: plan.changedProviders,
      },
      `config reloaded: generation ${generation} is live`,
    );
    return { ok: true, generation, restartOnly: plan.restartOnly, changedProviders: plan.changedProviders };
  }
}
