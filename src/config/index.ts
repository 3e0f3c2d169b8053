// Configuration entry points (SPEC §1, §2). Everything else in sluice reads a resolved Config.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildConfig } from './build.ts';
import { DEFAULT_CONFIG_FILE } from './defaults.ts';
import type { Env } from './env.ts';
import { ConfigError } from './errors.ts';
import { parseYamlTree } from './yaml.ts';
import type { Config } from './types.ts';
import { zeroConfig } from './zero-config.ts';

export type * from './types.ts';
export type { Env } from './env.ts';
export { ConfigError, formatPath } from './errors.ts';
export { parseDuration, parseSize } from './units.ts';
export { zeroConfig } from './zero-config.ts';
export { builtinDemoModel, builtinDemoProvider } from './demo.ts';
export { PROVIDER_PRESETS, type ProviderPreset } from './presets.ts';
export { normalizeBaseUrl } from './base-url.ts';
export { DEFAULT_CONFIG_FILE, ZERO_CONFIG_SOURCE } from './defaults.ts';

export interface ParseOptions {
  env?: Env;
  /** Where the text came from, for messages and Config.source. */
  source?: string;
}

/** Parses and validates sluice.yaml text. Throws ConfigError listing every problem. */
export function parseConfig(yamlText: string, opts: ParseOptions = {}): Config {
  const source = opts.source ?? '(config)';
  return buildConfig(parseYamlTree(yamlText, source), source, opts.env ?? process.env);
}

function readProblem(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${path}: file not found`;
  if (code === 'EISDIR') return `${path}: is a directory, not a config file`;
  if (code === 'EACCES' || code === 'EPERM') return `${path}: permission denied`;
  return `${path}: cannot read (${code ?? (err as Error).message})`;
}

/** Reads and parses a config file. Throws ConfigError, also when the file cannot be read. */
export function loadConfigFile(path: string, env: Env = process.env): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([readProblem(path, err)]);
  }
  return parseConfig(text, { env, source: path });
}

export interface ResolveArgs {
  /** --config FILE; relative paths are taken from cwd. */
  configPath?: string;
  cwd?: string;
  env?: Env;
}

/** --config FILE, else ./sluice.yaml if present, else zero-config (SPEC §1). */
export function resolveConfig(args: ResolveArgs = {}): Config {
  const cwd = args.cwd ?? process.cwd();
  const env = args.env ?? process.env;
  if (args.configPath !== undefined) return loadConfigFile(resolve(cwd, args.configPath), env);
  const local = resolve(cwd, DEFAULT_CONFIG_FILE);
  if (existsSync(local)) return loadConfigFile(local, env);
  return zeroConfig(env);
}
