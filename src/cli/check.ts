// `sluice check FILE [--json]`: validate a config file and print every problem with its path
// (SPEC §1). Exit 0 valid, 1 problems found, 2 usage error. Problems never contain secret values
// (config/redact.ts), and nothing else from the file is echoed.

import { resolve } from 'node:path';
import { ConfigError, type Env, loadConfigFile } from '../config/index.ts';
import { UsageError, parseArgs } from './args.ts';

const HELP = `Usage: sluice check FILE [--json]

Validates a sluice config file: YAML syntax, unknown fields, types, durations and sizes, \${VAR}
references (resolved from the current environment), and references between sections (every
target's provider exists, key names are unique, …). Prints every problem as "path: message".

  --json    print {"ok", "providers", "models"} or {"ok": false, "problems": [...]} on stdout

Exit status: 0 valid, 1 problems found, 2 usage error.`;

export interface Output {
  write(chunk: string): unknown;
}

export interface CheckIO {
  stdout?: Output;
  stderr?: Output;
  /** For `${VAR}` substitution; defaults to process.env. */
  env?: Env;
  /** FILE is taken relative to this; defaults to process.cwd(). */
  cwd?: string;
}

export async function runCheck(argv: string[], io: CheckIO = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;

  let flags: Record<string, string | boolean>;
  let positionals: string[];
  try {
    ({ flags, positionals } = parseArgs(argv, { booleans: ['json'] }));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    stderr.write(`sluice check: ${err.message}\n\n${HELP}\n`);
    return 2;
  }
  if (flags.help === true) {
    stdout.write(`${HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    const problem = positionals.length === 0 ? 'missing FILE' : `expected one FILE, got ${positionals.length}`;
    stderr.write(`sluice check: ${problem}\n\n${HELP}\n`);
    return 2;
  }

  const file = positionals[0];
  const json = flags.json === true;
  try {
    // Resolved only when a cwd is given, so messages name the file as the user typed it.
    const path = io.cwd === undefined ? file : resolve(io.cwd, file);
    const config = loadConfigFile(path, io.env ?? process.env);
    // Count what the file declares, not the built-in demo provider/model sluice adds to every config.
    const providers = Object.values(config.providers).filter((p) => p.builtin !== true).length;
    const models = Object.values(config.models).filter((m) => m.builtin !== true).length;
    stdout.write(json ? `${JSON.stringify({ ok: true, providers, models })}\n` : `ok: ${providers} providers, ${models} models\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (json) stdout.write(`${JSON.stringify({ ok: false, problems: err.problems })}\n`);
    else stderr.write(err.problems.map((p) => `${p}\n`).join(''));
    return 1;
  }
}
