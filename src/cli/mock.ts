// `sluice mock`: run the fault-injecting fake upstream (SPEC §8) until SIGINT/SIGTERM.

import { UsageError, parseArgs } from './args.ts';
import { directivesHelp } from '../mock/help.ts';
import { type MockRequestRecord, startMock } from '../mock/server.ts';
import { mockDialects } from '../protocols/index.ts';

/** The provider types the mock answers, each once, in registry order. */
function mockTypes(): string {
  return [...new Set(mockDialects().map((d) => d.name))].join(', ');
}

const DEFAULT_PORT = 4010;

const HELP = `Usage: sluice mock [--port N] [--host H] [--latency MS|chunk=MS,first=MS] [--chunks N] [--quiet]

A fake upstream that streams deterministic text and tool calls at a chosen pace and injects faults
on request, for every provider type sluice calls:
  ${mockTypes()}

  --port N        listen port (default ${DEFAULT_PORT}; 0 picks a free port)
  --host H        listen address (default 127.0.0.1)
  --latency L     MS between events, or chunk=MS,first=MS (first = before the first event)
  --chunks N      text deltas per answer (default 12)
  --quiet         do not log one line per request

`;

function nonNegativeInt(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/** `--latency 50` or `--latency chunk=50,first=300`. */
export function parseLatency(raw: string): { chunkDelayMs?: number; firstDelayMs?: number } {
  if (/^\d+$/.test(raw)) return { chunkDelayMs: Number(raw) };
  const out: { chunkDelayMs?: number; firstDelayMs?: number } = {};
  for (const part of raw.split(',')) {
    const [key, value] = part.split('=');
    if (value === undefined) throw new UsageError(`--latency: expected MS or chunk=MS,first=MS, got "${raw}"`);
    if (key === 'chunk') out.chunkDelayMs = nonNegativeInt('--latency chunk', value);
    else if (key === 'first') out.firstDelayMs = nonNegativeInt('--latency first', value);
    else throw new UsageError(`--latency: unknown part "${key}" (chunk, first)`);
  }
  return out;
}

function logLine(r: MockRequestRecord): string {
  const end = r.finishedAt ?? r.closedAt ?? Date.now();
  const directives = Object.entries(r.directives)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
  return `#${r.id} ${r.dialect} ${r.stream ? 'stream' : 'json'} ${r.path}${directives ? ` [${directives}]` : ''} -> ${r.outcome ?? '?'} ${end - r.startedAt}ms\n`;
}

export async function runMock(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { values: ['port', 'host', 'latency', 'chunks'], booleans: ['quiet'] });
  if (flags.help) {
    process.stdout.write(`${HELP}${directivesHelp()}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const port = typeof flags.port === 'string' ? nonNegativeInt('--port', flags.port) : DEFAULT_PORT;
  if (port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  const latency = typeof flags.latency === 'string' ? parseLatency(flags.latency) : {};
  const chunks = typeof flags.chunks === 'string' ? nonNegativeInt('--chunks', flags.chunks) : undefined;
  const quiet = flags.quiet === true;

  const mock = await startMock({
    port,
    host: typeof flags.host === 'string' ? flags.host : undefined,
    chunks,
    ...latency,
    // The CLI is for people watching a chain; tests use the record API instead.
    maxRecords: 1000,
    onRecord: quiet ? undefined : (r) => process.stdout.write(logLine(r)),
  });
  process.stdout.write(`sluice mock listening on ${mock.url}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await mock.close();
  return 0;
}
