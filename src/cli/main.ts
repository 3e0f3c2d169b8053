// `sluice <command>`: dispatches to one module per command. Each returns an exit code.

import { UsageError } from './args.ts';

const USAGE = `sluice — an LLM API gateway whose streams never hang, never buffer, never corrupt

Usage: sluice <command> [options]

Commands:
  serve [--config FILE] [--host H] [--port N] [--workers N|auto]
                                                run the gateway (default 127.0.0.1:4000)
  doctor URL [--model M] [--key K] [--protocol openai|responses|anthropic|gemini] [--json]
                                                diagnose streaming through every hop to URL
  mock [--port N] [--latency MS]                a fault-injecting fake upstream for every provider type
  check FILE                                    validate a config file
  keys create|list|revoke|usage [--config FILE] manage client keys in the store; usage and cost per key

Run 'sluice <command> --help' for a command's options.`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.ts')).runServe,
  mock: async () => (await import('./mock.ts')).runMock,
  check: async () => (await import('./check.ts')).runCheck,
  doctor: async () => (await import('./doctor.ts')).runDoctor,
  keys: async () => (await import('./keys.ts')).runKeys,
};

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = name === undefined ? 2 : 0;
    return;
  }
  if (name === '--version' || name === '-v') {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`sluice ${pkg.version}\n`);
    return;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`sluice: unknown command "${name}"\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const run = await load();
    const code = await run(rest);
    if (code !== 0) process.exitCode = code;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sluice ${name}: ${err.message}\nRun 'sluice ${name} --help' for usage.\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`sluice ${name}: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
