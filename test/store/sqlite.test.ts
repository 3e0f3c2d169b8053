// The embedded store (SPEC §6) in a temp dir: keys created, found by digest, listed, revoked; usage
// rows; the file is created on first write only; a secret never reaches the file, only its digest.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashKey } from '../../src/server/auth.ts';
import { KeyExistsError, SqliteStore, generateSecret, openStore, sqlitePath } from '../../src/store/index.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('secrets', () => {
  test('sk-sluice- + 32 base62, all different, characters spread evenly', () => {
    const seen = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const s = generateSecret();
      assert.match(s, /^sk-sluice-[0-9A-Za-z]{32}$/);
      seen.add(s);
      for (const ch of s.slice(10)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    assert.equal(seen.size, 2000);
    assert.equal(counts.size, 62);
    // 64000 characters over 62 symbols: about 1032 each (sd ≈ 32).
    for (const [ch, n] of counts) assert.ok(n > 850 && n < 1220, `${ch}: ${n}`);
  });
});

describe('SqliteStore', () => {
  test('reads do not create the file; the first write does', async () => {
    const path = join(dir, 'lazy', 'sluice.db');
    const store = new SqliteStore(path);
    assert.equal(await store.hasKeys(), false);
    assert.equal(await store.findByHash(hashKey('sk-sluice-x')), undefined);
    assert.deepEqual(await store.listKeys(), []);
    assert.equal(await store.revokeKey('x'), false);
    assert.equal(existsSync(path), false);
    await store.createKey('first', {});
    assert.equal(existsSync(path), true);
    assert.equal(await store.hasKeys(), true);
    await store.close();
  });

  test('create, find by digest, list, revoke', async () => {
    const path = join(dir, 'keys.db');
    const store = new SqliteStore(path);
    const { secret, key } = await store.createKey('ci', { models: ['fast', 'local/qwen'], rpm: 60, tpm: 1000, concurrency: 2 });
    assert.match(secret, /^sk-sluice-[0-9A-Za-z]{32}$/);
    assert.equal(key.name, 'ci');
    const found = await store.findByHash(hashKey(secret));
    assert.deepEqual(found, { name: 'ci', models: ['fast', 'local/qwen'], rpm: 60, tpm: 1000, concurrency: 2, source: 'store' });
    assert.equal(await store.findByHash(hashKey(`${secret}x`)), undefined);
    assert.equal(await store.findByHash('00'.repeat(32)), undefined);

    const plain = await store.createKey('plain', {});
    assert.deepEqual(await store.findByHash(hashKey(plain.secret)), { name: 'plain', source: 'store' });
    await assert.rejects(store.createKey('ci', {}), KeyExistsError);

    const list = await store.listKeys();
    assert.deepEqual(
      list.map((k) => k.name),
      ['ci', 'plain'],
    );
    assert.ok(list[0]!.createdAt instanceof Date);
    assert.ok(list[0]!.lastUsedAt instanceof Date, 'the lookup above marked it used');
    assert.equal(list[1]!.lastUsedAt instanceof Date, true);
    for (const k of list) {
      const text = JSON.stringify(k);
      assert.ok(!/hash|secret|sk-sluice/.test(text), text);
    }

    assert.equal(await store.revokeKey('ci'), true);
    assert.equal(await store.revokeKey('ci'), false);
    assert.equal(await store.findByHash(hashKey(secret)), undefined);
    assert.deepEqual(
      (await store.listKeys()).map((k) => k.name),
      ['plain'],
    );
    // A revoked name can be used again, with a new secret.
    const again = await store.createKey('ci', { rpm: 1 });
    assert.notEqual(again.secret, secret);
    assert.equal((await store.findByHash(hashKey(again.secret)))?.rpm, 1);
    await store.close();

    // Another handle on the same file (another process in real life) sees the same keys.
    const other = openStore(`sqlite:${path}`);
    assert.equal((await other.findByHash(hashKey(plain.secret)))?.name, 'plain');
    await other.close();
  });

  test('usage rows', async () => {
    const store = new SqliteStore(join(dir, 'usage.db'));
    const base = { model: 'fast', status: 200, estimated: false, tokensIn: 10, tokensOut: 20 };
    await store.recordUsage([
      { ...base, time: new Date(1000), requestId: 'r1', keyName: 'ci', target: 'a/x', endReason: 'completed' },
      {
        ...base,
        time: new Date(2000),
        requestId: 'r2',
        target: 'b/y',
        endReason: 'client_abort',
        status: 499,
        estimated: true,
        tokensOut: 3,
      },
    ]);
    await store.recordUsage([]);
    const rows = await store.recentUsage(10);
    assert.deepEqual(rows, [
      { ...base, time: new Date(2000), requestId: 'r2', keyName: undefined, target: 'b/y', endReason: 'client_abort', status: 499, estimated: true, tokensOut: 3 },
      { ...base, time: new Date(1000), requestId: 'r1', keyName: 'ci', target: 'a/x', endReason: 'completed' },
    ]);
    assert.equal((await store.recentUsage(1)).length, 1);
    await store.close();
  });

  test('a batch of usage rows larger than one multi-row insert: every row once, in order, with its own values', async () => {
    const store = new SqliteStore(join(dir, 'usage-batch.db'));
    // 32 rows go per INSERT statement: two full statements and a rest of 6 in one of its own, then a
    // batch of exactly one statement's worth.
    const make = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({
        time: new Date(10_000 + from + i),
        requestId: `r${from + i}`,
        keyName: i % 3 === 0 ? undefined : `k${i % 3}`,
        model: 'm',
        target: 'a/x',
        tokensIn: from + i,
        tokensOut: 2 * (from + i),
        cacheReadTokens: i % 2 === 0 ? i : undefined,
        estimated: i % 5 === 0,
        endReason: 'completed',
        status: 200,
        costUsd: i % 4 === 0 ? undefined : (from + i) / 1000,
      }));
    const first = make(70, 0);
    const second = make(32, 70);
    await store.recordUsage(first);
    await store.recordUsage(second);
    const rows = (await store.recentUsage(1000)).reverse();
    assert.equal(rows.length, 102);
    assert.deepEqual(
      rows.map((r) => [r.requestId, r.keyName, r.tokensIn, r.tokensOut, r.cacheReadTokens, r.estimated, r.costUsd, r.time.getTime()]),
      [...first, ...second].map((r) => [r.requestId, r.keyName, r.tokensIn, r.tokensOut, r.cacheReadTokens, r.estimated, r.costUsd, r.time.getTime()]),
    );
    await store.close();
  });

  test('the secret is nowhere in the database files; its digest is', async () => {
    const path = join(dir, 'secret.db');
    const store = new SqliteStore(path);
    const { secret } = await store.createKey('grep-me', { rpm: 5 });
    await store.findByHash(hashKey(secret));
    await store.recordUsage([
      {
        time: new Date(),
        requestId: 'r',
        keyName: 'grep-me',
        model: 'm',
        tokensIn: 1,
        tokensOut: 1,
        estimated: false,
        endReason: 'completed',
        status: 200,
      },
    ]);
    const files = [path, `${path}-wal`, `${path}-shm`];
    const bytes = (): Buffer => Buffer.concat(files.filter((f) => existsSync(f)).map((f) => readFileSync(f)));
    // Checked while open (WAL holds the latest writes) and after close (checkpointed into the file).
    for (const when of ['open', 'closed']) {
      const all = bytes();
      assert.equal(all.includes(secret), false, `secret in the files (${when})`);
      assert.equal(all.includes(secret.slice(10)), false, `secret body in the files (${when})`);
      assert.equal(all.includes(hashKey(secret)), true, `the digest is what is stored (${when})`);
      if (when === 'open') await store.close();
    }
  });
});

test('sqlite URLs', () => {
  assert.equal(sqlitePath('sqlite:./sluice.db'), './sluice.db');
  assert.equal(sqlitePath('sqlite:///var/lib/sluice.db'), '/var/lib/sluice.db');
  assert.equal(sqlitePath('sqlite:data/x.db'), 'data/x.db');
  assert.equal(sqlitePath('postgres://h/db'), undefined);
  const store = openStore('sqlite:./rel.db', { cwd: dir });
  assert.equal((store as SqliteStore).path, join(dir, 'rel.db'));
});
