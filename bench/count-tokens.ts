// Focused benchmark (not part of `npm run bench`'s table): the local token counter behind
// count_tokens (issue 12: a 100 KB prompt in under 5 ms p99). What the rows mean is in
// bench/README.md ("count-tokens"). Every timed count gets a text it has never seen (except the
// "same prompt again" rows), in a warm process, with whatever GC falls inside the timing; each row
// gives wall time and the process's CPU time per count (process.cpuUsage: all threads, so a GC
// helper's work is counted; less sensitive than wall time to other processes on the machine).
//
//   node bench/count-tokens.ts [ROUNDS] [RUNS]      (defaults 200 and 3)

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { countTokens as gptTokenizerCount } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatRequest, Message } from '../src/core/request.ts';
import { countWith, loadEncoder, vocabularyFor, type Encoder } from '../src/tokenize/index.ts';
import { countOffThread } from '../src/tokenize/offload.ts';
import { startSluice } from '../test/helpers/sluice.ts';
import { cpuSeconds } from './lib.ts';

const ROOT = join(import.meta.dirname, '..');
const ROUNDS = Number(process.argv[2] ?? 200);
const RUNS = Number(process.argv[3] ?? 3);
const WARMUP = 20;
const KB100 = 100_000;

// Text: the repository's own sources and docs (prose, code, some non-ASCII), 2.6 MB; count i takes
// 100 KB from its own offset and renames a word every 500 characters, so no two texts are alike.
function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (name.startsWith('.') || name === 'node_modules') return [];
      if (statSync(p).isDirectory()) return files(p);
      return /\.(ts|md)$/.test(name) ? [p] : [];
    });
}
const corpus = ['src', 'docs', 'test', 'bench'].flatMap((d) => files(join(ROOT, d))).map((f) => readFileSync(f, 'utf8'))
  .join('\n')
  // The tests spell special tokens; gpt-tokenizer (the "before" row) refuses them.
  .replaceAll('<|', '< |');
let serial = 0;
function freshText(bytes: number): string {
  const i = serial++;
  const at = (i * 104_729) % (corpus.length - bytes);
  return corpus.slice(at, at + bytes).replace(/the /g, (m, k: number) => (k % 500 < 4 ? `t${i}e ` : m));
}

// Other scripts: sentences of seven languages, shuffled afresh for each text, with numbers.
const SENTENCES = [
  'Die Anfrage wird an einen der konfigurierten Anbieter weitergeleitet, und die Antwort kommt als Strom zurück.',
  'Le passerelle traduit chaque requête vers le protocole du fournisseur et renvoie la réponse au client.',
  'Шлюз принимает запрос, выбирает поставщика и передаёт ответ клиенту по мере его поступления.',
  '网关接收请求，选择上游服务，并将流式响应逐条转发给客户端。',
  'ゲートウェイは要求を受け取り、上流を選び、応答を順番にクライアントへ返します。',
  'تستقبل البوابة الطلب وتختار المزود ثم تعيد الاستجابة إلى العميل أثناء وصولها.',
  'गेटवे अनुरोध लेता है, प्रदाता चुनता है और उत्तर को ग्राहक तक पहुँचाता है।',
];
function freshForeign(bytes: number): string {
  let s = serial++ * 7919;
  let out = '';
  while (Buffer.byteLength(out) < bytes) {
    s = (s * 1103515245 + 12345) >>> 0;
    out += `${SENTENCES[s % SENTENCES.length]} ${s % 1000} `;
  }
  return out;
}

function request(messages: Message[]): ChatRequest {
  return { model: 'gpt-4o', messages, stream: false, includeUsage: false, front: 'anthropic', raw: {} };
}
const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });

interface Row {
  label: string;
  wall: number[];
  cpu: number[];
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function print(row: Row): void {
  const w = [...row.wall].sort((a, b) => a - b);
  const c = [...row.cpu].sort((a, b) => a - b);
  const f = (x: number): string => x.toFixed(2).padStart(7);
  console.log(
    `  ${row.label.padEnd(48)} wall p50 ${f(pct(w, 50))} p90 ${f(pct(w, 90))} p99 ${f(pct(w, 99))} max ${f(w.at(-1)!)}   cpu p50 ${f(pct(c, 50))} p99 ${f(pct(c, 99))} ms  (n=${w.length})`,
  );
}

/** Times `run` ROUNDS times after WARMUP untimed calls; `prepare` makes each call's input untimed. */
async function measure<T>(label: string, prepare: () => T, run: (input: T) => unknown, rounds = ROUNDS, warmup = WARMUP): Promise<Row> {
  for (let i = 0; i < warmup; i++) await run(prepare());
  const row: Row = { label, wall: [], cpu: [] };
  for (let i = 0; i < rounds; i++) {
    const input = prepare();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run(input);
    row.wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    row.cpu.push((c.user + c.system) / 1000);
  }
  print(row);
  return row;
}

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

console.log(`node ${process.version}, ${cpus().length} CPUs, corpus ${(corpus.length / 1e6).toFixed(1)} MB, ${ROUNDS} counts per row, ${RUNS} runs`);
let t0 = performance.now();
const encoder: Encoder = await loadEncoder(vocabularyFor('gpt-4o'));
console.log(`vocabulary o200k_base loaded in ${(performance.now() - t0).toFixed(0)} ms`);
const first = freshText(KB100);
t0 = performance.now();
const firstCount = encoder.countTokens(first);
console.log(`first count in this process (nothing remembered yet): ${(performance.now() - t0).toFixed(2)} ms, ${firstCount} tokens for ${KB100} bytes`);

const summary = new Map<string, number[]>();
for (let run = 1; run <= RUNS; run++) {
  console.log(`run ${run}: load average ${load()}`);
  const rows: Row[] = [];
  rows.push(await measure('gpt-tokenizer countTokens, new 100 KB (before)', () => freshText(KB100), (t) => gptTokenizerCount(t)));
  rows.push(await measure('sluice, new 100 KB prompt', () => request([user(freshText(KB100))]), (r) => countWith(encoder, r)));
  rows.push(await measure('sluice, new 100 KB in 7 other scripts', () => request([user(freshForeign(KB100))]), (r) => countWith(encoder, r)));
  const same = request([user(freshText(KB100))]);
  rows.push(await measure('sluice, same 100 KB prompt again', () => same, (r) => countWith(encoder, r)));
  const conversation = Array.from({ length: 40 }, (_, i) => ({ ...user(freshText(KB100 / 40)), role: i % 2 === 0 ? 'user' : 'assistant' }) as Message);
  countWith(encoder, request(conversation));
  rows.push(await measure('sluice, 100 KB conversation + 1 new 2.5 KB turn', () => request([...conversation, user(freshText(KB100 / 40))]), (r) => countWith(encoder, r)));
  // The same growth inside one text part: parts are cached whole, so the part is counted again.
  // (The appended text's length varies, as real growth does: the cache's lookups compare texts of
  // equal length that share a long beginning, a cost only texts made that way pay.)
  const grown = freshText(KB100);
  countWith(encoder, request([user(grown)]));
  rows.push(await measure('sluice, one 100 KB text part + 2.5 KB appended', () => request([user(grown + freshText(KB100 / 40 + (serial % 1000)))]), (r) => countWith(encoder, r)));
  rows.push(await measure('worker round trip, new 100 KB', () => [freshText(KB100)], (texts) => countOffThread('o200k_base', texts, encoder)));
  // The main thread's share of a worker count: copying the text into the message.
  const blocked: Row = { label: 'worker: main thread busy posting 100 KB', wall: [], cpu: [] };
  const { port1, port2 } = new MessageChannel();
  port2.on('message', () => {});
  for (let i = 0; i < ROUNDS; i++) {
    const texts = [freshText(KB100)];
    const c0 = process.cpuUsage();
    const s = performance.now();
    port1.postMessage({ id: i, vocabulary: 'o200k_base', texts });
    blocked.wall.push(performance.now() - s);
    const c = process.cpuUsage(c0);
    blocked.cpu.push((c.user + c.system) / 1000);
  }
  port1.close();
  print(blocked);
  rows.push(blocked);
  console.log(`  load average after run ${run}: ${load()}`);
  for (const r of rows) {
    const w = [...r.wall].sort((a, b) => a - b);
    summary.set(r.label, [...(summary.get(r.label) ?? []), pct(w, 99)]);
  }
}

console.log('wall p99 per run (ms):');
for (const [label, p99s] of summary) console.log(`  ${label.padEnd(48)} ${p99s.map((x) => x.toFixed(2).padStart(7)).join(' ')}`);

const sluice = await startSluice({ config: 'providers:\n  oa: { type: openai, base_url: "http://127.0.0.1:9/v1" }\nmodels:\n  m: { targets: [{ provider: oa, model: gpt-4o }] }\n' });
try {
  const post = async (text: string): Promise<void> => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: text }] });
    const res = await fetch(`${sluice.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'x' }, body });
    await res.json();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
  };
  // A fresh server compiles the counter during its first counts (the first takes 20-40 ms): warm it.
  for (let i = 0; i < 100; i++) await post(freshText(KB100));
  console.log(`HTTP POST /v1/messages/count_tokens to a sluice process on this machine, warmed by 100 counts; cpu is the client's: load average ${load()}`);
  const rounds = Math.min(ROUNDS, 100);
  // The server's CPU (all its threads, from /proc in 10 ms ticks), averaged over a row's requests.
  const http = async (label: string, prepare: () => string, n: number): Promise<void> => {
    const before = cpuSeconds(sluice.pid);
    await measure(label, prepare, post, n, 0);
    console.log(`  ${''.padEnd(48)} server cpu mean ${(((cpuSeconds(sluice.pid) - before) * 1000) / n).toFixed(2)} ms per request`);
  };
  await http('HTTP, new 100 KB prompt', () => freshText(KB100), rounds);
  const again = freshText(KB100);
  await post(again);
  await http('HTTP, same 100 KB prompt again', () => again, rounds);
  await post(freshText(1_000_000));
  await http('HTTP, new 1 MB prompt (counted in the worker)', () => freshText(1_000_000), Math.min(rounds, 30));
} finally {
  await sluice.stop();
}
process.exit(0);
