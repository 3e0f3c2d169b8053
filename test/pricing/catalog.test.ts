// Cost against the catalog's own numbers: for every model of every provider in @pydantic/genai-prices,
// sluice's compiled price gives exactly (===) what the package's calcPrice gives for the same usage,
// cached reads and writes and reasoning included; tiers above 200k input tokens; dated prices.
// And the Pricer: overrides win over the catalog, provider/* and bare model names, demo is free.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calcPrice, waitForUpdate, type Provider } from '@pydantic/genai-prices';
import { ModelPrices, applyPrice, type PricedUsage } from '../../src/pricing/compile.ts';
import { Pricer } from '../../src/pricing/index.ts';

const USAGES: PricedUsage[] = [
  { inputTokens: 1234, outputTokens: 567 },
  { inputTokens: 10_000, outputTokens: 2000, cacheReadTokens: 4000, cacheWriteTokens: 1000, reasoningTokens: 500 },
  { inputTokens: 250_000, outputTokens: 3000, cacheReadTokens: 100_000, cacheWriteTokens: 20_000, reasoningTokens: 2999 },
  { inputTokens: 7, outputTokens: 0, cacheReadTokens: 7 },
];

function catalogUsage(u: PricedUsage): Record<string, number> {
  const out: Record<string, number> = { input_tokens: u.inputTokens, output_tokens: u.outputTokens };
  if (u.cacheReadTokens !== undefined) out.cache_read_tokens = u.cacheReadTokens;
  if (u.cacheWriteTokens !== undefined) out.cache_write_tokens = u.cacheWriteTokens;
  if (u.reasoningTokens !== undefined) out.output_reasoning_tokens = u.reasoningTokens;
  return out;
}

test('every catalog model: compiled price === calcPrice, to the last bit', async () => {
  const providers = (await waitForUpdate()) as Provider[];
  assert.ok(providers.length > 20, 'the bundled catalog is there');
  const times = [new Date('2025-06-01T03:00:00Z'), new Date('2026-03-01T18:00:00Z'), new Date()];
  let compared = 0;
  for (const provider of providers) {
    for (const model of provider.models) {
      const compiled = new ModelPrices(model);
      const single: Provider = { ...provider, models: [model], fallback_model_providers: undefined };
      for (const usage of USAGES) {
        for (const at of times) {
          let expected: number | undefined;
          try {
            expected = calcPrice(catalogUsage(usage), model.id, { provider: single, timestamp: at })?.total_price;
          } catch {
            continue; // an entry the package itself refuses for this usage (e.g. per-second audio models)
          }
          if (expected === undefined) continue;
          const got = applyPrice(compiled.at(at), usage);
          assert.equal(got, expected, `${provider.id}/${model.id} at ${at.toISOString()} for ${JSON.stringify(usage)}`);
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 5000, `compared ${compared} prices`);
});

test('known models: exact cost with cached and reasoning tokens', () => {
  const pricer = new Pricer({
    providers: {
      anthropic: { type: 'anthropic', baseUrl: 'https://api.anthropic.com' },
      relay: { type: 'openai', baseUrl: 'http://127.0.0.1:9/v1' },
      google: { type: 'gemini', baseUrl: 'http://127.0.0.1:9' },
    },
    pricing: {},
  });
  const usage = { inputTokens: 10_000, outputTokens: 2000, cacheReadTokens: 4000, cacheWriteTokens: 1000, reasoningTokens: 500 };
  const cases: Array<[string, string, string | undefined]> = [
    ['anthropic/claude-sonnet-4-5-20250929', 'claude-sonnet-4-5-20250929', 'anthropic'],
    ['relay/gpt-4o', 'gpt-4o', undefined],
    ['relay/o3', 'o3', undefined],
    ['google/gemini-2.5-pro', 'gemini-2.5-pro', 'google'],
  ];
  for (const [target, model, providerId] of cases) {
    const expected = calcPrice(catalogUsage(usage), model, providerId ? { providerId } : undefined)!.total_price;
    assert.equal(pricer.cost(target, usage), expected, target);
    assert.equal(pricer.describe(target)?.source, 'catalog');
  }
  // Claude Sonnet 4.5: $3 in, $0.30 cache read, $3.75 cache write, $15 out per 1M tokens.
  const sonnet = pricer.cost('anthropic/claude-sonnet-4-5-20250929', usage)!;
  assert.ok(Math.abs(sonnet - (5000 * 3 + 4000 * 0.3 + 1000 * 3.75 + 2000 * 15) / 1e6) < 1e-15, String(sonnet));
});

test('pricing overrides win, by provider/model, provider/* and model name; demo is free; unknown is undefined', () => {
  const unpriced: string[] = [];
  const pricer = new Pricer(
    {
      providers: {
        openai: { type: 'openai', baseUrl: 'https://api.openai.com/v1' },
        local: { type: 'openai', baseUrl: 'http://127.0.0.1:8000/v1' },
        other: { type: 'openai', baseUrl: 'http://127.0.0.1:8001/v1' },
        demo: { type: 'demo', baseUrl: '' },
      },
      pricing: {
        'openai/gpt-4o': { input: 1, output: 2, cachedInput: 0.5, reasoning: 4, request: 0.001 },
        'local/*': { input: 0, output: 0 },
        'my-model': { input: 0.1, output: 0.4, cachedInput: 0.01 },
      },
    },
    { onUnpriced: (t) => unpriced.push(t) },
  );
  const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 200_000, reasoningTokens: 100_000 };
  // 800k × $1 + 200k × $0.5 + 900k × $2 + 100k × $4, per 1M, + $0.001 per request.
  assert.equal(pricer.cost('openai/gpt-4o', usage), 0.8 + 0.1 + (1.8 + 0.4) + 0.001);
  assert.deepEqual(pricer.describe('openai/gpt-4o'), { source: 'pricing', matched: 'openai/gpt-4o' });
  assert.equal(pricer.cost('local/gpt-4o', usage), 0);
  assert.equal(pricer.describe('local/gpt-4o')?.matched, 'local/*');
  // Cache writes without a price of their own are input; reasoning without one is output.
  assert.equal(pricer.cost('other/my-model', { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 500_000, cacheWriteTokens: 100 }), 0.05 + 0.005 + 0.4);
  assert.equal(pricer.cost('demo/demo', usage), 0);
  assert.equal(pricer.cost('other/no-such-model-xyz', usage), undefined);
  assert.equal(pricer.cost('other/no-such-model-xyz', usage), undefined);
  assert.deepEqual(unpriced, ['other/no-such-model-xyz'], 'warned once');
  // Without the override, the catalog's gpt-4o price applies.
  const plain = new Pricer({ providers: { openai: { type: 'openai', baseUrl: 'https://api.openai.com/v1' } }, pricing: {} });
  assert.notEqual(plain.cost('openai/gpt-4o', usage), pricer.cost('openai/gpt-4o', usage));
});

test('inconsistent counts from an upstream are clamped, never negative', () => {
  const pricer = new Pricer({ providers: { p: { type: 'openai', baseUrl: 'http://127.0.0.1:1' } }, pricing: { m: { input: 1, output: 1, cachedInput: 0.5, reasoning: 2 } } });
  const cost = pricer.cost('p/m', { inputTokens: 100, outputTokens: 10, cacheReadTokens: 500, reasoningTokens: 50 })!;
  // All 100 input tokens are cache reads, all 10 output tokens reasoning.
  assert.ok(Math.abs(cost - (100 * 0.5 + 10 * 2) / 1e6) < 1e-18, String(cost));
});
