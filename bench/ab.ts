// `node bench/ab.ts [DIR …]`: a change's CPU cost per stream, before against after, in interleaved
// rounds. Starts one `sluice mock`, the leanest Node pass-through (undici-stream-proxy.ts) and sluice
// from this checkout and from each DIR (another checkout with node_modules, e.g. a `git worktree` of
// the commit before), all at once; then runs rounds of 50-event streams (8 in flight) against each in
// turn, so the machine's drift between rounds hits every contender alike. Prints CPU ms per stream
// (user + system from /proc, and the system part) per contender, the median over rounds, and each
// one's median ratio to the pass-through and to this checkout. Idle contenders cost nothing while
// another is measured. The warm-up is long because V8 still optimizes sluice's functions for the
// first ~14 000 streams (--trace-opt), and that compiling is CPU of the process too.
// An argument starting with `+` is not a checkout but this checkout with that YAML appended to its
// config (e.g. `'+logging: { level: warn }'`): what one setting costs, in the same rounds.
// Knobs: AB_ROUNDS (default 9), AB_STREAMS per round (2000), AB_WARMUP (16000), AB_DIRECTIVES
// (`chunks=50`), AB_ROUTE (openai: chat→chat; anthropic-openai; openai-anthropic), AB_TRACING=1
// (every sluice exports traces to one bench/otlp-sink.ts process: what a change costs with tracing on).
// Loopback only; every loop bounded by count and deadline.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load, mockText, pool, type Endpoint } from './client.ts';
import { anthropic, NODE, NODE_FLAGS, openai, ROOT, startMockProcess } from './contender.ts';
import { readFileSync } from 'node:fs';
import { CLK_TCK, commitOf, startChild, type Child } from './lib.ts';

const ROUNDS = Number(process.env.AB_ROUNDS ?? 9);
const STREAMS = Number(process.env.AB_STREAMS ?? 2000);
const WARMUP = Number(process.env.AB_WARMUP ?? 16_000);
const DIRECTIVES = process.env.AB_DIRECTIVES ?? 'chunks=50';
const ROUTE = process.env.AB_ROUTE ?? 'openai';

interface Running {
  name: string;
  child: Child;
  ep: Endpoint;
  cpu: number[];
  /** The system (kernel) part of cpu. */
  sys: number[];
}

/** [user, system] CPU seconds of a process so far (/proc/PID/stat). */
function cpuOf(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) / CLK_TCK, Number(f[12]) / CLK_TCK];
}


async function startSluice(root: string, work: string, mockPort: number, i: number, extra = ''): Promise<Child> {
  const dir = join(work, `sluice-${i}`);
  mkdirSync(dir);
  const config = join(dir, 'sluice.yaml');
  writeFileSync(
    config,
    `server: { host: 127.0.0.1 }\nstore: sqlite:${join(dir, 'sluice.db')}\nproviders:\n  mock: { type: openai, base_url: http://127.0.0.1:${mockPort}/v1 }\n  mocka: { type: anthropic, base_url: http://127.0.0.1:${mockPort} }\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n  ma: { targets: [{ provider: mocka, model: bench }] }\n${extra}\n`,
  );
  // As users start it (bin/sluice and its Node flags), with the bench's preload in NODE_OPTIONS.
  return startChild(join(root, 'bin/sluice'), ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
    cwd: dir,
    env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const dirs = [ROOT, ...process.argv.slice(2).map((d) => (d.startsWith('+') ? d : resolve(d)))];
  const work = mkdtempSync(join(tmpdir(), 'sluice-ab-'));
  const mock = await startMockProcess();
  const running: Running[] = [];
  let sink: Child | undefined;
  let tracing = '';
  try {
    if (process.env.AB_TRACING === '1') {
      sink = await startChild(NODE, [join(ROOT, 'bench/otlp-sink.ts')], /otlp sink on http:\/\/127\.0\.0\.1:(\d+)/);
      tracing = `telemetry:\n  otlp: { endpoint: "http://127.0.0.1:${sink.port}" }\n`;
    }
    const proxy = await startChild(NODE, [...NODE_FLAGS, join(ROOT, 'bench/undici-stream-proxy.ts'), `http://127.0.0.1:${mock.port}`], /bench-listening (\d+)/);
    running.push({ name: 'undici Pool.stream pass-through', child: proxy, ep: openai(proxy.port, 'm'), cpu: [], sys: [] });
    for (const [i, dir] of dirs.entries()) {
      const variant = dir.startsWith('+') ? dir.slice(1) : undefined;
      const child = await startSluice(variant === undefined ? dir : ROOT, work, mock.port, i, tracing + (variant ?? ''));
      const model = ROUTE === 'openai-anthropic' ? 'ma' : 'm';
      const ep = ROUTE === 'anthropic-openai' ? anthropic(child.port, model) : openai(child.port, model);
      const name = variant === undefined ? `@${commitOf(dir)}${dir === ROOT ? ' (this checkout)' : ''}` : `with ${variant}`;
      running.push({ name: `sluice ${ROUTE} ${name}`, child, ep, cpu: [], sys: [] });
    }
    const text = mockText(DIRECTIVES);
    const pools = running.map((r) => pool(r.child.port));
    process.stderr.write(`ab: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; warming up …\n`);
    for (const [i, r] of running.entries()) await load(pools[i]!, r.ep, text, { total: WARMUP, concurrency: 8, deadlineMs: 60_000, stream: true });
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round, so no contender always runs right after the same one.
      for (let k = 0; k < running.length; k++) {
        const i = (k + round) % running.length;
        const r = running[i]!;
        const [user0, sys0] = cpuOf(r.child.pid);
        const res = await load(pools[i]!, r.ep, text, { total: STREAMS, concurrency: 8, deadlineMs: 60_000, stream: true });
        if (res.failed > 0) throw new Error(`${r.name}: ${res.failed} failed: ${res.error}`);
        const [user1, sys1] = cpuOf(r.child.pid);
        r.cpu.push(((user1 - user0 + sys1 - sys0) * 1000) / res.completed);
        r.sys.push(((sys1 - sys0) * 1000) / res.completed);
      }
      process.stderr.write(`ab: round ${round + 1}/${ROUNDS}: ${running.map((r) => r.cpu.at(-1)!.toFixed(3)).join(' / ')} ms\n`);
    }
    await Promise.all(pools.map((p) => p.close()));
    const floor = running[0]!;
    const self = running[1]!;
    console.log(`${ROUTE}, ${DIRECTIVES}, ${ROUNDS} rounds of ${STREAMS} streams, load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    console.log('| contender | CPU ms/stream (median) | range | of which system | × pass-through | × this checkout |');
    console.log('|---|---|---|---|---|---|');
    for (const r of running) {
      const vsFloor = median(r.cpu.map((c, i) => c / floor.cpu[i]!));
      const vsSelf = median(r.cpu.map((c, i) => c / self.cpu[i]!));
      console.log(`| ${r.name} | ${median(r.cpu).toFixed(3)} | ${Math.min(...r.cpu).toFixed(3)}–${Math.max(...r.cpu).toFixed(3)} | ${median(r.sys).toFixed(3)} | ${vsFloor.toFixed(2)}× | ${vsSelf.toFixed(2)}× |`);
    }
  } finally {
    await Promise.all(running.map((r) => r.child.stop()));
    await sink?.stop();
    await mock.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
