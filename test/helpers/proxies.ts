// Real reverse proxies for end-to-end tests: the system nginx and Caddy, each run unprivileged in
// its own temporary prefix on a free loopback port, in front of a loopback upstream (usually a
// sluice). SPEC §9: when the program is missing the test skips with a printed reason, unless
// SLUICE_REQUIRE_SYSTEM=1, where it fails.
//
// Configs may be given as a file path or as literal text. These tokens are replaced before use:
//   {{UPSTREAM}}  host:port of the upstream, e.g. 127.0.0.1:41234
//   {{LISTEN}}    host:port to listen on,      e.g. 127.0.0.1:45678
//   {{PREFIX}}    the proxy's temporary directory (logs, temp files, pid)

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

export interface ProxyProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** The temporary prefix (config, logs); removed by stop(). */
  dir: string;
  /** The config file the proxy runs with, after token substitution. */
  configFile: string;
  /** The proxy's own log output so far (nginx error log / Caddy log), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  upstreamPort: number;
  upstreamHost?: string;
  /**
   * A file path or literal text: either a full nginx.conf (it has an `http {` block) or the contents
   * of an http block (upstream/server blocks) — what goes into conf.d. Omit to generate one from the
   * options below.
   */
  config?: string;
  /**
   * Generated config only. false (default): `proxy_buffering off`. true: the classic misconfiguration —
   * `proxy_buffering on` with large buffers and `proxy_ignore_headers X-Accel-Buffering`, so nginx
   * buffers even though sluice asks it not to.
   */
  buffering?: boolean;
  /**
   * Generated config only: HTTP version towards the upstream. Default 1.1, except with buffering: true,
   * where it is nginx's own default 1.0 — measured with nginx 1.22: with a chunked HTTP/1.1 upstream,
   * nginx forwards each chunk to a fast client even with buffering on; with HTTP/1.0 it holds the body.
   */
  upstreamHttpVersion?: '1.0' | '1.1';
  /** Generated config only: proxy_read_timeout in seconds (default 60, nginx's default). */
  readTimeoutS?: number;
  /** Generated config only: extra directives inside `location / { … }`. */
  locationExtra?: string;
}

export interface CaddyOptions {
  upstreamPort: number;
  upstreamHost?: string;
  /** A Caddyfile path or literal text; its site address should be `http://{{LISTEN}}`. Omit to generate one. */
  caddyfile?: string;
  /** Generated Caddyfile only: extra lines inside `reverse_proxy {{UPSTREAM}} { … }`. */
  proxyExtra?: string;
}

const START_TIMEOUT_MS = 10_000;

/** Finds a program at the usual places or on PATH; undefined when absent. */
export function findProgram(name: string, candidates: string[] = []): string | undefined {
  const env = process.env[`SLUICE_${name.toUpperCase()}_BIN`];
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const file of [...(env ? [env] : []), ...candidates, ...dirs.map((d) => join(d, name))]) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next place
    }
  }
  return undefined;
}

/**
 * The missing-program policy of SPEC §9: throws under SLUICE_REQUIRE_SYSTEM=1, otherwise prints the
 * reason and returns undefined for the test to skip.
 */
export function unavailable(program: string, why: string): undefined {
  const message = `${program} unavailable: ${why}`;
  if (process.env.SLUICE_REQUIRE_SYSTEM === '1') throw new Error(`${message} (SLUICE_REQUIRE_SYSTEM=1)`);
  process.stderr.write(`# skip: ${message}\n`);
  return undefined;
}

/** `if (!requireOrSkip(t, nginx, 'nginx')) return;` — skips the test with a reason when the launcher gave undefined. */
export function requireOrSkip<T>(t: TestContext, value: T | undefined, program: string): value is T {
  if (value !== undefined) return true;
  t.skip(`${program} not installed`);
  return false;
}

