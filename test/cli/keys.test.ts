// `sluice keys create` refuses the name of a static key in the config: logs, usage, limits, budgets
// and stored Responses know a key by its name, so a stored key of the same name would share them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/sluice.ts';

test('keys create refuses a static key name and creates any other', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-keys-cli-'));
  const config = join(dir, 'sluice.yaml');
  writeFileSync(config, `store: sqlite:${join(dir, 'keys.db')}\nauth:\n  keys:\n    - { name: ci, key: "sk-static-ci-secret" }\n`);
  const keys = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'src/cli/entry.js'), 'keys', ...args, '--config', config], { encoding: 'utf8', cwd: dir });
  const clash = keys('create', '--name', 'ci');
  assert.equal(clash.status, 1, clash.stderr);
  assert.match(clash.stderr, /a key named "ci" is configured in auth\.keys; pick another name/);
  assert.equal(clash.stdout, '', 'no secret printed');
  const other = keys('create', '--name', 'ci-2');
  assert.equal(other.status, 0, other.stderr);
  assert.match(other.stdout, /^sk-sluice-\w+\n$/);
  assert.match(keys('list').stdout, /^ci-2 /m);
  rmSync(dir, { recursive: true, force: true });
});
