// Opens the store a config names (SPEC §2 `store:`): `sqlite:PATH` (relative to the working
// directory, SPEC §6) or `postgres://…`.

import { isAbsolute, resolve } from 'node:path';
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

export type { KeyLimits, Store, StoredKey, UsageRow } from './types.ts';
export { KeyExistsError } from './types.ts';
export { generateSecret, SECRET_PREFIX } from './secret.ts';
export { SqliteStore } from './sqlite.ts';
export { PostgresStore } from './postgres.ts';
export { UsageRecorder, type UsageRecorderOptions } from './usage-recorder.ts';

export interface OpenStoreOptions {
  cwd?: string;
  onError?(err: Error): void;
}

export function openStore(url: string, opts: OpenStoreOptions = {}): Store {
  if (/^postgres(ql)?:\/\//i.test(url)) return new PostgresStore(url, { onError: opts.onError });
  const path = sqlitePath(url);
  if (path !== undefined) return new SqliteStore(isAbsolute(path) ? path : resolve(opts.cwd ?? process.cwd(), path), { onError: opts.onError });
  throw new Error('unsupported store; use sqlite:PATH or postgres://…');
}

/** `sqlite:PATH`, `sqlite://PATH` or `sqlite:///ABSOLUTE`; undefined when not a sqlite URL. */
export function sqlitePath(url: string): string | undefined {
  const m = /^sqlite:(.*)$/i.exec(url);
  if (!m) return undefined;
  const rest = m[1]!.startsWith('//') ? m[1]!.slice(2) : m[1]!;
  return rest === '' ? undefined : rest;
}
