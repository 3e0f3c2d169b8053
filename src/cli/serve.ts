// `sluice serve`: load the config (or zero-config), start the gateway, log one line per request,
// shut down cleanly on SIGINT/SIGTERM.

import { isIP } from 'node:net';
import { parseArgs } from './args.ts';
import { resolveConfig } from '../config/index.ts';
import type { Config } from '../config/types.ts';
import { createApp, type App } from '../server/app.ts';
import { createLogger, logRecord } from '../server/log.ts';

const HELP = `Usage: sluice serve [--config FILE] [--host H] [--port N] [--allow-open] [--tap N] [--log-level L]

Runs the gateway. Without --config it reads ./sluice.yaml if present, else runs zero-config: the
built-in "demo" model plus every provider whose key is in the environment (OPENAI_API_KEY,
ANTHROPIC_API_KEY, GEMINI_API_KEY, OPENROUTER_API_KEY), reachable as provider/model.

  --config FILE     the YAML config (SPEC §2)
  --host H          listen address (default from config, 127.0.0.1)
  --port N          listen port (default from config, 4000; 0 picks a free port)
  --allow-open      allow serving without client keys on a non-loopback address
  --tap N           also log the first N raw upstream SSE lines of each request (redacted)
  --log-level L     trace|debug|info|warn|error (default info)`;

export async function runServe(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, { values: ['config', 'host', 'port', 'tap', 'log-level'], booleans: ['allow-open'] });
  if (flags.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const config: Config = resolveConfig({
    configPath: typeof flags.config === 'string' ? flags.config : undefined,
    cwd: process.cwd(),
    env: process.env,
  });
  const host = typeof flags.host === 'string' ? flags.host : config.server.host;
  const port = typeof flags.port === 'string' ? Number(flags.port) : config.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${String(flags.port)}`);
  const tap = typeof flags.tap === 'string' ? Number(flags.tap) : config.logging.tap;
  const log = createLogger(typeof flags['log-level'] === 'string' ? flags['log-level'] : config.logging.level);

  const { startServices } = await import('../server/services.ts');
  const services = await startServices(config, log);
  const app: App = createApp(config, {
    ...services.appOptions,
    hooks: {
      ...services.appOptions.hooks,
      onRecord(record) {
        // Services first: they price the request, and the log line carries its cost.
        services.appOptions.hooks?.onRecord?.(record);
        logRecord(log, record);
      },
      tap,
      onTap(requestId, line) {
        log.info({ request_id: requestId, upstream_line: redactLine(line) }, 'tap');
      },
    },
  });
  await app.auth.refresh();
  if (app.auth.open && !isLoopback(host) && flags['allow-open'] !== true) {
    await services.close();
    throw new Error(
      `refusing to serve without client keys on ${host}: configure auth.keys (or 'sluice keys create'), or pass --allow-open`,
    );
  }
  const address = await app.listen(port, host);
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info(
    {
      url,
      config: config.source,
      providers: Object.keys(config.providers),
      models: Object.keys(config.models),
      open: app.auth.open,
    },
    app.auth.open ? 'listening (open: no client keys configured, any client may use this gateway)' : 'listening',
  );
  process.stderr.write(`sluice listening on ${url}${app.auth.open ? ' (open: no client keys configured)' : ''}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await app.close();
  await services.close();
  log.flush();
  return 0;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Upstream lines carry model output, not credentials, but a key echoed in an error body is masked. */
function redactLine(line: string): string {
  return line.replace(/(sk-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]{8,}/g, '$1…').replace(/(Bearer\s+)\S+/gi, '$1[redacted]');
}
