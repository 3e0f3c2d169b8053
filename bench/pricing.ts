// What pricing a request costs (issue 15: at most 20 µs): the pricing stage as the gateway runs it
// (priceRecord on a finished request's record, the target's price resolved and cached on first
// use), for catalog prices (flat, tiered, with cache and reasoning tokens) and a `pricing:`
// override; beside it the catalog package's own calcPrice per request, which sluice avoids.
//
//   node bench/pricing.ts

import { calcPrice } from '@pydantic/genai-prices';
import type { RequestRecord } from '../src/gateway/pipeline.ts';
import { Pricer } from '../src/pricing/index.ts';
import { priceRecord } from '../src/pricing/record.ts';

const N = 200_000;
const pricer = new Pricer({
  providers: {
    anthropic: { type: 'anthropic', baseUrl: 'https://api.anthropic.com' },
    openai: { type: 'openai', baseUrl: 'https://api.openai.com/v1' },
    google: { type: 'gemini', baseUrl: 'https://generativelanguage.googleapis.com' },
    local: { type: 'openai', baseUrl: 'http://127.0.0.1:8000/v1' },
  },
  pricing: { 'local/*': { input: 0.1, output: 0.4, cachedInput: 0.01 } },
});

function record(target: string, i: number): RequestRecord {
  return {
    requestId: `r${i}`,
    front: 'openai',
    model: 'm',
    stream: true,
    target,
    provider: target.slice(0, target.indexOf('/')),
    attempts: 1,
    status: 200,
    endReason: 'completed',
    firstEventMs: 10,
    totalMs: 100,
    events: 50,
    retries: 0,
    failovers: 0,
    usage: { inputTokens: 1200 + (i & 255), outputTokens: 300 + (i & 63), cacheReadTokens: 512, cacheWriteTokens: 64, reasoningTokens: 40 },
  };
}

const targets = ['anthropic/claude-sonnet-4-5-20250929', 'openai/gpt-4o', 'google/gemini-2.5-pro', 'local/qwen2.5'];
const rows: string[] = [];
for (const target of targets) {
  const first = performance.now();
  priceRecord(pricer, record(target, 0));
  const firstUs = (performance.now() - first) * 1000;
  const records = Array.from({ length: 1024 }, (_, i) => record(target, i));
  let sink = 0;
  for (let i = 0; i < 20_000; i++) priceRecord(pricer, records[i & 1023]!); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const r = records[i & 1023]!;
    priceRecord(pricer, r);
    sink += r.costUsd ?? 0;
  }
  const us = ((performance.now() - t0) * 1000) / N;
  rows.push(`| ${target} | ${firstUs.toFixed(0)} µs | ${us.toFixed(3)} µs |`);
  if (!(sink > 0) && !target.startsWith('local')) throw new Error(`no cost for ${target}`);
}

const usage = { input_tokens: 1200, output_tokens: 300, cache_read_tokens: 512, cache_write_tokens: 64, output_reasoning_tokens: 40 };
for (let i = 0; i < 2000; i++) calcPrice(usage, 'claude-sonnet-4-5-20250929', { providerId: 'anthropic' });
const c0 = performance.now();
const M = 20_000;
for (let i = 0; i < M; i++) calcPrice(usage, 'claude-sonnet-4-5-20250929', { providerId: 'anthropic' });
const calcUs = ((performance.now() - c0) * 1000) / M;

process.stdout.write(
  `| target | first request (lookup + compile) | per request after (mean of ${N}) |\n|---|---|---|\n${rows.join('\n')}\n` +
    `\nfor comparison, @pydantic/genai-prices calcPrice per request (lookup every time): ${calcUs.toFixed(2)} µs\n`,
);
