// Issue 12 §4: cached tokens (read and written) and reasoning tokens, reported by every upstream type
// (OpenAI chat, Anthropic, Gemini, OpenAI Responses, Cohere) in its own fields, reach every front in
// the client's own fields with the exact numbers — OpenAI input counts include cached tokens,
// Anthropic's exclude them (SPEC §5) — and are recorded in the store and the request log line.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { uniqueTag, within } from './translation-env.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let dir: string;
let dbPath: string;

const CACHED = 1000;
const CACHE_WRITE = 200;
const REASONING = 3;
const CHUNKS = 4;
/** The mock's usage for one user message (src/mock/README.md): 10 + 1 message + cache reads and writes. */
const INPUT = 10 + 1 + CACHED + CACHE_WRITE;
const OUTPUT = CHUNKS + REASONING;
const DIRECTIVE = `[[mock chunks=${CHUNKS} reasoning=${REASONING} cached=${CACHED} cache_write=${CACHE_WRITE}]]`;

/**
 * Only Anthropic's usage has a field for cache writes (the others fold them into the prompt count);
 * Cohere's has none for reasoning.
 */
const UPSTREAMS: Array<{ model: string; cacheWrite?: number; reasoning?: number }> = [
  { model: 'u-oa', reasoning: REASONING },
  { model: 'u-an', cacheWrite: CACHE_WRITE, reasoning: REASONING },
  { model: 'u-ge', reasoning: REASONING },
  { model: 'u-re', reasoning: REASONING },
  { model: 'u-co' },
];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-cached-'));
  dbPath = join(dir, 'usage.db');
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  oa: { type: openai, base_url: ${mock.url}/v1 }
  an: { type: anthropic, base_url: ${mock.url} }
  ge: { type: gemini, base_url: ${mock.url} }
  re: { type: openai-responses, base_url: ${mock.url}/v1 }
  co: { type: cohere, base_url: ${mock.url} }
models:
  u-oa: { targets: [{ provider: oa, model: gpt-x }] }
  u-an: { targets: [{ provider: an, model: claude-x }] }
  u-ge: { targets: [{ provider: ge, model: gemini-x }] }
  u-re: { targets: [{ provider: re, model: gpt-x }] }
  u-co: { targets: [{ provider: co, model: command-x }] }
