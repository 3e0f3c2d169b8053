// `node bench/limits-ab.ts [pairs] [streams] [workers]`: what a key's limits cost end to end,
// measured in pairs on one gateway. One sluice with `server.workers: auto` (or `workers`: 1 gives
// what the limits cost a single process, where they never leave it) and two keys, one without
// limits and one with rpm, tpm and concurrency limits far above what is sent (as bench/workers.ts's
// "limited key" row); rounds of `streams` 50-event streams (default 1500, 8 in flight, from
// lean-load.ts's raw-socket client to its canned upstream) alternate between the two keys, `pairs`
// times (default 8), and each pair gives the limited key's CPU per stream (primary and workers
// together) over the open key's. Pairs taken one right after the other see the same background
// load, so their ratio stays meaningful on a machine shared with other work, where bench/workers.ts's
// rows (one sluice each, minutes apart) move by tens of percent. Prints the median ratio and each
// key's median CPU per stream. Not pinned (see bench/workers.ts for the pinned comparison).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockText } from './client.ts';
import { NODE_FLAGS, ROOT, startMockProcess } from './contender.ts';
import { cannedUpstream, chatRequestBytes, leanLoad } from './lean-load.ts';
import { percentile, processTree, startChild, treeCpuSeconds } from './lib.ts';

const PAIRS = Number(process.argv[2] ?? 8);
const STREAMS = Number(process.argv[3] ?? 1500);
const WORKERS = process.argv[4] ?? 'auto';
const OPEN_KEY = 'sk-bench-open-0123456789abcdef';
const LIMITED_KEY = 'sk-bench-limited-0123456789abcdef';

const dir = mkdtempSync(join(tmpdir(), 'sluice-limits-ab-'));
const mock = await startMockProcess();
const asked = { model: 'bench', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: mockText('chunks=50') }] };
const upstream = await cannedUpstream(`http://127.0.0.1:${mock.port}`, '/v1/chat/completions', JSON.stringify(asked));
await mock.stop();
const config = join(dir, 'sluice.yaml');
writeFileSync(
  config,
  `server: { host: 127.0.0.1, workers: ${WORKERS} }
store: sqlite:${join(dir, 'sluice.db')}
providers:
  mock: { type: openai, base_url: http://127.0.0.1:${upstream.port}/v1, timeouts: { idle: 10m, total: 30m } }
models:
  m: { targets: [{ provider: mock, model: bench }] }
auth:
  keys:
    - { name: open, key: ${OPEN_KEY} }
    - { name: limited, key: ${LIMITED_KEY}, rpm: 100000000, tpm: 1000000000000, concurrency: 100000 }
`,
);
const sluice = await startChild(join(ROOT, 'bin/sluice'), ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
  cwd: dir,
  env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
});
try {
  const pids = processTree(sluice.pid);
  const bytes = (key: string) => chatRequestBytes(sluice.port, 'm', mockText('chunks=50'), { authorization: `Bearer ${key}` });
  const reqs = { open: bytes(OPEN_KEY), limited: bytes(LIMITED_KEY) };
  const round = async (which: 'open' | 'limited', total: number): Promise<number> => {
    const cpu0 = treeCpuSeconds(pids);
    const r = await leanLoad(sluice.port, reqs[which], { total, connections: 8, deadlineMs: 60_000 });
    if (r.failed > 0 || r.completed === 0) throw new Error(`${which}: ${r.failed} failed, ${r.completed} completed`);
    return ((treeCpuSeconds(pids) - cpu0) * 1000) / r.completed;
  };
  await round('open', 3000);
  await round('limited', 3000);
  const open: number[] = [];
  const limited: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    // Alternate which goes first, so neither always follows the other.
    let o: number;
    let l: number;
    if (i % 2 === 0) {
      o = await round('open', STREAMS);
      l = await round('limited', STREAMS);
    } else {
      l = await round('limited', STREAMS);
      o = await round('open', STREAMS);
    }
    open.push(o);
    limited.push(l);
    ratios.push(l / o);
    process.stderr.write(`pair ${i + 1}: open ${o.toFixed(3)} ms/stream, limited ${l.toFixed(3)} ms/stream (${((l / o - 1) * 100).toFixed(1)}%)\n`);
  }
  process.stdout.write(
    `${PAIRS} pairs of ${STREAMS} streams, workers: ${WORKERS} (${pids.length} processes): open key ${percentile(open, 50).toFixed(3)} ms CPU/stream, ` +
      `limited key ${percentile(limited, 50).toFixed(3)}; the limits cost ${((percentile(ratios, 50) - 1) * 100).toFixed(1)}% CPU per stream (median of the pairs)\n`,
  );
} finally {
  await sluice.stop();
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
}
