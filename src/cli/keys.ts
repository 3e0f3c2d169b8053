// `sluice keys create|list|revoke|usage`: client keys in the store (SPEC §6), and what they spent (§12). The store is the one the config
// names (`store:`, default sqlite:./sluice.db in the working directory), so running this next to a
// gateway, or anywhere with the same PostgreSQL URL, manages the keys that gateway accepts.
//
// `create` prints the secret once, alone on stdout (so `KEY=$(sluice keys create --name ci)` works),
// with the note about it on stderr. Nothing else ever prints a secret or its digest.

import { parseArgs, UsageError } from './args.ts';
import { resolveConfig } from '../config/index.ts';
import { parseBudget } from '../config/spend.ts';
import { KeyExistsError, openStore, type KeyLimits, type Store, type StoredKey } from '../store/index.ts';
import { sinceDate } from '../store/since.ts';
import { summaryJson } from '../store/columns.ts';
import { formatUsd } from '../limits/budget.ts';

const HELP = `Usage:
  sluice keys create --name NAME [--models a,b] [--rpm N] [--tpm N] [--concurrency N] [--budget USD/PERIOD] [--json]
  sluice keys list [--json]
  sluice keys revoke NAME
  sluice keys usage [--key NAME] [--since 7d] [--json]

Manages client keys in the store named by the config ("store:", default sqlite:./sluice.db).

  --config FILE     the config whose store to use (default ./sluice.yaml, else the default store)
  --name NAME       a name for the key: shown in logs and usage records (letters, digits, . _ - @ :)
  --models a,b      models the key may use (default: all); provider/model names allowed
  --rpm N           requests per minute
  --tpm N           tokens per minute
  --concurrency N   requests in flight at once
  --budget USD/PER  spend limit: 50/day, 200/month or 1000/total (UTC days and months); over it the
                    key gets 429 budget_exceeded until the reset
  --key NAME        usage: only this key's requests
  --since D         usage: from D ago (30m, 24h, 7d; default 7d) or an ISO date (2025-06-01)
  --json            machine-readable output

usage prints requests, tokens (cached and reasoning among them) and cost per key and model, from the
usage the gateway recorded in the store. Costs are USD from the price catalog and pricing: (docs/pricing.md).

The secret (sk-sluice-…) is printed once by create and stored only as a SHA-256 digest.`;

const NAME = /^[\w.@:-]{1,64}$/;

export async function runKeys(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    values: ['config', 'name', 'models', 'rpm', 'tpm', 'concurrency', 'budget', 'key', 'since'],
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
        return await create(store, flags, Object.keys(config.models), Object.keys(config.providers), config.auth.keys.map((k) => k.name));
      case 'list':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        return await list(store, flags.json === true, describeStore(config.store));
      case 'revoke':
        if (rest.length !== 1) throw new UsageError('revoke takes exactly one key name');
        return await revoke(store, rest[0]!);
      case 'usage':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        return await usage(store, flags, describeStore(config.store));
      default:
        throw new UsageError(`unknown action "${action}" (create, list, revoke or usage)`);
    }
  } finally {
    await store.close();
  }
}