retries: { attempts: 0 }
store: sqlite:${dbPath}
`,
  });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The log line and the stored row of the request that carried `tag`, with the numbers every front must match. */
async function assertRecorded(requestId: string, cacheWrite: number | undefined, reasoning: number | undefined): Promise<void> {
  const line = await sluice.waitForRecord((r) => r.request_id === requestId, 5000);
  assert.equal(line.tokens_in, INPUT);
  assert.equal(line.tokens_out, OUTPUT);
  assert.equal(line.tokens_cache_read, CACHED);
  assert.equal(line.tokens_cache_write, cacheWrite ?? null);
  assert.equal(line.tokens_reasoning, reasoning ?? null);
  const store = new SqliteStore(dbPath);
  try {
    let row;
    for (let i = 0; i < 50 && row === undefined; i++) {
      row = (await store.recentUsage(100)).find((r) => r.requestId === requestId);
      if (row === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(row, 'usage row stored');
    assert.equal(row.tokensIn, INPUT);
    assert.equal(row.tokensOut, OUTPUT);
    assert.equal(row.cacheReadTokens, CACHED);
    assert.equal(row.cacheWriteTokens, cacheWrite);
    assert.equal(row.reasoningTokens, reasoning);
  } finally {
    await store.close();
  }
}

describe('cached and reasoning tokens, every (upstream, front) pair', () => {
  for (const { model, cacheWrite, reasoning } of UPSTREAMS) {
    test(`${model} -> OpenAI front: prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens`, async () => {
      const requestId = uniqueTag('oa');
      const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, defaultHeaders: { 'x-request-id': requestId } });
      const stream = await client.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `hi ${DIRECTIVE}` }] });
      let usage: OpenAI.CompletionUsage | undefined;
      await within(8000, (async () => {
        for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      })());
      assert.equal(usage?.prompt_tokens, INPUT);
      assert.equal(usage?.completion_tokens, OUTPUT);
      assert.equal(usage?.prompt_tokens_details?.cached_tokens, CACHED);
      assert.equal((usage?.prompt_tokens_details as { cache_write_tokens?: number } | undefined)?.cache_write_tokens, cacheWrite);
      assert.equal(usage?.completion_tokens_details?.reasoning_tokens, reasoning);
      await assertRecorded(requestId, cacheWrite, reasoning);
    });

    test(`${model} -> Anthropic front: input_tokens without the cache, cache_read/cache_creation_input_tokens`, async () => {
      const requestId = uniqueTag('an');
      const client = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, defaultHeaders: { 'x-request-id': requestId } });
      const msg = await within(8000, client.messages.stream({ model, max_tokens: 100, messages: [{ role: 'user', content: `hi ${DIRECTIVE}` }] }).finalMessage());
      assert.equal(msg.usage.input_tokens, INPUT - CACHED - (cacheWrite ?? 0));
      assert.equal(msg.usage.cache_read_input_tokens, CACHED);
      assert.equal(msg.usage.cache_creation_input_tokens, cacheWrite ?? 0);
      assert.equal(msg.usage.output_tokens, OUTPUT);
      await assertRecorded(requestId, cacheWrite, reasoning);
    });

    test(`${model} -> Gemini front: cachedContentTokenCount, thoughtsTokenCount`, async () => {
      const requestId = uniqueTag('ge');
      const genai = new GoogleGenAI({ apiKey: 'x', httpOptions: { baseUrl: sluice.url, headers: { 'x-request-id': requestId } } });
      const stream = await genai.models.generateContentStream({ model, contents: `hi ${DIRECTIVE}` });
      let usage: Record<string, number | undefined> | undefined;
      await within(8000, (async () => {
        for await (const chunk of stream) if (chunk.usageMetadata) usage = chunk.usageMetadata as Record<string, number | undefined>;
      })());
      assert.equal(usage?.promptTokenCount, INPUT);
      assert.equal(usage?.cachedContentTokenCount, CACHED);
      assert.equal(usage?.thoughtsTokenCount, reasoning);
      assert.equal(usage?.candidatesTokenCount, OUTPUT - (reasoning ?? 0));
      assert.equal(usage?.totalTokenCount, INPUT + OUTPUT);
      await assertRecorded(requestId, cacheWrite, reasoning);
    });

    test(`${model} -> Responses front: input_tokens_details.cached_tokens, output_tokens_details.reasoning_tokens`, async () => {
      const requestId = uniqueTag('re');
      const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, defaultHeaders: { 'x-request-id': requestId } });
      const stream = client.responses.stream({ model, input: `hi ${DIRECTIVE}`, store: false });
      const final = await within(8000, stream.finalResponse());
      assert.equal(final.usage?.input_tokens, INPUT);
      assert.equal(final.usage?.output_tokens, OUTPUT);
      assert.equal(final.usage?.input_tokens_details.cached_tokens, CACHED);
      assert.equal(final.usage?.output_tokens_details.reasoning_tokens, reasoning ?? 0);
      await assertRecorded(requestId, cacheWrite, reasoning);
    });

    test(`${model} -> Cohere front: tokens.input_tokens with cached_tokens`, async () => {
      const requestId = uniqueTag('co');
      const res = await fetch(`${sluice.url}/v2/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer x', 'x-request-id': requestId },
        body: JSON.stringify({ model, stream: false, messages: [{ role: 'user', content: `hi ${DIRECTIVE}` }] }),
      });
      assert.equal(res.status, 200);
      const usage = ((await res.json()) as { usage: { tokens: { input_tokens: number; output_tokens: number }; cached_tokens?: number } }).usage;
      assert.equal(usage.tokens.input_tokens, INPUT);
      assert.equal(usage.tokens.output_tokens, OUTPUT);
      assert.equal(usage.cached_tokens, CACHED);
      await assertRecorded(requestId, cacheWrite, reasoning);
    });
  }

  test('/metrics counts tokens by kind', async () => {
    const text = await (await fetch(`${sluice.url}/metrics`)).text();
    const value = (kind: string, model: string): number => {
      const m = new RegExp(`^sluice_token_details_total\\{[^}]*kind="${kind}"[^}]*model="${model}"[^}]*\\} (\\d+)|^sluice_token_details_total\\{[^}]*model="${model}"[^}]*kind="${kind}"[^}]*\\} (\\d+)`, 'm').exec(text);
      return m ? Number(m[1] ?? m[2]) : 0;
    };
    assert.equal(value('cache_read', 'u-an'), 5 * CACHED);
    assert.equal(value('cache_write', 'u-an'), 5 * CACHE_WRITE);
    assert.equal(value('reasoning', 'u-ge'), 5 * REASONING);
  });
});
