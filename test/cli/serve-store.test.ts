// `sluice serve` with a store it cannot reach stops with a message that names the store setting and
// the failure, never the URL's password.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/sluice.ts';

test('an unreachable postgres store: exit 1 naming the store, no password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-serve-store-'));
  const config = join(dir, 'sluice.yaml');
  // Port 9 (discard) is closed on loopback: the connection is refused at once.
  writeFileSync(config, 'store: "postgres://sluice:pg-password-secret@127.0.0.1:9/sluice"\n');
  const r = spawnSync(process.execPath, [join(ROOT, 'src/cli/entry.js'), 'serve', '--config', config, '--port', '0'], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /store: cannot read client keys from the postgres store: .*ECONNREFUSED/);
  assert.doesNotMatch(r.stderr + r.stdout, /pg-password-secret/);
  rmSync(dir, { recursive: true, force: true });
});
