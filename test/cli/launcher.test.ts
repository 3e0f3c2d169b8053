// ./bin/sluice runs on the Node pinned in node_modules; an old Node gets a clear message, not a
// stack trace; every command answers --help.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/sluice.ts';
import { mockDialects } from '../../src/protocols/index.ts';

const BIN = join(ROOT, 'bin/sluice');

test('bin/sluice uses the pinned Node and every command answers --help', () => {
  for (const cmd of ['serve', 'mock', 'check', 'doctor', 'keys']) {
    // A PATH without any node: the launcher must find the pinned one by itself.
    const r = spawnSync(BIN, [cmd, '--help'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: process.env.HOME } });
    assert.equal(r.status, 0, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage:\s+sluice/, `${cmd} --help prints usage`);
  }
  const top = spawnSync(BIN, ['--help'], { encoding: 'utf8' });
  assert.equal(top.status, 0);
  for (const cmd of ['serve', 'doctor', 'mock', 'check', 'keys']) assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
  const unknown = spawnSync(BIN, ['frobnicate'], { encoding: 'utf8' });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});

test("the overview's synopses carry every option docs/spec.md §1 names, and mock --help every type it fakes", () => {
  const top = spawnSync(BIN, ['--help'], { encoding: 'utf8' }).stdout;
  const spec = readFileSync(join(ROOT, 'docs/spec.md'), 'utf8');
  const rows = [...spec.matchAll(/^\| `\.\/bin\/sluice (\w+)([^`]*)` \|/gm)];
  assert.ok(rows.length >= 5, 'spec §1 rows found');
  for (const [, cmd, synopsis] of rows) {
    const line = top.split('\n').find((l) => l.startsWith(`  ${cmd} `)) ?? '';
    assert.ok(line, `overview lists ${cmd}`);
    for (const flag of synopsis!.match(/--[a-z-]+/g) ?? []) assert.ok(line.includes(flag), `overview line of ${cmd} lacks ${flag}: ${line}`);
    const choices = /--protocol ([a-z|\\]+)/.exec(synopsis!)?.[1]?.split(/\\?\|/);
    for (const choice of choices ?? []) assert.ok(line.includes(choice), `overview line of ${cmd} lacks --protocol ${choice}`);
  }
  const mock = spawnSync(BIN, ['mock', '--help'], { encoding: 'utf8' }).stdout;
  for (const d of mockDialects()) assert.ok(mock.includes(d.name), `mock --help lacks ${d.name}`);
});

test('an old Node exits with a clear message instead of a stack trace', (t) => {
  const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
    if (!existsSync(p)) return false;
    const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    const [major, minor] = v.split('.').map(Number);
    return major! < 22 || (major === 22 && minor! < 18);
  });
  if (!old) {
    t.skip('no Node older than 22.18 on this machine to try');
    return;
  }
  const r = spawnSync(old, [join(ROOT, 'src/cli/entry.js'), 'serve'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Node\.js >= 22\.18 is required/);
  assert.match(r.stderr, /npm ci/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});

test('bin/sluice bounds the young generation unless NODE_OPTIONS sets it, and turns allocation-site pretenuring off', () => {
  // A preloaded module prints the flags Node was started with, then the command runs as usual.
  const dir = mkdtempSync(join(tmpdir(), 'sluice-launcher-'));
  const probe = join(dir, 'probe.mjs');
  writeFileSync(probe, 'process.stderr.write(JSON.stringify(process.execArgv) + "\\n");\n');
  const flags = (nodeOptions: string): string[] => {
    const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: nodeOptions } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stderr.trim().split('\n')[0]!) as string[];
  };
  assert.ok(flags(`--import=${probe}`).includes('--max-semi-space-size=8'));
  assert.ok(!flags(`--import=${probe} --max-semi-space-size=32`).includes('--max-semi-space-size=8'));
  assert.ok(flags(`--import=${probe}`).includes('--no-allocation-site-pretenuring'));
  assert.ok(flags(`--import=${probe} --max-semi-space-size=32`).includes('--no-allocation-site-pretenuring'));
  rmSync(dir, { recursive: true, force: true });
});
