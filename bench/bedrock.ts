// Bedrock rows (issues 13 and 16): sluice's cost on the three routes through AWS event-stream —
// chat→bedrock and messages→bedrock (ConverseStream decoded on the per-event path) and bedrock→openai
// (ConverseStream encoded) — as multiples of the bare Node proxy (bench/bare-proxy.ts) piping the same
// upstream bytes, measured in alternating rounds; then, on chat→bedrock, a 1 MB and a 10 MB event
// (time per MB: linear?) and 10k- and 100k-event streams (µs per event, peak RSS: flat?); and the
// event-stream decoder against @smithy/eventstream-codec's per message.
// Usage: node bench/bedrock.ts   (BENCH_QUICK=1 for a short run). Only 127.0.0.1 is addressed.

import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Pool } from 'undici';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { startMock } from '../src/mock/server.ts';
import { MOCK_AWS_ACCESS_KEY_ID, MOCK_AWS_SECRET_ACCESS_KEY, MOCK_BEDROCK_API_KEY } from '../src/protocols/bedrock/mock.ts';
import { EventStreamDecoder, encodeEvent } from '../src/protocols/bedrock/event-stream.ts';
import { NODE, NODE_FLAGS, ROOT, SLUICE_BIN } from './contender.ts';
import { cpuSeconds, fmt, resetPeakRss, startChild, treePeakRssBytes, rssBytes, type Child } from './lib.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = QUICK ? 3 : 5;
const STREAMS = QUICK ? 300 : 1500;
const WARMUP = QUICK ? 1000 : 6000;
const CONCURRENCY = 8;
const EVENTS = 50;

type ClientDialect = 'openai' | 'anthropic' | 'bedrock';

interface Route {
  path: string;
  headers: Record<string, string>;
  body: (text: string) => string;
  /** Bytes the end of a complete stream holds. */
  terminal: string;
}

function route(dialect: ClientDialect, model: string, key = 'bench'): Route {
  switch (dialect) {
    case 'openai':
      return {
        path: '/v1/chat/completions',
        headers: { authorization: `Bearer ${key}` },
        body: (t) => JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: t }] }),
        terminal: 'data: [DONE]',
      };
    case 'anthropic':
      return {
        path: '/v1/messages',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: (t) => JSON.stringify({ model, stream: true, max_tokens: 1024, messages: [{ role: 'user', content: t }] }),
        terminal: 'event: message_stop',
      };
    case 'bedrock':
      return {
        path: `/model/${encodeURIComponent(model)}/converse-stream`,
        headers: { authorization: `Bearer ${key}` },
        body: (t) => JSON.stringify({ messages: [{ role: 'user', content: [{ text: t }] }] }),
        terminal: 'metadata',
      };
  }
}

