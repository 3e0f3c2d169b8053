// Agent-sized request bodies: `npm run bench`'s section of that name (both routes), and
// `node bench/large-body.ts [DIR …]`: CPU per request for an agent-sized request body (docs/pipeline.md,
// "Large request bodies"). Coding agents send their whole conversation every turn: a system prompt,
// a dozen tool schemas, and the history, 100–500 KB. The bench's other rows send a one-line prompt,
// so they never see what a request body of that size costs a gateway. Here each request is a
// conversation of LB_TURNS tool-using turns (default 60: ~185 KB) plus 12 tools, streamed back as
// 50 events, through the leanest Node pass-through (undici-stream-proxy.ts, which forwards the bytes
// without reading them), sluice from this checkout, and sluice from each DIR (another checkout with
// node_modules, e.g. a `git worktree` of the commit before), on the same-dialect routes the agents
// use: chat→chat (LB_ROUTE=openai, default), messages→messages (LB_ROUTE=anthropic) or Gemini→Gemini
// (LB_ROUTE=gemini, what Gemini CLI sends); the bench's full run measures all three. Interleaved
// rounds (order rotated), CPU (user + system from /proc) per request, medians and per-round ratios.
// Knobs: LB_ROUNDS (7), LB_REQUESTS per round (300), LB_WARMUP (2000), LB_TURNS (60).
// Loopback only; every loop bounded by count and deadline.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'undici';
import { mockText, pool } from './client.ts';
import { NODE, NODE_FLAGS, ROOT, startMockProcess } from './contender.ts';
import { CLK_TCK, commitOf, startChild, type Child } from './lib.ts';

const ROUNDS = Number(process.env.LB_ROUNDS ?? 7);
const REQUESTS = Number(process.env.LB_REQUESTS ?? 300);
const WARMUP = Number(process.env.LB_WARMUP ?? 2000);
const TURNS = Number(process.env.LB_TURNS ?? 60);
const DEADLINE_MS = 120_000;

export type LargeBodyRoute = 'openai' | 'anthropic' | 'gemini';
/** Gemini names the model in the path; the others in the body. */
const pathOf = (route: LargeBodyRoute, model: string): string =>
  route === 'anthropic' ? '/v1/messages' : route === 'gemini' ? `/v1beta/models/${model}:streamGenerateContent?alt=sse` : '/v1/chat/completions';
const TERMINAL: Record<LargeBodyRoute, string> = { openai: '[DONE]', anthropic: 'message_stop', gemini: '"finishReason"' };

const PARA = 'The function reads the configuration file, validates each field and returns a typed object; errors name the path. '.repeat(12);

