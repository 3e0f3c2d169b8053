// A real redis-server for the fleet tests: no persistence, loopback only, a free port, a temp dir.
// SPEC §9: when redis-server is missing the test skips with a printed reason, unless
// SLUICE_REQUIRE_SYSTEM=1, where it fails.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, freePort, unavailable } from './proxies.ts';

const START_TIMEOUT_MS = 10_000;

export interface RedisProcess {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** SIGKILL: the abrupt outage a fleet must survive. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts a fresh (empty) server on the same port after kill(). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that hangs with its connections open. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisProcess | undefined> {
  const bin = findProgram('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  if (!bin) return unavailable('redis-server', 'no redis-server binary (looked in /usr/bin, /usr/local/bin and PATH)');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const p = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc = p;
    p.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    p.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await pings(port))) {
      if (p.exitCode !== null) throw new Error(`redis-server exited with ${p.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING in ${START_TIMEOUT_MS} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const kill = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGCONT'); // a paused process must not outlive the test
    p.kill('SIGKILL');
    await exited;
  };

  try {
    await launch();
  } catch (err) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: launch,
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One PING over a raw socket: true on +PONG. */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}
