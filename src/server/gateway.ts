// A running gateway in one process: services, the HTTP app, the request log. Used by `sluice serve`
// alone (one process) and by each cluster worker (src/cluster/worker.ts); the signals and the
// reload source differ between the two and are wired by their callers.

import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import { createApp, type App } from './app.ts';
import { logRecord } from './log.ts';
import type { ReloadPlan, ReloadResult } from './reload.ts';
import { startServices, type Services, type WorkerServices } from './services.ts';

export interface GatewayOptions {
  log: Logger;
  tap: number;
  allowOpen: boolean;
  host: string;
  /** POST /admin/reload. */
  reload?: () => Promise<ReloadResult>;
  /** Set in a cluster worker. */
  worker?: WorkerServices;
  /** Requests in flight, on every change. */
  onLoad?: (inFlight: number) => void;
}

export interface Gateway {
  app: App;
  services: Services;
  /** Puts a new config generation live (after validation, server/reload.ts). */
  apply(plan: ReloadPlan, generation: number): void;
  /** Stops accepting, lets requests finish for drain_timeout, ends the rest, closes everything. */
  stop(): Promise<void>;
}

export async function startGateway(config: Config, opts: GatewayOptions): Promise<Gateway> {
  const { log } = opts;
  const services = await startServices(config, log, opts.worker);
  const app: App = createApp(config, {
    ...services.appOptions,
    reload: opts.reload,
    onLoad: opts.onLoad,
    hooks: {
      ...services.appOptions.hooks,
      onRecord(record) {
        // Services first: they price the request, and the log line carries its cost.
        services.appOptions.hooks?.onRecord?.(record);
        logRecord(log, record);
      },
      onContinuation(record, cause, prefixChars) {
        log.info(
          { request_id: record.requestId, model: record.model, target: record.target ?? null, error: cause.code, prefix_chars: prefixChars },
          'stream broke after the commit point: continuing on the next target (continue_on_failure)',
        );
      },
      tap: opts.tap,
      onTap(requestId, line) {
        log.info({ request_id: requestId, upstream_line: redactLine(line) }, 'tap');
      },
    },
  });
  try {
    await app.auth.refresh();
  } catch (err) {
    await services.close();
    // The first read of the store: say which setting is at fault (the URL may carry a password).
    throw new Error(`store: cannot read client keys from the ${config.store.split(':')[0]} store: ${(err as Error)?.message ?? String(err)}`);
  }
  if (app.auth.open && !isLoopback(opts.host) && !opts.allowOpen) {
    await services.close();
    throw new Error(
      `refusing to serve without client keys on ${opts.host}: configure auth.keys (or 'sluice keys create'), or pass --allow-open`,
    );
  }
  let stopping: Promise<void> | undefined;
  return {
    app,
    services,
    apply(plan, generation) {
      services.applyReload(plan);
      app.swap(plan.config, generation);
      services.metrics.setGeneration(generation);
    },
    stop() {
      stopping ??= (async () => {
        const timeoutMs = app.config.server.drainTimeoutMs;
        log.info({ drain_timeout_ms: timeoutMs }, 'draining: no new connections; requests in flight may finish');
        const result = await app.drain(timeoutMs);
        const msg = result.ended > 0
          ? `drained: ${result.ended} request(s) still running at the drain timeout ended with a shutdown error`
          : 'drained: every request in flight finished';
        log.info({ in_flight: result.inFlight, ended: result.ended, drain_ms: Math.round(result.ms) }, msg);
        await app.close();
        await services.close();
      })();
      return stopping;
    },
  };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Upstream lines carry model output, not credentials, but a key echoed in an error body is masked. */
function redactLine(line: string): string {
  return line.replace(/(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]{8,}/g, '$1…').replace(/(Bearer\s+)\S+/gi, '$1[redacted]');
}
