// `node bench/large-body.ts [DIR …]`: CPU per request for an agent-sized request body (docs/pipeline.md,
// "Large request bodies"). Coding agents send their whole conversation every turn: a system prompt,
// a dozen tool schemas, and the history, 100–500 KB. The bench's other rows send a one-line prompt,
// so they never see what a request body of that size costs a gateway. Here each request is a
// conversation of LB_TURNS tool-using turns (default 60: ~185 KB) plus 12 tools, streamed back as
// 50 events, through the leanest Node pass-through (undici-stream-proxy.ts, which forwards the bytes
// without reading them), sluice from this checkout, and sluice from each DIR (another checkout with
// node_modules, e.g. a `git worktree` of the commit before), on the same-dialect routes the agents
// use: chat→chat (LB_ROUTE=openai, default) or messages→messages (LB_ROUTE=anthropic). Interleaved
// rounds (order rotated), CPU (user + system from /proc) per request, medians and per-round ratios.
// Knobs: LB_ROUNDS (7), LB_REQUESTS per round (300), LB_WARMUP (2000), LB_TURNS (60).
// Loopback only; every loop bounded by count and deadline.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Pool } from 'undici';
import { mockText, pool } from './client.ts';
import { NODE, NODE_FLAGS, ROOT, startMockProcess } from './contender.ts';
import { CLK_TCK, startChild, type Child } from './lib.ts';

const ROUNDS = Number(process.env.LB_ROUNDS ?? 7);
const REQUESTS = Number(process.env.LB_REQUESTS ?? 300);
const WARMUP = Number(process.env.LB_WARMUP ?? 2000);
const TURNS = Number(process.env.LB_TURNS ?? 60);
const ROUTE = process.env.LB_ROUTE === 'anthropic' ? 'anthropic' : 'openai';
const PATH = ROUTE === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';
const DEADLINE_MS = 120_000;

const PARA = 'The function reads the configuration file, validates each field and returns a typed object; errors name the path. '.repeat(12);

/** The agent's request: `model` is the name this contender routes by. */
function agentBody(model: string): Buffer {
  if (ROUTE === 'anthropic') {
    const messages: unknown[] = [];
    for (let i = 0; i < TURNS; i++) {
      messages.push({ role: 'user', content: i === 0 ? PARA : [{ type: 'tool_result', tool_use_id: `toolu_${i - 1}`, content: PARA }] });
      messages.push({ role: 'assistant', content: [{ type: 'text', text: 'Reading it.' }, { type: 'tool_use', id: `toolu_${i}`, name: 'tool_1', input: { path: `src/file${i}.ts`, line: i } }] });
    }
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${TURNS - 1}`, content: mockText('chunks=50') }] });
    const tools = Array.from({ length: 12 }, (_, i) => ({ name: `tool_${i}`, description: PARA.slice(0, 400), input_schema: SCHEMA }));
    return Buffer.from(JSON.stringify({ model, max_tokens: 4096, stream: true, system: [{ type: 'text', text: PARA }], messages, tools }));
  }
  const messages: unknown[] = [{ role: 'system', content: PARA }];
  for (let i = 0; i < TURNS; i++) {
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
  body: Buffer;
  cpu: number[];
}

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function commitOf(dir: string): string {
  try {
    const c = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${c}+` : c;
  } catch {
    return dir;
  }
}

/** Sends `n` requests, 8 in flight; each must be a 200 whose stream reached its terminal event. */
async function run(p: Pool, body: Buffer, n: number): Promise<void> {
  const deadline = performance.now() + DEADLINE_MS;
  const terminal = ROUTE === 'anthropic' ? 'message_stop' : '[DONE]';
  let issued = 0;
  let failure: string | undefined;
  const worker = async (): Promise<void> => {
    while (issued < n && failure === undefined && performance.now() < deadline) {
      issued++;
      const res = await p.request({ path: PATH, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench', 'anthropic-version': '2023-06-01' }, body });
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

async function main(): Promise<void> {
  const dirs = [ROOT, ...process.argv.slice(2).map((d) => resolve(d))];
  const work = mkdtempSync(join(tmpdir(), 'sluice-large-body-'));
  const mock = await startMockProcess();
  const running: Running[] = [];
  try {
    const proxy = await startChild(NODE, [...NODE_FLAGS, join(ROOT, 'bench/undici-stream-proxy.ts'), `http://127.0.0.1:${mock.port}`], /bench-listening (\d+)/);
    running.push({ name: 'undici Pool.stream pass-through', child: proxy, body: agentBody('bench'), cpu: [] });
    for (const [i, dir] of dirs.entries()) {
      const home = join(work, `sluice-${i}`);
      mkdirSync(home);
      const config = join(home, 'sluice.yaml');
      const provider = ROUTE === 'anthropic' ? `{ type: anthropic, base_url: http://127.0.0.1:${mock.port} }` : `{ type: openai, base_url: http://127.0.0.1:${mock.port}/v1 }`;
      writeFileSync(config, `server: { host: 127.0.0.1, max_body: 20mb }\nstore: sqlite:${join(home, 'sluice.db')}\nproviders:\n  mock: ${provider}\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n`);
      const child = await startChild(join(dir, 'bin/sluice'), ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
        cwd: home,
        env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
      });
      running.push({ name: `sluice ${ROUTE}→${ROUTE} @${commitOf(dir)}${dir === ROOT ? ' (this checkout)' : ''}`, child, body: agentBody('m'), cpu: [] });
    }
    const pools = running.map((r) => pool(r.child.port, 16));
    process.stderr.write(`large-body: ${(running[1]!.body.length / 1024).toFixed(0)} KB per request; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; warming up …\n`);
    for (const [i, r] of running.entries()) await run(pools[i]!, r.body, WARMUP);
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < running.length; k++) {
        const i = (k + round) % running.length;
        const r = running[i]!;
        const before = cpuOf(r.child.pid);
        await run(pools[i]!, r.body, REQUESTS);
        r.cpu.push(((cpuOf(r.child.pid) - before) * 1000) / REQUESTS);
      }
      process.stderr.write(`large-body: round ${round + 1}/${ROUNDS}: ${running.map((r) => r.cpu.at(-1)!.toFixed(3)).join(' / ')} ms\n`);
    }
    await Promise.all(pools.map((p) => p.close()));
    const floor = running[0]!;
    const self = running[1]!;
    console.log(`${ROUTE}→${ROUTE}, ${(self.body.length / 1024).toFixed(0)} KB bodies, 50-event answers, ${ROUNDS} rounds of ${REQUESTS} requests, load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log('| contender | CPU ms/request (median) | range | × pass-through | × this checkout |');
    console.log('|---|---|---|---|---|');
    for (const r of running) {
      const vsFloor = median(r.cpu.map((c, i) => c / floor.cpu[i]!));
      const vsSelf = median(r.cpu.map((c, i) => c / self.cpu[i]!));
      console.log(`| ${r.name} | ${median(r.cpu).toFixed(3)} | ${Math.min(...r.cpu).toFixed(3)}–${Math.max(...r.cpu).toFixed(3)} | ${vsFloor.toFixed(2)}× | ${vsSelf.toFixed(2)}× |`);
    }
  } finally {
    await Promise.all(running.map((r) => r.child.stop()));
    await mock.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