async function load(port: number, r: Route, text: string, total: number): Promise<{ completed: number; failed: number; error?: string }> {
  const p = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY * 2, bodyTimeout: 300_000, headersTimeout: 60_000 });
  let issued = 0;
  const out: { completed: number; failed: number; error?: string } = { completed: 0, failed: 0 };
  const deadline = performance.now() + 600_000;
  const worker = async (): Promise<void> => {
    while (issued < total && performance.now() < deadline) {
      issued++;
      try {
        const res = await p.request({ method: 'POST', path: r.path, headers: { 'content-type': 'application/json', ...r.headers }, body: r.body(text) });
        let tail = '';
        for await (const c of res.body as AsyncIterable<Buffer>) tail = (tail + c.toString('latin1', Math.max(0, c.length - 300))).slice(-300);
        if (res.statusCode === 200 && tail.includes(r.terminal)) out.completed++;
        else {
          out.failed++;
          out.error ??= `status ${res.statusCode}: ${tail.slice(-160)}`;
        }
      } catch (err) {
        out.failed++;
        out.error ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await p.close();
  return out;
}

/** CPU ms per stream of `pid` over `n` streams. */
async function cpuPerStream(pid: number, port: number, r: Route, text: string, n: number): Promise<number> {
  const before = cpuSeconds(pid);
  const res = await load(port, r, text, n);
  if (res.failed > 0) throw new Error(`${res.failed} failed: ${res.error}`);
  return ((cpuSeconds(pid) - before) * 1000) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

const mock = await startMock({ chunks: EVENTS });
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-bedrock-'));
const m = mock.url;
const timeouts = '{ idle: 10m, total: 30m }';
const config = join(dir, 'sluice.yaml');
writeFileSync(
  config,
  `server: { host: 127.0.0.1 }
store: sqlite:${join(dir, 'sluice.db')}
providers:
  br: { type: bedrock, region: us-east-1, base_url: ${m}, access_key_id: ${MOCK_AWS_ACCESS_KEY_ID}, secret_access_key: ${MOCK_AWS_SECRET_ACCESS_KEY}, timeouts: ${timeouts} }
  oa: { type: openai, base_url: ${m}/v1, timeouts: ${timeouts} }
models:
  mb: { targets: [{ provider: br, model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0" }] }
  m: { targets: [{ provider: oa, model: bench }] }
`,
);
const children: Child[] = [];
const stopAll = async (): Promise<void> => {
  for (const c of children) await c.stop();
  await mock.close();
};
try {
  const sluice = await startChild(SLUICE_BIN, ['serve', '--config', config, '--port', '0'], /sluice listening on http:\/\/127\.0\.0\.1:(\d+)/, {
    cwd: dir,
    env: { NODE_OPTIONS: NODE_FLAGS.join(' ').replace('--import ', '--import=') },
  });
  children.push(sluice);
  const bare = await startChild(NODE, [...NODE_FLAGS, join(ROOT, 'bench/bare-proxy.ts'), m], /listening (\d+)/);
  children.push(bare);

  const rows: string[] = [];
  const routes: Array<[string, Route, Route]> = [
    // [name, through sluice, the same upstream bytes through the bare proxy]
    ['chat→bedrock', route('openai', 'mb'), route('bedrock', 'mb', MOCK_BEDROCK_API_KEY)],
    ['messages→bedrock', route('anthropic', 'mb'), route('bedrock', 'mb', MOCK_BEDROCK_API_KEY)],
    ['bedrock→openai', route('bedrock', 'm'), route('openai', 'm')],
  ];
  const text = 'bench';
  for (const [name, through, ref] of routes) {
    await cpuPerStream(sluice.pid, sluice.port, through, text, WARMUP);
    await cpuPerStream(bare.pid, bare.port, ref, text, Math.min(WARMUP, 2000));
    const ratios: number[] = [];
    const costs: number[] = [];
    const bares: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const s = await cpuPerStream(sluice.pid, sluice.port, through, text, STREAMS);
      const b = await cpuPerStream(bare.pid, bare.port, ref, text, STREAMS);
      costs.push(s);
      bares.push(b);
      ratios.push(s / b);
    }
    rows.push(`| sluice ${name} | ${fmt(median(costs), 3)} | ${fmt(median(bares), 3)} | ${fmt(median(ratios))}× |`);
  }
  console.log(`\nCPU per ${EVENTS}-event stream, ${CONCURRENCY} in flight, median of ${ROUNDS} alternating rounds of ${STREAMS}:\n`);
  console.log('| route | sluice CPU ms/stream | bare proxy CPU ms/stream | ×bare |\n|---|---|---|---|');
  console.log(rows.join('\n'));

  // Large events and long streams, chat→bedrock.
  const chat = route('openai', 'mb');
  const timed = async (directives: string): Promise<{ ms: number; peakMb: number }> => {
    const pids = [sluice.pid];
    resetPeakRss(pids);
    const idle = rssBytes(sluice.pid);
    const t = performance.now();
    const r = await load(sluice.port, { ...chat }, `bench [[mock ${directives}]]`, 1);
    if (r.failed > 0) throw new Error(`${directives}: ${r.error}`);
    return { ms: performance.now() - t, peakMb: (treePeakRssBytes(pids) - idle) / 1048576 };
  };
  // Median of 3 each, after one warm-up (as bench/scenarios.ts bigStreams).
  const medianOf = async (directives: string): Promise<{ ms: number; peakMb: number }> => {
    const runs = [await timed(directives), await timed(directives), await timed(directives)].sort((x, y) => x.ms - y.ms);
    return runs[1]!;
  };
  await timed('fault=big_event size=1048576');
  const one = await medianOf('fault=big_event size=1048576');
  const ten = await medianOf('fault=big_event size=10485760');
  console.log(`\nchat→bedrock one big event: 1 MB ${fmt(one.ms, 1)} ms (peak +${fmt(one.peakMb, 1)} MB), 10 MB ${fmt(ten.ms, 1)} ms (peak +${fmt(ten.peakMb, 1)} MB); time per MB 10 MB ÷ 1 MB = ${fmt(ten.ms / 10 / one.ms)}×`);
  const short = QUICK ? 5000 : 10_000;
  const long = QUICK ? 50_000 : 100_000;
  await timed(`chunks=${short}`);
  const a = await timed(`chunks=${short}`);
  const b = await timed(`chunks=${long}`);
  console.log(
    `chat→bedrock long streams: ${short} events ${fmt((a.ms * 1000) / short)} µs/event (peak +${fmt(a.peakMb, 1)} MB), ${long} events ${fmt((b.ms * 1000) / long)} µs/event (peak +${fmt(b.peakMb, 1)} MB); µs/event long ÷ short = ${fmt(b.ms / long / (a.ms / short))}`,
  );
} finally {
  await stopAll();
}

// The decoder itself: this folder's against @smithy/eventstream-codec (whole messages, as the SDK's
// own splitter hands them over), one ConverseStream text delta per message.
const smithy = new EventStreamCodec(toUtf8, fromUtf8);
const frames: Buffer[] = [];
for (let i = 0; i < 2000; i++) frames.push(encodeEvent('contentBlockDelta', `{"contentBlockIndex":0,"delta":{"text":" token${i}"},"p":"abcdefghijklmnopqrstuvwxyzABCDEF"}`));
let sink = 0;
const lean = (): void => {
  const d = new EventStreamDecoder({ onEvent: (data, ev) => (sink += data.length + ev.length), onError: (e) => { throw e; } });
  for (const f of frames) d.push(f);
};
const viaSmithy = (): void => {
  for (const f of frames) {
    const msg = smithy.decode(f);
    sink += toUtf8(msg.body).length + String(msg.headers[':event-type']?.value).length;
  }
};
const perMessage = (fn: () => void): number => {
  for (let i = 0; i < 50; i++) fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) fn();
  return Number(process.hrtime.bigint() - t) / (200 * frames.length);
};
console.log(`\nevent-stream decode per message (CRC-checked, payload as a string): this decoder ${fmt(perMessage(lean), 0)} ns, @smithy/eventstream-codec ${fmt(perMessage(viaSmithy), 0)} ns (${sink > 0 ? 'ok' : ''})`);