async function create(store: Store, flags: Record<string, string | boolean>, models: string[], providers: string[], staticNames: string[]): Promise<number> {
  const name = flags.name;
  if (typeof name !== 'string') throw new UsageError('create needs --name NAME');
  if (!NAME.test(name)) throw new UsageError(`--name must be 1-64 letters, digits or . _ - @ : (got "${name}")`);
  // Logs, usage, limits, budgets and stored Responses know a key by its name: a second key under a
  // static key's name would share all of them with it.
  if (staticNames.includes(name)) {
    process.stderr.write(`sluice keys: a key named "${name}" is configured in auth.keys; pick another name\n`);
    return 1;
  }
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
  if (flags.budget !== undefined) {
    const budget = typeof flags.budget === 'string' ? parseBudget(flags.budget) : '--budget needs a value';
    if (typeof budget === 'string') throw new UsageError(`--budget: ${budget}`);
    limits.budget = budget;
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
  const rows = [['NAME', 'MODELS', 'RPM', 'TPM', 'CONCURRENCY', 'BUDGET', 'CREATED', 'LAST USED']];
  for (const k of keys) {
    rows.push([
      k.name,
      k.models?.join(',') ?? '*',
      String(k.rpm ?? '-'),
      String(k.tpm ?? '-'),
      String(k.concurrency ?? '-'),
      k.budget ? `$${formatUsd(k.budget.usd)}/${k.budget.per}` : '-',
      isoMinute(k.createdAt),
      k.lastUsedAt ? isoMinute(k.lastUsedAt) : 'never',
    ]);
  }
  printTable(rows);
  return 0;
}

async function usage(store: Store, flags: Record<string, string | boolean>, where: string): Promise<number> {
  const since = sinceFlag(typeof flags.since === 'string' ? flags.since : '7d', Date.now());
  const key = typeof flags.key === 'string' ? flags.key : undefined;
  if (flags.key === true) throw new UsageError('--key needs a key name');
  const rows = await store.usageSummary(since, key);
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ since: since.toISOString(), key: key ?? null, rows: rows.map(summaryJson) })}\n`);
    return 0;
  }
  const scope = `${key === undefined ? 'all keys' : `key "${key}"`} since ${isoMinute(since)}`;
  if (rows.length === 0) {
    process.stdout.write(`no usage for ${scope} (${where})\n`);
    return 0;
  }
  const table = [['KEY', 'MODEL', 'REQUESTS', 'TOKENS IN', '(CACHED)', 'TOKENS OUT', '(REASONING)', 'COST USD']];
  const total = { requests: 0, in: 0, cached: 0, out: 0, reasoning: 0, usd: 0, estimated: 0, unpriced: 0 };
  for (const r of rows) {
    table.push([
      r.keyName ?? '(none)',
      r.model,
      String(r.requests),
      String(r.tokensIn),
      String(r.cacheReadTokens),
      String(r.tokensOut),
      String(r.reasoningTokens),
      `${formatUsd(r.costUsd)}${r.unpricedRequests > 0 ? '*' : ''}`,
    ]);
    total.requests += r.requests;
    total.in += r.tokensIn;
    total.cached += r.cacheReadTokens;
    total.out += r.tokensOut;
    total.reasoning += r.reasoningTokens;
    total.usd += r.costUsd;
    total.estimated += r.estimatedRequests;
    total.unpriced += r.unpricedRequests;
  }
  table.push(['TOTAL', '', String(total.requests), String(total.in), String(total.cached), String(total.out), String(total.reasoning), formatUsd(total.usd)]);
  process.stdout.write(`usage of ${scope}\n`);
  printTable(table);
  if (total.estimated > 0) process.stdout.write(`${total.estimated} request(s) had no usage from the upstream: their tokens (and cost) are estimated\n`);
  if (total.unpriced > 0) process.stdout.write(`* ${total.unpriced} request(s) had no known price and count $0 (add the model under pricing:)\n`);
  return 0;
}


function sinceFlag(text: string, now: number): Date {
  const since = sinceDate(text, now);
  if (since === undefined) throw new UsageError(`--since must be a duration such as 7d, 24h or 30m, or a date such as 2025-06-01 (got "${text}")`);
  return since;
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
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
    budget: k.budget ? { usd: k.budget.usd, per: k.budget.per } : null,
    created_at: k.createdAt.toISOString(),
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
  };
}

function describeLimits(k: KeyLimits): string {
  const parts = [`models: ${k.models?.join(', ') ?? 'all'}`];
  if (k.rpm !== undefined) parts.push(`rpm ${k.rpm}`);
  if (k.tpm !== undefined) parts.push(`tpm ${k.tpm}`);
  if (k.concurrency !== undefined) parts.push(`concurrency ${k.concurrency}`);
  if (k.budget !== undefined) parts.push(`budget $${formatUsd(k.budget.usd)} ${k.budget.per === 'total' ? 'in total' : `per ${k.budget.per}`}`);
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
