// A real 3-node Redis Cluster for the fleet tests (SPEC §11): three redis-server processes in
// cluster mode on loopback ports, joined with `redis-cli --cluster create … --cluster-yes`, no
// replicas, no persistence. Same shape as redis.ts's single server, so one suite runs on both.
// Skips (or fails under SLUICE_REQUIRE_SYSTEM=1) without redis-server or redis-cli.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findProgram, unavailable } from './proxies.ts';
import type { RedisProcess } from './redis.ts';

const run = promisify(execFile);
const NODES = 3;
/** A cluster node also listens on its port + 10000 (the cluster bus). */
const BUS_OFFSET = 10_000;
const START_TIMEOUT_MS = 20_000;

export async function startRedisCluster(): Promise<RedisProcess | undefined> {
  const server = findProgram('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  const cli = findProgram('redis-cli', ['/usr/bin/redis-cli', '/usr/local/bin/redis-cli']);
  if (!server) return unavailable('redis-server', 'no redis-server binary (looked in /usr/bin, /usr/local/bin and PATH)');
  if (!cli) return unavailable('redis-cli', 'no redis-cli binary (needed to create the cluster)');
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-cluster-'));
  const ports = await clusterPorts(NODES);
  const procs: Array<ChildProcess | undefined> = [];
  let output = '';

  const launch = (i: number): void => {
    const port = ports[i]!;
    const p = spawn(
      server,
      [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        // The node's cluster state survives a restart (kill + restart), its data does not.
        '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000',
        '--save', '', '--appendonly', 'no', '--dir', dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    p.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-4000)));
    procs[i] = p;
  };
  const cliOn = (port: number, ...args: string[]) => run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`redis cluster: ${what} within ${START_TIMEOUT_MS} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const clusterOk = async (): Promise<boolean> => {
    for (const port of ports) {
      const { stdout } = await cliOn(port, 'cluster', 'info');
      if (!stdout.includes('cluster_state:ok')) return false;
    }
    return true;
  };
  const kill = async (): Promise<void> => {
    await Promise.all(
      procs.map(async (p) => {
        if (!p || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise<void>((r) => p.once('exit', () => r()));
        p.kill('SIGCONT');
        p.kill('SIGKILL');
        await exited;
      }),
    );
  };

  try {
    for (let i = 0; i < NODES; i++) launch(i);
    for (const port of ports) await waitFor(`node ${port} did not answer PING`, async () => (await cliOn(port, 'ping')).stdout.includes('PONG'));
    await run(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 20_000 });
    await waitFor('the cluster did not reach cluster_state:ok', clusterOk);
  } catch (err) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    port: ports[0]!,
    kill,
    async restart() {
      for (let i = 0; i < NODES; i++) launch(i);
      await waitFor('the restarted cluster did not reach cluster_state:ok', clusterOk);
    },
    pause: () => procs.forEach((p) => p?.kill('SIGSTOP')),
    resume: () => procs.forEach((p) => p?.kill('SIGCONT')),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `n` free ports whose cluster-bus ports (+10000) are free too. */
async function clusterPorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let tries = 0; out.length < n && tries < 200; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (out.includes(port) || !(await isFree(port)) || !(await isFree(port + BUS_OFFSET))) continue;
    out.push(port);
  }
  if (out.length < n) throw new Error('no free port pairs for a redis cluster');
  return out;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}
