// `sluice keys create|list|revoke`: client keys in the store (SPEC §6). The store is the one the config
// names (`store:`, default sqlite:./sluice.db in the working directory), so running this next to a
// gateway, or anywhere with the same PostgreSQL URL, manages the keys that gateway accepts.
//
// `create` prints the secret once, alone on stdout (so `KEY=$(sluice keys create --name ci)` works),
// with the note about it on stderr. Nothing else ever prints a secret or its digest.

import { parseArgs, UsageError } from './args.ts';
import { resolveConfig } from '../config/index.ts';
import { KeyExistsError, openStore, type KeyLimits, type Store, type StoredKey } from '../store/index.ts';

const HELP = `Usage:
  sluice keys create --name NAME [--models a,b] [--rpm N] [--tpm N] [--concurrency N] [--json]
  sluice keys list [--json]
  sluice keys revoke NAME

Manages client keys in the store named by the config ("store:", default sqlite:./sluice.db).

  --config FILE     the config whose store to use (default ./sluice.yaml, else the default store)
  --name NAME       a name for the key: shown in logs and usage records (letters, digits, . _ - @ :)
  --models a,b      models the key may use (default: all); provider/model names allowed
  --rpm N           requests per minute
  --tpm N           tokens per minute
  --concurrency N   requests in flight at once
  --json            machine-readable output

The secret (sk-sluice-…) is printed once by create and stored only as a SHA-256 digest.`;

const NAME = /^[\w.@:-]{1,64}$/;

export async function runKeys(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    values: ['config', 'name', 'models', 'rpm', 'tpm', 'concurrency'],
    booleans: ['json'],
  });
  const [action, ...rest] = positionals;
  if (flags.help || action === undefined) {
    process.stdout.write(`${HELP}\n`);
    return flags.help ? 0 : 2;
  }
  const config = resolveConfig({ configPath: typeof flags.config === 'string' ? flags.config : undefined });
  const store = openStore(config.store);
  try {
    switch (action) {
      case 'create':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        return await create(store, flags, Object.keys(config.models), Object.keys(config.providers));
      case 'list':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        return await list(store, flags.json === true, describeStore(config.store));
      case 'revoke':
        if (rest.length !== 1) throw new UsageError('revoke takes exactly one key name');
        return await revoke(store, rest[0]!);
      default:
        throw new UsageError(`unknown action "${action}" (create, list or revoke)`);
    }
  } finally {
    await store.close();
  }
}

async function create(store: Store, flags: Record<string, string | boolean>, models: string[], providers: string[]): Promise<number> {
  const name = flags.name;
  if (typeof name !== 'string') throw new UsageError('create needs --name NAME');
  if (!NAME.test(name)) throw new UsageError(`--name must be 1-64 letters, digits or . _ - @ : (got "${name}")`);
  const limits: KeyLimits = {};
  if (typeof flags.models === 'string') {
    const list = flags.models.split(',').map((m) => m.trim()).filter((m) => m !== '');
    if (list.length === 0) throw new UsageError('--models needs at least one model name');
    for (const m of list) {
      const provider = m.includes('/') ? m.slice(0, m.indexOf('/')) : undefined;
      if (!models.includes(m) && !(provider && providers.includes(provider))) {
        process.stderr.write(`warning: model "${m}" is not configured here; the key may use it once it is\n`);
      }
    }
    limits.models = list;
  }
  for (const field of ['rpm', 'tpm', 'concurrency'] as const) {
    const raw = flags[field];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || !/^[1-9]\d{0,9}$/.test(raw)) throw new UsageError(`--${field} must be a positive integer`);
    limits[field] = Number(raw);
  }
  let created;
  try {
    created = await store.createKey(name, limits);
  } catch (err) {
    if (err instanceof KeyExistsError) {
      process.stderr.write(`sluice keys: ${err.message}; revoke it first or pick another name\n`);
      return 1;
    }
    throw err;
  }
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ ...keyJson(created.key), key: created.secret })}\n`);
  } else {
    process.stderr.write(`created key "${name}" (${describeLimits(created.key)}); the secret below is shown only this once:\n`);
    process.stdout.write(`${created.secret}\n`);
  }
  return 0;
}

async function list(store: Store, json: boolean, where: string): Promise<number> {
  const keys = await store.listKeys();
  if (json) {
    process.stdout.write(`${JSON.stringify(keys.map(keyJson))}\n`);
    return 0;
  }
  if (keys.length === 0) {
    process.stdout.write(`no keys in the store (${where})\n`);
    return 0;
  }
  const rows = [['NAME', 'MODELS', 'RPM', 'TPM', 'CONCURRENCY', 'CREATED', 'LAST USED']];
  for (const k of keys) {
    rows.push([
      k.name,
      k.models?.join(',') ?? '*',
      String(k.rpm ?? '-'),
      String(k.tpm ?? '-'),
      String(k.concurrency ?? '-'),
      isoMinute(k.createdAt),
      k.lastUsedAt ? isoMinute(k.lastUsedAt) : 'never',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  return 0;
}

async function revoke(store: Store, name: string): Promise<number> {
  if (!(await store.revokeKey(name))) {
    process.stderr.write(`sluice keys: no active key named "${name}"\n`);
    return 1;
  }
  process.stdout.write(`revoked key "${name}"\n`);
  return 0;
}

function keyJson(k: StoredKey): Record<string, unknown> {
  return {
    name: k.name,
    models: k.models ?? null,
    rpm: k.rpm ?? null,
    tpm: k.tpm ?? null,
    concurrency: k.concurrency ?? null,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
  };
}

function describeLimits(k: KeyLimits): string {
  const parts = [`models: ${k.models?.join(', ') ?? 'all'}`];
  if (k.rpm !== undefined) parts.push(`rpm ${k.rpm}`);
  if (k.tpm !== undefined) parts.push(`tpm ${k.tpm}`);
  if (k.concurrency !== undefined) parts.push(`concurrency ${k.concurrency}`);
  return parts.join('; ');
}

function isoMinute(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** Scheme and place only: a PostgreSQL URL may carry a password. */
function describeStore(url: string): string {
  if (url.toLowerCase().startsWith('sqlite:')) return url;
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres';
  }
}
