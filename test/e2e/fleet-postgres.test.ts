// Issue 4 acceptance with a real PostgreSQL: keys created with `sluice keys create` against the shared
// store authenticate on every sluice process using it, revocation reaches them all, usage lands in
// the store, and the secret exists only in the create output — never in logs, metrics or the
// database (only its SHA-256 digest). Skips without PostgreSQL (SPEC §9).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { hashKey } from '../../src/server/auth.ts';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startPostgres, type PostgresProcess } from '../helpers/postgres.ts';
import { NODE, ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let postgres: PostgresProcess | undefined;
let mock: MockServer;
let dir: string;
let configFile: string;
let config: string;
let one: SluiceProcess;
let two: SluiceProcess;
let first: string;
const cliOutput: string[] = [];

/** Runs `sluice keys …` with the shared config; resolves with stdout (stderr is kept for the grep). */
function keys(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(NODE, [join(ROOT, 'src/cli/entry.js'), 'keys', ...args, '--config', configFile], { cwd: dir, timeout: 15_000 }, (err, stdout, stderr) => {
      cliOutput.push(stderr);
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function create(name: string, ...extra: string[]): Promise<string> {
  const r = await keys('create', '--name', name, ...extra);
  assert.equal(r.code, 0, r.stderr);
  const secret = r.stdout.trim();
  assert.match(secret, /^sk-sluice-[0-9A-Za-z]{32}$/);
  return secret;
}

before(async () => {
  postgres = await startPostgres();
  if (!postgres) return;
  mock = await startMock({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'sluice-pg-test-'));
  configFile = join(dir, 'sluice.yaml');
  config = `
providers:
  good:
    type: openai
    base_url: ${mock.url}/v1
    api_key: sk-upstream-test
models:
  m:
    targets: [{ provider: good, model: m-good }]
  other:
    targets: [{ provider: good, model: m-other }]
store: ${postgres.url}
`;
  writeFileSync(configFile, config);
  // A first key before the gateways start, so they do not start open.
  first = await create('first');
  [one, two] = await Promise.all([startSluice({ config }), startSluice({ config })]);
});

after(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await mock?.close();
  await postgres?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ask(s: SluiceProcess, key: string, model = 'm'): Promise<Response> {
  return fetch(`${s.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function status(s: SluiceProcess, key: string, model = 'm'): Promise<number> {
  const res = await ask(s, key, model);
  await res.arrayBuffer();
  return res.status;
}

describe('keys in PostgreSQL shared by two instances', () => {
  let second = '';

  test('a key created while both run authenticates on both; others are refused', async (t) => {
    if (!postgres) return t.skip('postgresql not installed');
    assert.equal(await status(one, first), 200);
    assert.equal(await status(two, first), 200);
    second = await create('second', '--models', 'm', '--rpm', '100');
    assert.equal(await status(two, second), 200);
    assert.equal(await status(one, second), 200);
    assert.equal(await status(one, second, 'other'), 403, 'the stored key may only use its models');
    assert.equal(await status(two, `${second}x`), 401);
    assert.equal(await status(one, 'sk-sluice-00000000000000000000000000000000'), 401);
  });

  test('list shows names and limits, never secrets or digests', async (t) => {
    if (!postgres) return t.skip('postgresql not installed');
    const r = await keys('list', '--json');
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      list.map((k) => [k.name, k.models, k.rpm]),
      [
        ['first', null, null],
        ['second', ['m'], 100],
      ],
    );
    assert.ok(list[0]!.last_used_at, 'the first key was used');
    for (const s of [first, second]) {
      assert.equal(r.stdout.includes(s), false);
      assert.equal(r.stdout.includes(hashKey(s)), false);
    }
  });

  test('usage of both instances is recorded in the store', async (t) => {
    if (!postgres) return t.skip('postgresql not installed');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const deadline = Date.now() + 5000;
      let rows: Array<Record<string, unknown>> = [];
      while (Date.now() < deadline) {
        ({ rows } = await client.query("SELECT * FROM sluice_usage WHERE key_name = 'second' AND status = 200"));
        if (rows.length >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assert.equal(row.model, 'm');
        assert.equal(row.target, 'good/m-good');
        assert.equal(row.end_reason, 'completed');
        assert.ok((row.tokens_in as number) > 0 && (row.tokens_out as number) > 0);
      }
    } finally {
      await client.end();
    }
  });

  test('revoking reaches every instance', async (t) => {
    if (!postgres) return t.skip('postgresql not installed');
    const r = await keys('revoke', 'second');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await status(one, second), 401);
    assert.equal(await status(two, second), 401);
    assert.equal(await status(two, first), 200);
    assert.equal((await keys('revoke', 'second')).code, 1);
  });

  test('the secrets are nowhere but in the create output: not in logs, metrics or the database', async (t) => {
    if (!postgres) return t.skip('postgresql not installed');
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    let dump: string;
    try {
      const keysRows = await client.query('SELECT * FROM sluice_keys');
      const usageRows = await client.query('SELECT * FROM sluice_usage');
      dump = JSON.stringify([keysRows.rows, usageRows.rows]);
    } finally {
      await client.end();
    }
    assert.ok(dump.includes(hashKey(first)), 'the digest is what is stored');
    const outputs = [dump, ...cliOutput];
    for (const s of [one, two]) {
      const metrics = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${first}` } });
      const text = await metrics.text();
      outputs.push(s.stdout.join('\n'), s.stderr.join('\n'), metrics.status === 200 ? text : '');
    }
    for (const secret of [first, second]) {
      for (const text of outputs) {
        assert.equal(text.includes(secret), false);
        assert.equal(text.includes(secret.slice(10)), false);
      }
    }
  });
});
