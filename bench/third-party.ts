// Third-party gateways, installed by the bench into bench/.scratch (git-ignored, kept between runs)
// with the ordinary npm client, and started on 127.0.0.1 only:
//  - Portkey's gateway 1.15.2. It streams only with @hono/node-server pinned to 1.13.8 through npm
//    `overrides` (Portkey issues #1389, #1550), and its start-server calls serve() without a hostname,
//    i.e. every interface: bench/preload.ts forces the listen onto 127.0.0.1.
//  - claude-code-router, Anthropic clients -> OpenAI upstreams. 2.0.0 is the newest that installs:
//    3.1.1 depends on @the-next-ai/ai-gateway, which the registry does not have. It binds 127.0.0.1
//    when given providers and no APIKEY; the preload is a second net.
// Install scripts are not run (neither package needs one). Any failure becomes a reason in the report.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint } from './client.ts';
import { checkLoopback, NODE, NODE_FLAGS, type BenchEnv, type Contender } from './contender.ts';
import { freePort, startChild } from './lib.ts';

const INSTALL_TIMEOUT_MS = 240_000;

interface Package {
  /** Folder under bench/.scratch. */
  dir: string;
  name: string;
  version: string;
  overrides?: Record<string, string>;
}

const PORTKEY: Package = { dir: 'portkey', name: '@portkey-ai/gateway', version: '1.15.2', overrides: { '@hono/node-server': '1.13.8' } };
const CCR: Package = { dir: 'ccr', name: '@musistudio/claude-code-router', version: '2.0.0' };

function installedVersion(root: string, name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** Installs the package into its scratch folder unless the wanted version is there; returns the folder or throws with the reason. */
async function ensureInstalled(env: BenchEnv, pkg: Package): Promise<string> {
  const root = join(env.scratch, pkg.dir);
  const wanted = (): boolean =>
    installedVersion(root, pkg.name) === pkg.version &&
    Object.entries(pkg.overrides ?? {}).every(([name, version]) => installedVersion(root, name) === version);
  if (wanted()) return root;
  mkdirSync(root, { recursive: true });
  writeFileSync(
    join(root, 'package.json'),
    `${JSON.stringify({ name: `bench-${pkg.dir}`, private: true, dependencies: { [pkg.name]: pkg.version }, overrides: pkg.overrides ?? {} }, null, 2)}\n`,
  );
  process.stderr.write(`bench: installing ${pkg.name}@${pkg.version} into ${root} …\n`);
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const npm = spawn('npm', ['install', '--prefix', root, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: INSTALL_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    let text = '';
    const keep = (d: Buffer): void => {
      text = (text + d.toString()).slice(-2000);
    };
    npm.stdout.on('data', keep);
    npm.stderr.on('data', keep);
    npm.on('error', (err) => resolve({ code: -1, text: err.message }));
    npm.on('close', (code) => resolve({ code, text }));
  });
  if (out.code !== 0 || !wanted()) {
    const why = out.text.split('\n').filter((l) => /error|ERR/i.test(l)).slice(0, 3).join(' ').trim() || out.text.trim().slice(-200);
    throw new Error(`npm install ${pkg.name}@${pkg.version} failed (exit ${out.code}): ${why}`);
  }
  return root;
}

export async function startPortkey(env: BenchEnv, endpoints: (port: number) => { mock: Endpoint; paced: Endpoint }): Promise<Contender | string> {
  let root: string;
  try {
    root = await ensureInstalled(env, PORTKEY);
  } catch (err) {
    return (err as Error).message;
  }
  const entry = join(root, 'node_modules', PORTKEY.name, 'build/start-server.js');
  if (!existsSync(entry)) return `no ${entry}`;
  try {
    // --headless and NODE_ENV=production: no log UI, no log stream.
    const child = await startChild(NODE, [...NODE_FLAGS, entry, '--port=0', '--headless'], /bench-listening (\d+)/, {
      cwd: root,
      env: { NODE_ENV: 'production' },
    });
    const { mock, paced } = endpoints(child.port);
    return await checkLoopback({
      name: 'portkey openai→openai',
      mock,
      paced,
      upstream: 'openai',
      pids: [child.pid],
      gcOnSignal: true,
      version: `${PORTKEY.version} (@hono/node-server ${installedVersion(root, '@hono/node-server')})`,
      stop: () => child.stop(),
    });
  } catch (err) {
    return `did not start: ${(err as Error).message}`;
  }
}

export async function startClaudeCodeRouter(env: BenchEnv, endpoints: (port: number) => { mock: Endpoint; paced: Endpoint }): Promise<Contender | string> {
  let root: string;
  try {
    root = await ensureInstalled(env, CCR);
  } catch (err) {
    return (err as Error).message;
  }
  const entry = join(root, 'node_modules', CCR.name, 'dist/cli.js');
  if (!existsSync(entry)) return `no ${entry}`;
  // Its config lives in $HOME/.claude-code-router: a scratch HOME per run. LOG false: no debug log
  // file per request (sluice's one info line is cheaper than ccr's default debug logging).
  const home = join(env.workDir, 'ccr-home');
  mkdirSync(join(home, '.claude-code-router'), { recursive: true });
  const port = await freePort();
  const provider = (name: string, upstream: number) => ({
    name,
    api_base_url: `http://127.0.0.1:${upstream}/v1/chat/completions`,
    api_key: 'bench',
    models: ['m'],
  });
  writeFileSync(
    join(home, '.claude-code-router', 'config.json'),
    JSON.stringify({
      LOG: false,
      HOST: '127.0.0.1',
      PORT: port,
      API_TIMEOUT_MS: 600_000,
      Providers: [provider('mock', env.mockPort), provider('paced', env.pacedPort)],
      Router: { default: 'mock,m' },
    }),
  );
  try {
    // `ccr start` runs the server in the foreground (`ccr restart` is what detaches).
    const child = await startChild(NODE, [...NODE_FLAGS, entry, 'start'], /bench-listening (\d+)/, { cwd: home, env: { HOME: home } });
    const { mock, paced } = endpoints(child.port);
    return await checkLoopback({
      name: 'claude-code-router anthropic→openai',
      mock,
      paced,
      upstream: 'openai',
      pids: [child.pid],
      gcOnSignal: true,
      version: CCR.version,
      stop: () => child.stop(),
    });
  } catch (err) {
    return `did not start: ${(err as Error).message}`;
  }
}
