// Temporary directories for a test file, removed when its process exits (node --test runs each file
// in a process of its own), whether its tests passed or not: several hold fake credentials (service
// account keys, AWS credential files) that have no business staying in /tmp.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];

process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the OS temp dir, named `prefix` + random characters. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
