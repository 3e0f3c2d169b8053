// A real PostgreSQL for the store tests: `initdb` + `postgres` from /usr/lib/postgresql/*/bin in a
// temp dir, loopback TCP on a free port, trust auth, no fsync. initdb refuses to run as root, so under
// root both run as the `postgres` system user (the temp dir is handed to it). SPEC §9: when the
// programs are missing the test skips with a printed reason, unless SLUICE_REQUIRE_SYSTEM=1.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { findProgram, freePort, unavailable } from './proxies.ts';

const START_TIMEOUT_MS = 20_000;

export interface PostgresProcess {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The newest server install: /usr/lib/postgresql/<version>/bin, else PATH. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0]!, 'bin');
  }
  const initdb = findProgram('initdb');
  return initdb ? join(initdb, '..') : undefined;
}

/** uid/gid to run as: ourselves, or the postgres user when we are root. */
function identity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export async function startPostgres(): Promise<PostgresProcess | undefined> {
  const bin = findBinDir();
  if (!bin || !existsSync(join(bin, 'postgres'))) {
    return unavailable('postgresql', 'no initdb/postgres (looked in /usr/lib/postgresql/*/bin and PATH)');
  }
  const as = identity();
  if (process.getuid?.() === 0 && !as) return unavailable('postgresql', 'running as root and there is no postgres user to run initdb as');

  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sock');
  mkdirSync(sockets);
  if (as) for (const p of [dir, sockets]) chownSync(p, as.uid, as.gid);
  const port = await freePort();
  const run = { ...(as ?? {}), env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } };

  try {
    execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], {
      ...run,
      stdio: 'pipe',
      timeout: START_TIMEOUT_MS,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`initdb failed: ${e.stderr?.toString() || e.message}`);
  }

  let output = '';
  const proc: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-k', sockets, '-p', String(port), '-h', '127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
    { ...run, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGINT'); // fast shutdown
      const force = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(force);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`postgres exited with ${proc.exitCode}:\n${output}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`postgres did not accept connections in ${START_TIMEOUT_MS} ms:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, port, stop };
}
