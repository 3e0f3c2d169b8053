// The contenders: what the bench measures, each started on its own (one at a time, so an idle one
// never competes for the 2 cores) and stopped before the next. A contender that cannot be installed
// or started yields a reason instead, printed in the report; the run goes on.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { anthropic, AUTH, cohere, ENTRY, gemini, NODE, NODE_FLAGS, SLUICE_BIN, openai, OPENAI_PATH, responses, ROOT, type BenchEnv, type Contender, type ContenderSpec } from './contender.ts';
import { startChild, type Child } from './lib.ts';
import { startNginx } from './nginx.ts';
import { startClaudeCodeRouter, startPortkey } from './third-party.ts';
import { MOCK_AWS_ACCESS_KEY_ID, MOCK_AWS_SECRET_ACCESS_KEY } from '../src/protocols/bedrock/mock.ts';

export const direct: ContenderSpec = {
  name: 'direct (mock)',
  async start(env) {
    return {
      name: this.name,
      mock: openai(env.mockPort, 'm'),
      paced: openai(env.pacedPort, 'm'),
      upstream: 'openai',
      pids: [],
      gcOnSignal: false,
      version: 'sluice mock',
      stop: async () => {},
    };
  },
};

/**
 * A proxy script (prints `listening PORT`) run twice: the measured instance in front of the mock,
 * a second in front of the paced upstream, so the measured one stays a single-upstream pipe.
 */
function proxyScript(name: string, script: string, version: () => string, scenarios?: readonly string[]): ContenderSpec {
  return {
    name,
    scenarios,
    async start(env) {
      const ready = /bench-listening (\d+)/;
      const path = join(ROOT, 'bench', script);
      const main = await startChild(NODE, [...NODE_FLAGS, path, `http://127.0.0.1:${env.mockPort}`], ready);
      const paced = await startChild(NODE, [...NODE_FLAGS, path, `http://127.0.0.1:${env.pacedPort}`], ready);
      return {
        name,
        mock: openai(main.port, 'm'),
        paced: openai(paced.port, 'm'),
        upstream: 'openai',
        pids: [main.pid],
        gcOnSignal: true,
        version: version(),
        stop: async () => {
          await Promise.all([main.stop(), paced.stop()]);
        },
      };
    },
  };
}

export const bare = proxyScript('bare node proxy', 'bare-proxy.ts', () => `node ${process.version}`);

/**
 * node:http in front, undici behind, bytes forwarded: sluice's HTTP stack, doing nothing else. A
 * reference for the CPU figures only: it has no backpressure worth measuring.
 */
export const undiciFloor = proxyScript('undici pass-through', 'undici-proxy.ts', () => `undici ${undiciVersion()}`, ['throughput']);

/**
 * The leanest Node pass-through (issue 14): node:http in front, an undici Pool behind whose `stream()`
 * writes each upstream chunk to the response as it arrives, keep-alive, request body buffered. What
 * sluice's same-protocol route costs over it is sluice's own work. Throughput only, like the row above.
 */
export const undiciStream = proxyScript('undici Pool.stream pass-through', 'undici-stream-proxy.ts', () => `undici ${undiciVersion()}`, ['throughput']);

function undiciVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules/undici/package.json'), 'utf8')) as { version: string }).version;
}

export const nginx: ContenderSpec = {
  name: 'nginx',
  start: (env) => startNginx(env, (port) => ({ mock: openai(port, 'm'), paced: openai(port, 'm', AUTH, `/paced${OPENAI_PATH}`) })),
};

export const portkey: ContenderSpec = {
  name: 'portkey openai→openai',
  start: async (env) => {
    const c = await startPortkey(env, (port) => {
      // Portkey's own way to reach an OpenAI-compatible server: provider openai at a custom host.
      const via = (upstream: number): Record<string, string> => ({
        ...AUTH,
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `http://127.0.0.1:${upstream}/v1`,
      });
      return { mock: openai(port, 'm', via(env.mockPort)), paced: openai(port, 'm', via(env.pacedPort)) };
    });
    // Issue 14's "≥ 4× cheaper than Portkey" is read from this row.
    return typeof c === 'string' ? c : { ...c, target: true };
  },
};