export async function startNginx(opts: NginxOptions): Promise<ProxyProcess | undefined> {
  const bin = findProgram('nginx', ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']);
  if (!bin) return unavailable('nginx', 'no nginx binary (looked in /usr/sbin, /usr/local/sbin and PATH)');
  return launch('nginx', async (dir, port) => {
    for (const sub of ['tmp/client_body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi', 'logs']) mkdirSync(join(dir, sub), { recursive: true });
    const tokens = tokenMap(dir, port, opts.upstreamHost, opts.upstreamPort);
    const source = opts.config === undefined ? generatedNginxServer(opts) : readConfig(opts.config);
    const text = substitute(source, tokens);
    const full = /^\s*http\s*\{/m.test(text);
    const conf = full ? completeNginxConf(text, dir) : wrapNginxServer(text, dir);
    const configFile = join(dir, 'nginx.conf');
    writeFileSync(configFile, conf);
    const globals = full ? missingGlobals(conf, dir) : '';
    // -e: the error log in effect before the config is read (nginx ≥ 1.19.5), so startup errors land in the prefix too.
    const args = ['-p', `${dir}/`, '-c', configFile, '-e', join(dir, 'logs/error.log'), ...(globals ? ['-g', globals] : [])];
    return { bin, args, configFile, logFile: join(dir, 'logs/error.log') };
  });
}

export async function startCaddy(opts: CaddyOptions): Promise<ProxyProcess | undefined> {
  const bin = findProgram('caddy', ['/usr/bin/caddy', '/usr/local/bin/caddy']);
  if (!bin) return unavailable('caddy', 'no caddy binary (looked in /usr/bin, /usr/local/bin and PATH)');
  return launch('caddy', async (dir, port) => {
    const tokens = tokenMap(dir, port, opts.upstreamHost, opts.upstreamPort);
    const source = opts.caddyfile === undefined ? generatedCaddyfile(opts) : readConfig(opts.caddyfile);
    const configFile = join(dir, 'Caddyfile');
    writeFileSync(configFile, withAdminEndpoint(substitute(source, tokens), await freePort()));
    return {
      bin,
      args: ['run', '--config', configFile, '--adapter', 'caddyfile'],
      configFile,
      env: { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    };
  });
}

function generatedNginxServer(o: NginxOptions): string {
  const buffering = o.buffering
    ? [
        'proxy_buffering on;',
        'proxy_ignore_headers X-Accel-Buffering;',
        'proxy_buffer_size 64k;',
        'proxy_buffers 8 64k;',
        'proxy_busy_buffers_size 128k;',
      ]
    : ['proxy_buffering off;'];
  const http11 = (o.upstreamHttpVersion ?? (o.buffering ? '1.0' : '1.1')) === '1.1';
  return `server {
  listen {{LISTEN}};
  location / {
    proxy_pass http://{{UPSTREAM}};
    ${http11 ? 'proxy_http_version 1.1;\n    proxy_set_header Connection "";' : 'proxy_http_version 1.0;'}
    proxy_set_header Host $host;
    proxy_read_timeout ${o.readTimeoutS ?? 60}s;
    ${buffering.join('\n    ')}
    ${o.locationExtra ?? ''}
  }
}
`;
}

const TEMP_PATHS = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];

function tempPathDirectives(dir: string): string[] {
  return TEMP_PATHS.map((kind) => `${kind}_temp_path ${join(dir, 'tmp', kind)};`);
}

/** An http-block snippet inside a minimal main config that needs no root-owned path. */
function wrapNginxServer(snippet: string, dir: string): string {
  return `# generated by test/helpers/proxies.ts
daemon off;
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs/error.log')} info;
events { worker_connections 256; }
http {
  access_log ${join(dir, 'logs/access.log')};
  ${tempPathDirectives(dir).join('\n  ')}
${snippet}
}
`;
}

/**
 * A full nginx.conf: add the temp paths and access log it lacks (the packaged defaults live under
 * /var/lib/nginx and /var/log/nginx, which an unprivileged user cannot write).
 */
function completeNginxConf(text: string, dir: string): string {
  const wanted = [...tempPathDirectives(dir), `access_log ${join(dir, 'logs/access.log')};`];
  const missing = wanted.filter((d) => !new RegExp(`^\\s*${d.split(' ')[0]}\\s`, 'm').test(text));
  return text.replace(/^(\s*http\s*\{)/m, `$1\n  ${missing.join('\n  ')}`);
}

/** Main-context directives a full config does not set, passed with -g so the instance stays in the foreground and in the prefix. */
function missingGlobals(conf: string, dir: string): string {
  const wanted: Array<[string, string]> = [
    ['daemon', 'daemon off;'],
    ['master_process', 'master_process off;'],
    ['pid', `pid ${join(dir, 'nginx.pid')};`],
  ];
  return wanted
    .filter(([name]) => !new RegExp(`^\\s*${name}\\s`, 'm').test(conf))
    .map(([, d]) => d)
    .join(' ');
}

function generatedCaddyfile(o: CaddyOptions): string {
  // Tabs: the Caddyfile's canonical format (caddy fmt), so Caddy logs no formatting warning.
  return `{
\tadmin off
\tauto_https off
}

http://{{LISTEN}} {
\treverse_proxy {{UPSTREAM}}${o.proxyExtra ? ` {\n\t\t${o.proxyExtra}\n\t}` : ''}
}
`;
}

/**
 * A Caddyfile that does not configure `admin` gets its admin endpoint on a free loopback port, so
 * parallel tests never fight over the default localhost:2019 (Caddy 2.6 ignores CADDY_ADMIN).
 */
function withAdminEndpoint(caddyfile: string, port: number): string {
  if (/^\s*admin\b/m.test(caddyfile)) return caddyfile;
  const admin = `\tadmin 127.0.0.1:${port}`;
  // The global options block, when present, is the first block of the file.
  const global = /^((?:\s*#[^\n]*\n)*\s*)\{\s*\n/.exec(caddyfile);
  if (global) return `${caddyfile.slice(0, global[0].length)}${admin}\n${caddyfile.slice(global[0].length)}`;
  return `{\n${admin}\n}\n\n${caddyfile}`;
}

function readConfig(config: string): string {
  return !config.includes('\n') && existsSync(config) ? readFileSync(config, 'utf8') : config;
}

function tokenMap(dir: string, port: number, upstreamHost = '127.0.0.1', upstreamPort: number): Record<string, string> {
  return { UPSTREAM: `${upstreamHost}:${upstreamPort}`, LISTEN: `127.0.0.1:${port}`, PREFIX: dir };
}

function substitute(text: string, tokens: Record<string, string>): string {
  const out = text.replace(/\{\{(UPSTREAM|LISTEN|PREFIX)\}\}/g, (_, name: string) => tokens[name]!);
  if (!text.includes('{{LISTEN}}')) throw new Error('proxy config has no {{LISTEN}} token: the test cannot choose its port');
  return out;
}

interface LaunchPlan {
  bin: string;
  args: string[];
  configFile: string;
  env?: Record<string, string>;
  /** Where the program logs besides stdout/stderr (nginx error_log). */
  logFile?: string;
}

/** Runs the program on a free port, waits until the port answers, retries if the port was taken meanwhile. */
async function launch(program: string, plan: (dir: string, port: number) => Promise<LaunchPlan>): Promise<ProxyProcess> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), `sluice-${program}-`));
    const port = await freePort();
    try {
      return await launchOnce(program, dir, port, await plan(dir, port));
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      lastError = err as Error;
      if (!/address already in use|bind/i.test(lastError.message)) break;
    }
  }
  throw lastError!;
}

