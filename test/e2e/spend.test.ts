// SPEC §12 cost and budgets, end to end: a real sluice in front of `sluice mock`, the official SDKs as
// clients. Every request's cost_usd in the log line is the catalog's own number for the usage it
// reports (cached and reasoning tokens at their own prices), `pricing:` overrides win, /metrics
// sums it per key, model and target, `sluice keys usage` reads it back from the store; a key that
// crosses its budget gets 429 budget_exceeded (in each dialect) with retry-after to the next UTC
// midnight, abandoned streams count, and nothing reaches the upstream once the budget is spent.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { calcPrice } from '@pydantic/genai-prices';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { NODE, ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';

const run = promisify(execFile);
const RICH = 'sk-client-rich-0123456789abcdef';
const POOR = 'sk-client-poor-0123456789abcdef';
const ABANDON = 'sk-client-abandon-0123456789ab';
/** Less than one mock request costs at Claude Sonnet prices: the first request crosses it. */
const TINY_BUDGET = 0.00005;

let mock: MockServer;
let sluice: SluiceProcess;
let dir: string;
let configFile: string;

before(async () => {
  mock = await startMock({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'sluice-spend-'));
  const config = `
providers:
  claude: { type: anthropic, base_url: "${mock.url}", api_key: sk-up }
  relay: { type: openai, base_url: "${mock.url}/v1", api_key: sk-up }
  cheap: { type: openai, base_url: "${mock.url}/v1", api_key: sk-up }
models:
  sonnet: { targets: [{ provider: claude, model: claude-sonnet-4-5-20250929 }] }
  gpt: { targets: [{ provider: relay, model: gpt-4o }] }
  local: { targets: [{ provider: cheap, model: my-local }] }
  overridden: { targets: [{ provider: relay, model: o3 }] }
pricing:
  cheap/my-local: { input: 1000, output: 2000, cached_input: 100 }
  o3: { input: 1, output: 1, reasoning: 50 }
auth:
  keys:
    - { name: rich, key: "${RICH}" }
    - { name: poor, key: "${POOR}", budget: { usd: ${TINY_BUDGET}, per: day } }
    - { name: abandon, key: "${ABANDON}", budget: "${TINY_BUDGET}/month" }
retries: { attempts: 0 }
`;
  configFile = join(dir, 'sluice.yaml');
  writeFileSync(configFile, config);
  sluice = await startSluice({ config, cwd: dir });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function catalogCost(r: Record<string, unknown>, model: string, providerId?: string): number {
  const usage: Record<string, number> = { input_tokens: r.tokens_in as number, output_tokens: r.tokens_out as number };
  if (typeof r.tokens_cache_read === 'number') usage.cache_read_tokens = r.tokens_cache_read;
  if (typeof r.tokens_cache_write === 'number') usage.cache_write_tokens = r.tokens_cache_write;
  if (typeof r.tokens_reasoning === 'number') usage.output_reasoning_tokens = r.tokens_reasoning;
  return calcPrice(usage, model, providerId ? { providerId } : undefined)!.total_price;
}

describe('cost', () => {
  const client = (): OpenAI => new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: RICH, maxRetries: 0 });

  test('Anthropic upstream: cache reads and writes at their own prices, the catalog number exactly', async () => {
    const stream = await client().chat.completions.create({
      model: 'sonnet',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi [[mock cached=400 cache_write=80 chunks=6]]' }],
    });
    let usage;
    for await (const c of stream) usage ??= c.usage ?? undefined;
    assert.equal(usage?.prompt_tokens_details?.cached_tokens, 400);
    const r = await sluice.waitForRecord((x) => x.model === 'sonnet');
    assert.equal(r.tokens_cache_read, 400);
    assert.equal(r.tokens_cache_write, 80);
    assert.equal(r.tokens_estimated, false);
    assert.equal(r.cost_usd, catalogCost(r, 'claude-sonnet-4-5-20250929', 'anthropic'));
    // Sonnet 4.5: $3 in, $0.30 cache read, $3.75 cache write, $15 out per 1M tokens.
    const tokensIn = r.tokens_in as number;
    const by = ((tokensIn - 480) * 3 + 400 * 0.3 + 80 * 3.75 + (r.tokens_out as number) * 15) / 1e6;
    assert.ok(Math.abs((r.cost_usd as number) - by) < 1e-15, `${String(r.cost_usd)} vs ${by}`);
  });

  test('OpenAI-compatible relay: priced by model name; reasoning tokens; non-streaming too', async () => {
    await client().chat.completions.create({ model: 'gpt', messages: [{ role: 'user', content: 'hi [[mock cached=64 reasoning=5]]' }] });
    const r = await sluice.waitForRecord((x) => x.model === 'gpt');
    assert.equal(r.tokens_cache_read, 64);
    assert.equal(r.tokens_reasoning, 5);
    assert.equal(r.cost_usd, catalogCost(r, 'gpt-4o'));
    assert.ok((r.cost_usd as number) > 0);
  });

  test('pricing overrides win: provider/model and a bare model name over the catalog', async () => {
    await client().chat.completions.create({ model: 'local', messages: [{ role: 'user', content: 'hi [[mock cached=10]]' }] });
    const local = await sluice.waitForRecord((x) => x.model === 'local');
    const inTokens = local.tokens_in as number;
    assert.equal(local.cost_usd, ((inTokens - 10) * 1000) / 1e6 + (10 * 100) / 1e6 + ((local.tokens_out as number) * 2000) / 1e6);

    await client().chat.completions.create({ model: 'overridden', messages: [{ role: 'user', content: 'hi [[mock reasoning=4]]' }] });
    const o3 = await sluice.waitForRecord((x) => x.model === 'overridden');
    const out = o3.tokens_out as number;
    assert.equal(o3.cost_usd, (o3.tokens_in as number) / 1e6 + ((out - 4) * 1 + 4 * 50) / 1e6);
    assert.notEqual(o3.cost_usd, catalogCost(o3, 'o3', 'openai'));
  });

  test('/metrics sums cost per key, model and target; keys usage reads it from the store', async () => {
    const records = sluice.records().filter((r) => r.key_name === 'rich' && r.model === 'sonnet');
    const expected = records.reduce((s, r) => s + (r.cost_usd as number), 0);
    const text = await (await fetch(`${sluice.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('sluice_cost_usd_total{') && l.includes('key="rich"') && l.includes('model="sonnet"'));
    assert.ok(line, text.split('\n').filter((l) => l.startsWith('sluice_cost')).join('\n'));
    assert.match(line, /target="claude\/claude-sonnet-4-5-20250929"/);
    assert.ok(Math.abs(Number(line.split(' ').pop()) - expected) < 1e-12, line);

    // The store is written in batches (≤ 250 ms): wait for the last record to land.
    const deadline = Date.now() + 5000;
    let report: { rows: Array<Record<string, unknown>> } = { rows: [] };
    while (Date.now() < deadline) {
      const { stdout } = await run(NODE, [join(ROOT, 'src/cli/entry.js'), 'keys', 'usage', '--config', configFile, '--since', '1d', '--key', 'rich', '--json'], { cwd: dir });
      report = JSON.parse(stdout) as typeof report;
      if (report.rows.reduce((n, r) => n + (r.requests as number), 0) >= 4) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sonnet = report.rows.find((r) => r.model === 'sonnet')!;
    assert.equal(sonnet.key, 'rich');
    assert.equal(sonnet.requests, 1);
    assert.equal(sonnet.tokens_cache_read, 400);
    assert.ok(Math.abs((sonnet.cost_usd as number) - expected) < 1e-12);
    const { stdout: table } = await run(NODE, [join(ROOT, 'src/cli/entry.js'), 'keys', 'usage', '--config', configFile], { cwd: dir });
    assert.match(table, /^KEY\s+MODEL\s+REQUESTS\s+TOKENS IN\s+\(CACHED\)\s+TOKENS OUT\s+\(REASONING\)\s+COST USD$/m);
    assert.match(table, /^rich\s+sonnet\s+1\s+\d+\s+400\s/m);
    assert.match(table, /^TOTAL\s/m);
  });
});

describe('budgets', () => {
  test('the request that crosses the budget completes; the next gets 429 budget_exceeded, retry-after to midnight UTC', async () => {
    const poor = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: POOR, maxRetries: 0 });
    await poor.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'first' }] });
    const first = await sluice.waitForRecord((r) => r.key_name === 'poor' && r.status === 200);
    assert.ok((first.cost_usd as number) > TINY_BUDGET, 'one request crosses it');
    const upstreamBefore = mock.requests.length;

    const res = await fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${POOR}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sonnet', messages: [{ role: 'user', content: 'second' }] }),
    });
    const now = Date.now();
    assert.equal(res.status, 429);
    const body = (await res.json()) as { error: { type: string; code: string; message: string } };
    assert.equal(body.error.type, 'budget_exceeded');
    assert.equal(body.error.code, 'budget_exceeded');
    const midnight = new Date(now);
    midnight.setUTCHours(24, 0, 0, 0);
    assert.match(body.error.message, new RegExp(`resets at ${midnight.toISOString().replace('.000Z', 'Z')}`));
    assert.match(body.error.message, /budget of key "poor" exceeded: \$0\.000\d+ spent of \$0\.00005 per day/);
    const retryAfter = Number(res.headers.get('retry-after'));
    const expected = Math.ceil((midnight.getTime() - now) / 1000);
    assert.ok(Math.abs(retryAfter - expected) <= 2, `retry-after ${retryAfter}, expected ~${expected}`);
    assert.equal(mock.requests.length, upstreamBefore, 'nothing was sent upstream');

    // The OpenAI SDK raises a RateLimitError carrying the type; the Anthropic SDK sees its own dialect.
    await assert.rejects(poor.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      const err = e as { status?: number; type?: string };
      return err.status === 429 && err.type === 'budget_exceeded';
    });
    const anthropic = new Anthropic({ baseURL: sluice.url, apiKey: POOR, maxRetries: 0 });
    await assert.rejects(anthropic.messages.create({ model: 'sonnet', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      const err = e as { status?: number; error?: { type?: string; error?: { type?: string } } };
      return err.status === 429 && err.error?.error?.type === 'budget_exceeded';
    });
    assert.equal(mock.requests.length, upstreamBefore);
    // Refusals are logged as rejected, with no cost.
    await sluice.waitForRecord(() => sluice.records().filter((r) => r.key_name === 'poor' && r.status === 429).length === 3);
    for (const r of sluice.records().filter((x) => x.key_name === 'poor' && x.status === 429)) {
      assert.equal(r.end_reason, 'rejected');
      assert.equal(r.error, 'budget_exceeded');
      assert.equal(r.cost_usd, null);
    }
  });

  test('an abandoned stream counts: the client leaves mid-stream, its key is over budget after', async () => {
    const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: ABANDON, maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'sonnet', stream: true, messages: [{ role: 'user', content: 'long [[mock chunks=200 delay=20 cached=2000]]' }] },
      { signal: controller.signal },
    );
    let seen = 0;
    // openai-node ends the iteration quietly (or throws an abort error, by version) once aborted.
    try {
      for await (const c of stream) {
        if (c.choices[0]?.delta?.content) seen++;
        if (seen === 3) controller.abort();
      }
    } catch (err) {
      assert.match(String(err), /abort/i);
    }
    // Chunks already read before the abort took effect may still be handed out: at least the three.
    assert.ok(seen >= 3, `saw ${seen} chunks`);
    const r = await sluice.waitForRecord((x) => x.key_name === 'abandon');
    assert.equal(r.end_reason, 'client_abort');
    assert.ok((r.cost_usd as number) > TINY_BUDGET, `cost ${String(r.cost_usd)}`);
    await assert.rejects(client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'again' }] }), (e: unknown) => {
      const err = e as { status?: number; type?: string; message?: string };
      return err.status === 429 && err.type === 'budget_exceeded' && /per month; it resets at \d{4}-\d{2}-01T00:00:00Z/.test(err.message ?? '');
    });
  });
});