export const claudeCodeRouter: ContenderSpec = {
  name: 'claude-code-router anthropic→openai',
  // ccr routes `provider,model` as given; providers `mock` and `paced` are in its config.
  start: (env) => startClaudeCodeRouter(env, (port) => ({ mock: anthropic(port, 'mock,m'), paced: anthropic(port, 'paced,m') })),
};

type SluiceRoute =
  | 'openai→openai'
  | 'anthropic→openai'
  | 'openai→anthropic'
  | 'responses→openai'
  | 'responses→anthropic'
  | 'responses→responses'
  | 'cohere→openai'
  | 'gemini→openai'
  | 'gemini→anthropic'
  | 'openai→bedrock'
  | 'anthropic→bedrock';

/** Front endpoint, the models (mock, paced) and the upstream dialect of each route. */
const ROUTES: Record<SluiceRoute, { front: typeof openai; mock: string; paced: string; upstream: Contender['upstream'] }> = {
  'openai→openai': { front: openai, mock: 'm', paced: 'p', upstream: 'openai' },
  'anthropic→openai': { front: anthropic, mock: 'm', paced: 'p', upstream: 'openai' },
  'openai→anthropic': { front: openai, mock: 'ma', paced: 'pa', upstream: 'anthropic' },
  'responses→openai': { front: responses, mock: 'm', paced: 'p', upstream: 'openai' },
  'responses→anthropic': { front: responses, mock: 'ma', paced: 'pa', upstream: 'anthropic' },
  'responses→responses': { front: responses, mock: 'mr', paced: 'pr', upstream: 'responses' },
  'cohere→openai': { front: cohere, mock: 'm', paced: 'p', upstream: 'openai' },
  'gemini→openai': { front: gemini, mock: 'm', paced: 'p', upstream: 'openai' },
  'gemini→anthropic': { front: gemini, mock: 'ma', paced: 'pa', upstream: 'anthropic' },
  // ConverseStream from the mock, SigV4-signed per request, AWS event-stream decoded per event. The
  // paced upstream speaks no Bedrock: these routes run the throughput scenario only (BEDROCK_SCENARIOS).
  'openai→bedrock': { front: openai, mock: 'mb', paced: 'mb', upstream: 'bedrock' },
  'anthropic→bedrock': { front: anthropic, mock: 'mb', paced: 'mb', upstream: 'bedrock' },
};

/** What the Bedrock routes take part in (bench/bedrock.ts measures their big events and long streams). */
const BEDROCK_SCENARIOS: readonly string[] = ['throughput'];

/**
 * `root`: another checkout of sluice (BENCH_BASELINE), measured beside this one in the same run, so a
 * change's cost is a before/after ratio on the same machine state rather than two runs apart.
 */
export function sluice(route: SluiceRoute, root = ROOT): ContenderSpec {
  const label = root === ROOT ? '' : ` @${baselineVersion(root)}`;
  return {
    name: `sluice ${route}${label}`,
    scenarios: ROUTES[route].upstream === 'bedrock' ? BEDROCK_SCENARIOS : undefined,
    async start(env) {
      const dir = join(env.workDir, `sluice-${route.replace('→', '-')}`);
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'sluice.yaml');
      writeFileSync(config, sluiceConfig(env, dir, root === ROOT));
      // As users start it: through bin/sluice, with the Node flags it passes (the bench's own ride in
      // NODE_OPTIONS). cwd: the default sqlite store and anything else relative land in the work dir.
      const child: Child = await startChild(root === ROOT ? SLUICE_BIN : join(root, 'bin/sluice'), ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
        cwd: dir,
        env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
      });
      const r = ROUTES[route];
      return {
        name: this.name,
        mock: r.front(child.port, r.mock),
        paced: r.front(child.port, r.paced),
        upstream: r.upstream,
        pids: [child.pid],
        gcOnSignal: true,
        version: root === ROOT ? sluiceVersion() : `baseline ${baselineVersion(root)}`,
        target: route === 'openai→openai',
        stop: () => child.stop(),
      };
    },
  };
}

