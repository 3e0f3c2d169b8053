// nginx as a plain streaming reverse proxy, when /usr/sbin/nginx (or nginx on PATH) is installed: a
// temporary prefix, proxy_buffering off, keep-alive upstream connections, one access-log line per
// request (sluice logs one too), listening on 127.0.0.1 only. `/paced/…` goes to the paced upstream.

import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import type { Endpoint } from './client.ts';
import { checkLoopback, type BenchEnv, type Contender } from './contender.ts';
import { freePort, processTree, sleep } from './lib.ts';

const START_TIMEOUT_MS = 10_000;

function findNginx(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const file of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', ...dirs.map((d) => join(d, 'nginx'))]) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function config(prefix: string, port: number, env: BenchEnv): string {
  const proxy = `proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 600s;`;
  // As root, workers need a user; as anyone else the directive is ignored with a warning, so omit it.
  const user = process.getuid?.() === 0 ? 'user nobody nogroup;' : '';
  return `${user}
daemon off;
master_process on;
worker_processes auto;
worker_rlimit_nofile 16384;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log ${prefix}/logs/access.log;
  client_body_temp_path ${prefix}/tmp/client_body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  upstream mock { server 127.0.0.1:${env.mockPort}; keepalive 256; }
  upstream paced { server 127.0.0.1:${env.pacedPort}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mock;
      ${proxy}
    }
    location /paced/ {
      proxy_pass http://paced/;
      ${proxy}
    }
  }
}
`;
}

async function waitForPort(port: number, deadline: number): Promise<boolean> {
  while (performance.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

export async function startNginx(env: BenchEnv, endpoints: (port: number) => { mock: Endpoint; paced: Endpoint }): Promise<Contender | string> {
  const bin = findNginx();
  if (bin === undefined) return 'not installed (looked in /usr/sbin, /usr/local/sbin and PATH)';
  // `nginx -v` prints `nginx version: nginx/1.22.1` on stderr.
  const version = spawnSync(bin, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '') || 'nginx';
  const prefix = join(env.workDir, 'nginx');
  for (const sub of ['logs', 'tmp/client_body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) mkdirSync(join(prefix, sub), { recursive: true });
  chmodSync(prefix, 0o755);
  const port = await freePort();
  const confFile = join(prefix, 'nginx.conf');
  writeFileSync(confFile, config(prefix, port, env));
  const proc = spawn(bin, ['-p', `${prefix}/`, '-c', confFile, '-e', join(prefix, 'logs/error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  };
  if (!(await waitForPort(port, performance.now() + START_TIMEOUT_MS)) || proc.exitCode !== null) {
    await stop();
    let log = '';
    try {
      log = readFileSync(join(prefix, 'logs/error.log'), 'utf8');
    } catch {
      // no log yet
    }
    return `did not start: ${(stderr + log).trim().slice(-300)}`;
  }
  // The workers are forked after the port opens; give them a moment so the tree is complete.
  await sleep(200);
  const { mock, paced } = endpoints(port);
  return checkLoopback({
    name: 'nginx',
    mock,
    paced,
    upstream: 'openai',
    pids: processTree(proc.pid!),
    gcOnSignal: false,
    version,
    stop,
  });
}
