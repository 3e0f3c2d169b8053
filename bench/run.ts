// `npm run bench`: every contender measured side by side in one run, reported as ratios.
// Contenders: direct to `sluice mock`; a bare Node pass-through proxy (bench/bare-proxy.ts); sluice
// same-protocol (OpenAI client -> OpenAI upstream); sluice translating (Anthropic client -> OpenAI
// upstream). Absolute numbers depend on the machine; the ratios are what the targets speak about.
// Bounded: every scenario stops at a request count and a deadline; loopback only.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'undici';
import { anthropicBody, chatBody, cpuSeconds, fmt, load, percentile, startChild, timedStream, type Child } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const ENTRY = join(ROOT, 'src/cli/entry.js');
const QUICK = process.env.BENCH_QUICK === '1';

interface Contender {
  name: string;
  /** The process whose CPU is the contender's cost (none for direct). */
  pid?: number;
  port: number;
  path: string;
  body: (directive: string) => string;
}

interface Row {
  name: string;
  streamsPerSec: number;
  cpuMsPerStream: number;
  ttfeP50: number;
  ttfeP99: number;
  gapP50: number;
  gapP99: number;
}

async function main(): Promise<void> {
  const children: Child[] = [];
  try {
    const mock = await startChild(NODE, [ENTRY, 'mock', '--port', '0'], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    children.push(mock);
    const mockUrl = `http://127.0.0.1:${mock.port}`;
    const bare = await startChild(NODE, [join(ROOT, 'bench/bare-proxy.ts'), mockUrl], /listening (\d+)/);
    children.push(bare);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
    const config = join(dir, 'sluice.yaml');
    writeFileSync(
      config,
      `providers:\n  mock: { type: openai, base_url: ${mockUrl}/v1 }\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n`,
    );
    const sluice = await startChild(NODE, [ENTRY, 'serve', '--config', config, '--port', '0'], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    children.push(sluice);

    const contenders: Contender[] = [
      { name: 'direct (mock)', port: mock.port, path: '/v1/chat/completions', body: (d) => chatBody(d) },
      { name: 'bare node proxy', pid: bare.pid, port: bare.port, path: '/v1/chat/completions', body: (d) => chatBody(d) },
      { name: 'sluice openai→openai', pid: sluice.pid, port: sluice.port, path: '/v1/chat/completions', body: (d) => chatBody(d) },
      { name: 'sluice anthropic→openai', pid: sluice.pid, port: sluice.port, path: '/v1/messages', body: (d) => anthropicBody(d) },
    ];

    const rows: Row[] = [];
    for (const c of contenders) {
      const pool = new Pool(`http://127.0.0.1:${c.port}`, { connections: 64, keepAliveTimeout: 30_000 });
      // Warm-up: JIT, connection pools.
      await load(pool, c.path, c.body('chunks=50'), { total: QUICK ? 100 : 400, concurrency: 8, deadlineMs: 10_000 });

      // Throughput and CPU: 50-chunk streams, as fast as they go.
      const cpu0 = c.pid ? cpuSeconds(c.pid) : 0;
      const t = await load(pool, c.path, c.body('chunks=50'), { total: QUICK ? 600 : 3000, concurrency: 8, deadlineMs: 20_000 });
      const cpu1 = c.pid ? cpuSeconds(c.pid) : 0;
      if (t.failed > 0) throw new Error(`${c.name}: ${t.failed} failed streams`);

      // Time to first event, unloaded, sequential.
      const ttfe: number[] = [];
      for (let i = 0; i < (QUICK ? 50 : 200); i++) ttfe.push((await timedStream(pool, c.path, c.body('chunks=5'))).firstEventMs);

      // Per-event delay on a 20 ms-spaced stream: each event's lateness against the upstream's pace.
      const gaps: number[] = [];
      for (let i = 0; i < (QUICK ? 3 : 8); i++) {
        const s = await timedStream(pool, c.path, c.body('chunks=30 delay=20'));
        const content = s.arrivals.slice(-31, -1);
        for (let k = 1; k < content.length; k++) gaps.push(content[k]! - content[0]! - 20 * k);
      }
      await pool.close();
      rows.push({
        name: c.name,
        streamsPerSec: (t.completed / t.wallMs) * 1000,
        cpuMsPerStream: c.pid ? ((cpu1 - cpu0) * 1000) / t.completed : 0,
        ttfeP50: percentile(ttfe, 50),
        ttfeP99: percentile(ttfe, 99),
        gapP50: percentile(gaps, 50),
        gapP99: percentile(gaps, 99),
      });
    }
    print(rows);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

function print(rows: Row[]): void {
  const direct = rows[0]!;
  const bare = rows[1]!;
  const header = ['contender', 'streams/s', '×bare', 'CPU ms/stream', '×bare', 'TTFE p50 ms', '+TTFE vs direct', 'event lateness p50/p99 ms'];
  const lines = rows.map((r) => [
    r.name,
    fmt(r.streamsPerSec, 0),
    fmt(r.streamsPerSec / bare.streamsPerSec),
    r.cpuMsPerStream ? fmt(r.cpuMsPerStream, 3) : '—',
    r.cpuMsPerStream && bare.cpuMsPerStream ? fmt(r.cpuMsPerStream / bare.cpuMsPerStream) : '—',
    fmt(r.ttfeP50, 2),
    r === direct ? '—' : `+${fmt(r.ttfeP50 - direct.ttfeP50, 2)}`,
    `${fmt(r.gapP50, 2)} / ${fmt(r.gapP99, 2)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\nsluice bench — ${new Date().toISOString()} — node ${process.version}, ${QUICK ? 'quick' : 'full'} run`);
  console.log('50-chunk streams, 8 concurrent; TTFE = time to first content event (5-chunk stream, sequential);');
  console.log('lateness = arrival vs the upstream pace on a 20 ms-spaced stream.\n');
  console.log(row(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(row(l));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