/**
 * sluice as shipped (usage recorded in its default sqlite store, one log line per request), with
 * an idle limit long enough for the held-streams scenario. A baseline checkout (`current` false) gets
 * only the OpenAI and Anthropic providers: an older sluice refuses provider types it does not know.
 */
function sluiceConfig(env: BenchEnv, dir: string, current: boolean): string {
  const timeouts = '{ idle: 10m, total: 30m }';
  const newer = current
    ? `  mockr: { type: openai-responses, base_url: http://127.0.0.1:${env.mockPort}/v1, timeouts: ${timeouts} }
  pacedr: { type: openai-responses, base_url: http://127.0.0.1:${env.pacedPort}/v1, timeouts: ${timeouts} }
  mockb: { type: bedrock, region: us-east-1, base_url: http://127.0.0.1:${env.mockPort}, access_key_id: ${MOCK_AWS_ACCESS_KEY_ID}, secret_access_key: ${MOCK_AWS_SECRET_ACCESS_KEY}, timeouts: ${timeouts} }
`
    : '';
  return `server: { host: 127.0.0.1 }
store: sqlite:${join(dir, 'sluice.db')}
providers:
  mock: { type: openai, base_url: http://127.0.0.1:${env.mockPort}/v1, timeouts: ${timeouts} }
  mocka: { type: anthropic, base_url: http://127.0.0.1:${env.mockPort}, timeouts: ${timeouts} }
  paced: { type: openai, base_url: http://127.0.0.1:${env.pacedPort}/v1, timeouts: ${timeouts} }
  paceda: { type: anthropic, base_url: http://127.0.0.1:${env.pacedPort}, timeouts: ${timeouts} }
${newer}models:
  m: { targets: [{ provider: mock, model: bench }] }
  ma: { targets: [{ provider: mocka, model: bench }] }
  p: { targets: [{ provider: paced, model: bench }] }
  pa: { targets: [{ provider: paceda, model: bench }] }
${current ? '  mr: { targets: [{ provider: mockr, model: bench }] }\n  pr: { targets: [{ provider: pacedr, model: bench }] }\n  mb: { targets: [{ provider: mockb, model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" }] }\n' : ''}`;
}

let cachedVersion: string | undefined;
function sluiceVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    let commit = 'unknown commit';
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
      if (dirty) commit += ' + working tree';
    } catch {
      // not a git checkout
    }
    cachedVersion = `${pkg.version} (${commit})`;
  }
  return cachedVersion;
}

function baselineVersion(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return root;
  }
}

/** `BENCH_BASELINE=DIR`: a checkout (with its node_modules) of an earlier sluice, same-protocol route. */
const BASELINE = process.env.BENCH_BASELINE;

/** Every contender in report order. */
export const CONTENDERS: ContenderSpec[] = [
  direct,
  bare,
  undiciFloor,
  undiciStream,
  nginx,
  portkey,
  ...(BASELINE ? [sluice('openai→openai', BASELINE)] : []),
  sluice('openai→openai'),
  sluice('anthropic→openai'),
  claudeCodeRouter,
  sluice('openai→anthropic'),
  sluice('responses→openai'),
  sluice('responses→anthropic'),
  sluice('responses→responses'),
  sluice('cohere→openai'),
  sluice('gemini→openai'),
  sluice('gemini→anthropic'),
  sluice('openai→bedrock'),
  sluice('anthropic→bedrock'),
];
