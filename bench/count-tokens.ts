// Focused benchmark (not part of `npm run bench`'s table): the local token counter behind
// count_tokens for a 100 KB prompt (issue 12: under 5 ms p99 wanted). Two figures each:
// - in-process: countWith() on the canonical request, the tokenizer's own cost;
// - HTTP: POST /v1/messages/count_tokens to a real sluice whose model has no upstream counter.
// "cold" counts a prompt never seen before (every request different), "warm" the same prompt again
// (an agent re-counting its conversation: the long text parts are remembered).
//
//   node bench/count-tokens.ts [ROUNDS]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatRequest } from '../src/core/request.ts';
import { countWith, loadEncoder, vocabularyFor } from '../src/tokenize/index.ts';
import { startSluice } from '../test/helpers/sluice.ts';

const ROOT = join(import.meta.dirname, '..');
const ROUNDS = Number(process.argv[2] ?? 200);
const PROMPT_BYTES = 100_000;

// Real prose and code: the repository's own docs and sources, cut to 100 KB.
const corpus = ['README.md', 'docs/pipeline.md', 'src/gateway/pipeline.ts', 'src/gateway/attempt.ts', 'src/protocols/openai/decode-stream.ts', 'src/mock/README.md']
  .map((f) => readFileSync(join(ROOT, f), 'utf8'))
  .join('\n');
const base = corpus.repeat(Math.ceil(PROMPT_BYTES / corpus.length)).slice(0, PROMPT_BYTES);
/** A variant no cache has seen: a different word every 500 characters. */
const variant = (i: number): string => base.replace(/the /g, (m, at: number) => (at % 500 < 4 ? `t${i}e ` : m));

function request(text: string): ChatRequest {
  return { model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text }] }], stream: false, includeUsage: false, front: 'anthropic', raw: {} };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(label: string, samples: number[]): void {
  const s = [...samples].sort((a, b) => a - b);
  console.log(`${label.padEnd(34)} p50 ${pct(s, 50).toFixed(2).padStart(6)} ms   p99 ${pct(s, 99).toFixed(2).padStart(6)} ms   max ${s.at(-1)!.toFixed(2).padStart(6)} ms   (n=${s.length})`);
}

const encoder = await loadEncoder(vocabularyFor('gpt-4o'));
const texts = Array.from({ length: ROUNDS }, (_, i) => variant(i));
console.log(`prompt ${Buffer.byteLength(base)} bytes, ${countWith(encoder, request(base))} tokens (o200k_base)`);

const cold: number[] = [];
for (const t of texts) {
  const r = request(t);
  const t0 = performance.now();
  countWith(encoder, r);
  cold.push(performance.now() - t0);
}
report('in-process, cold (new prompt)', cold);
const warm: number[] = [];
const same = request(base);
for (let i = 0; i < ROUNDS; i++) {
  const t0 = performance.now();
  countWith(encoder, same);
  warm.push(performance.now() - t0);
}
report('in-process, warm (same prompt)', warm);

const sluice = await startSluice({ config: 'providers:\n  oa: { type: openai, base_url: "http://127.0.0.1:9/v1" }\nmodels:\n  m: { targets: [{ provider: oa, model: gpt-4o }] }\n' });
try {
  const post = async (text: string): Promise<number> => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: text }] });
    const t0 = performance.now();
    const res = await fetch(`${sluice.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'x' }, body });
    await res.json();
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    return performance.now() - t0;
  };
  await post(base); // loads the vocabulary
  const httpCold: number[] = [];
  for (const t of texts.slice(0, Math.min(ROUNDS, 100))) httpCold.push(await post(`${t} `));
  report('HTTP count_tokens, cold', httpCold);
  const httpWarm: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 100); i++) httpWarm.push(await post(base));
  report('HTTP count_tokens, warm', httpWarm);
} finally {
  await sluice.stop();
}