/** The agent's request: `model` is the name this contender routes by. */
function agentBody(route: LargeBodyRoute, model: string, turns: number): Buffer {
  if (route === 'gemini') {
    const contents: unknown[] = [];
    for (let i = 0; i < turns; i++) {
      contents.push({ role: 'user', parts: i === 0 ? [{ text: PARA }] : [{ functionResponse: { name: 'tool_1', response: { output: PARA } } }] });
      contents.push({ role: 'model', parts: [{ text: PARA }, { functionCall: { name: 'tool_1', args: { path: `src/file${i}.ts`, line: i } } }] });
    }
    contents.push({ role: 'user', parts: [{ text: mockText('chunks=50') }] });
    const functionDeclarations = Array.from({ length: 12 }, (_, i) => ({ name: `tool_${i}`, description: PARA.slice(0, 400), parameters: SCHEMA }));
    return Buffer.from(JSON.stringify({ contents, systemInstruction: { parts: [{ text: PARA }] }, tools: [{ functionDeclarations }] }));
  }
  if (route === 'anthropic') {
    const messages: unknown[] = [];
    for (let i = 0; i < turns; i++) {
      messages.push({ role: 'user', content: i === 0 ? PARA : [{ type: 'tool_result', tool_use_id: `toolu_${i - 1}`, content: PARA }] });
      messages.push({ role: 'assistant', content: [{ type: 'text', text: PARA }, { type: 'tool_use', id: `toolu_${i}`, name: 'tool_1', input: { path: `src/file${i}.ts`, line: i } }] });
    }
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${turns - 1}`, content: mockText('chunks=50') }] });
    const tools = Array.from({ length: 12 }, (_, i) => ({ name: `tool_${i}`, description: PARA.slice(0, 400), input_schema: SCHEMA }));
    return Buffer.from(JSON.stringify({ model, max_tokens: 4096, stream: true, system: [{ type: 'text', text: PARA }], messages, tools }));
  }
  const messages: unknown[] = [{ role: 'system', content: PARA }];
  for (let i = 0; i < turns; i++) {
    messages.push({ role: 'user', content: PARA });
    messages.push({ role: 'assistant', content: null, tool_calls: [{ id: `call_${i}`, type: 'function', function: { name: 'tool_1', arguments: JSON.stringify({ path: `src/file${i}.ts`, line: i }) } }] });
    messages.push({ role: 'tool', tool_call_id: `call_${i}`, content: PARA });
  }
  messages.push({ role: 'user', content: mockText('chunks=50') });
  const tools = Array.from({ length: 12 }, (_, i) => ({ type: 'function', function: { name: `tool_${i}`, description: PARA.slice(0, 400), parameters: SCHEMA } }));
  return Buffer.from(JSON.stringify({ model, stream: true, messages, tools }));
}

const SCHEMA = {
  type: 'object',
  properties: { path: { type: 'string', description: 'file path' }, line: { type: 'integer' }, options: { type: 'object', properties: { recursive: { type: 'boolean' } } } },
  required: ['path'],
};

interface Running {
  name: string;
  child: Child;
  path: string;
  body: Buffer;
  cpu: number[];
}

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}


/** Sends `n` requests, 8 in flight; each must be a 200 whose stream reached its terminal event. */
async function run(route: LargeBodyRoute, p: Pool, path: string, body: Buffer, n: number): Promise<void> {
  const deadline = performance.now() + DEADLINE_MS;
  const terminal = TERMINAL[route];
  let issued = 0;
  let failure: string | undefined;
  const worker = async (): Promise<void> => {
    while (issued < n && failure === undefined && performance.now() < deadline) {
      issued++;
      const res = await p.request({ path, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench', 'anthropic-version': '2023-06-01' }, body });
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes(terminal)) failure = `status ${res.statusCode}: ${text.slice(0, 200)}`;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (failure !== undefined) throw new Error(failure);
  if (issued < n) throw new Error(`deadline: ${issued} of ${n} requests sent`);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export interface LargeBodyRow {
  name: string;
  /** Median CPU ms per request, and the median of per-round ratios to the pass-through. */
  cpuMs: number;
  minMs: number;
  maxMs: number;
  vsPassThrough: number;
  /** The median of per-round ratios to this checkout's sluice. */
  vsSelf: number;
}

export interface LargeBodyResult {
  route: LargeBodyRoute;
  bodyKb: number;
  rounds: number;
  requests: number;
  rows: LargeBodyRow[];
}

export interface LargeBodyOptions {
  route: LargeBodyRoute;
  /** Other sluice checkouts to measure beside this one (before/after). */
  dirs?: string[];
  rounds?: number;
  requests?: number;
  warmup?: number;
  turns?: number;
  log?: (line: string) => void;
}

/** Starts its own mock, pass-through and sluices, measures, and stops them. */
export async function largeBodyScenario(opts: LargeBodyOptions): Promise<LargeBodyResult> {
  const route = opts.route;
  const rounds = opts.rounds ?? ROUNDS;
  const requests = opts.requests ?? REQUESTS;
  const turns = opts.turns ?? TURNS;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dirs = [ROOT, ...(opts.dirs ?? [])];
  const work = mkdtempSync(join(tmpdir(), 'sluice-large-body-'));
  const mock = await startMockProcess();
  const running: Running[] = [];
  try {
    const proxy = await startChild(NODE, [...NODE_FLAGS, join(ROOT, 'bench/undici-stream-proxy.ts'), `http://127.0.0.1:${mock.port}`], /bench-listening (\d+)/);
    running.push({ name: 'undici Pool.stream pass-through', child: proxy, path: pathOf(route, 'bench'), body: agentBody(route, 'bench', turns), cpu: [] });
    for (const [i, dir] of dirs.entries()) {
      const home = join(work, `sluice-${i}`);
      mkdirSync(home);
      const config = join(home, 'sluice.yaml');
      const provider = route === 'openai' ? `{ type: openai, base_url: http://127.0.0.1:${mock.port}/v1 }` : `{ type: ${route}, base_url: http://127.0.0.1:${mock.port} }`;
      writeFileSync(config, `server: { host: 127.0.0.1, max_body: 20mb }\nstore: sqlite:${join(home, 'sluice.db')}\nproviders:\n  mock: ${provider}\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n`);
      const child = await startChild(join(dir, 'bin/sluice'), ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
        cwd: home,
        env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
      });
      running.push({ name: `sluice ${route}→${route} @${commitOf(dir)}${dir === ROOT && dirs.length > 1 ? ' (this checkout)' : ''}`, child, path: pathOf(route, 'm'), body: agentBody(route, 'm', turns), cpu: [] });
    }
    const pools = running.map((r) => pool(r.child.port, 16));
    log(`large-body: ${route}→${route}, ${(running[1]!.body.length / 1024).toFixed(0)} KB per request; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; warming up …`);
    for (const [i, r] of running.entries()) await run(route, pools[i]!, r.path, r.body, opts.warmup ?? WARMUP);
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round, so no contender always runs right after the same one.
      for (let k = 0; k < running.length; k++) {
        const i = (k + round) % running.length;
        const r = running[i]!;
        const before = cpuOf(r.child.pid);
        await run(route, pools[i]!, r.path, r.body, requests);
        r.cpu.push(((cpuOf(r.child.pid) - before) * 1000) / requests);
      }
      log(`large-body: round ${round + 1}/${rounds}: ${running.map((r) => r.cpu.at(-1)!.toFixed(3)).join(' / ')} ms`);
    }
    await Promise.all(pools.map((p) => p.close()));
    const floor = running[0]!;
    const self = running[1]!;
    return {
      route,
      bodyKb: self.body.length / 1024,
      rounds,
      requests,
      rows: running.map((r) => ({
        name: r.name,
        cpuMs: median(r.cpu),
        minMs: Math.min(...r.cpu),
        maxMs: Math.max(...r.cpu),
        vsPassThrough: median(r.cpu.map((c, i) => c / floor.cpu[i]!)),
        vsSelf: median(r.cpu.map((c, i) => c / self.cpu[i]!)),
      })),
    };
  } finally {
    await Promise.all(running.map((r) => r.child.stop()));
    await mock.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The report's section for one or more routes' results. */
export function largeBodySection(results: LargeBodyResult[]): string[] {
  if (results.length === 0) return [];
  const withSelf = results.some((r) => r.rows.length > 2);
  const lines = [
    '### Agent-sized request bodies',
    '',
    `What a coding agent sends every turn (its whole conversation and tool schemas), on the same-dialect routes agents use; each streamed back as 50 events, 8 in flight. ×pass-through: the median of per-round ratios to the undici Pool.stream pass-through, which forwards the body's bytes without reading them (bench/large-body.ts; docs/pipeline.md, "Large request bodies").`,
    '',
    `| route | body | contender | CPU ms/request | range | ×pass-through |${withSelf ? ' ×this checkout |' : ''}`,
    `|---|---|---|---|---|---|${withSelf ? '---|' : ''}`,
  ];
  for (const r of results) {
    for (const row of r.rows) {
      lines.push(`| ${r.route}→${r.route} | ${r.bodyKb.toFixed(0)} KB | ${row.name} | ${row.cpuMs.toFixed(3)} | ${row.minMs.toFixed(3)}–${row.maxMs.toFixed(3)} | ${row.vsPassThrough.toFixed(2)}× |${withSelf ? ` ${row.vsSelf.toFixed(2)}× |` : ''}`);
    }
  }
  lines.push('', results.map((r) => `${r.rounds} rounds of ${r.requests} requests (${r.route})`).join('; ') + '.');
  return lines;
}

async function main(): Promise<void> {
  const route: LargeBodyRoute = process.env.LB_ROUTE === 'anthropic' || process.env.LB_ROUTE === 'gemini' ? process.env.LB_ROUTE : 'openai';
  const result = await largeBodyScenario({ route, dirs: process.argv.slice(2).map((d) => resolve(d)) });
  console.log(`load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(largeBodySection([result]).join('\n'));
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