async function launchOnce(program: string, dir: string, port: number, p: LaunchPlan): Promise<ProxyProcess> {
  const outFile = join(dir, 'output.log');
  const out = openSync(outFile, 'a');
  const proc = spawn(p.bin, p.args, { cwd: dir, env: { ...process.env, ...p.env }, stdio: ['ignore', out, out] });
  closeSync(out);
  const log = (): string => [p.logFile, outFile].map((f) => (f && existsSync(f) ? readFileSync(f, 'utf8') : '')).join('');
  try {
    await waitForPort(port, proc, START_TIMEOUT_MS);
  } catch (err) {
    await kill(proc);
    throw new Error(`${program} did not start: ${(err as Error).message}\n${log()}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: proc.pid!,
    dir,
    configFile: p.configFile,
    log,
    async stop() {
      await kill(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const hard = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(hard);
}

/** A port that was free a moment ago (the OS picks it; launch() retries if someone takes it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function waitForPort(port: number, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const exited = (code: number | null, signal: string | null): void => reject(new Error(`exited early (code ${code}, signal ${signal})`));
    proc.once('exit', exited);
    const attempt = (): void => {
      if (proc.exitCode !== null) return;
      const sock = createConnection({ port, host: '127.0.0.1' });
      sock.once('connect', () => {
        sock.destroy();
        proc.off('exit', exited);
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) {
          proc.off('exit', exited);
          reject(new Error(`port ${port} did not answer within ${timeoutMs} ms`));
        } else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}
