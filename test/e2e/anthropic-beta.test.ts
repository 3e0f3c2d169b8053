// Issue 12 §4: the client's `anthropic-beta` values reach Anthropic-dialect hosts per the provider's
// `anthropic_beta` quirk (docs/anthropic-beta.md): all of them by default, only those MiniMax's and
// Azure Foundry's presets accept, or a configured list; never other dialects.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { betaHeaderFor } from '../../src/protocols/anthropic/quirks.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { recordFor, uniqueTag } from './translation-env.ts';

/** Claude Code 2.1.328's list (docs/clients/claude-code.md C-2) plus one MiniMax breaks on. */
const CLAUDE_CODE_BETAS = [
  'claude-code-20250219',
  'interleaved-thinking-2025-05-14',
  'context-management-2025-06-27',
  'per-turn-control-2026-07-01',
  'mid-conversation-tool-changes-2026-07-01',
  'thinking-token-count-2026-05-13',
  'advanced-tool-use-2025-11-20',
  'effort-2025-11-24',
  'fine-grained-tool-streaming-2025-05-14',
  'files-api-2025-04-14',
].join(',');

let mock: MockServer;
let sluice: SluiceProcess;
let client: Anthropic;

before(async () => {
  mock = await startMock({ port: 0, chunks: 2 });
  sluice = await startSluice({
    config: `
providers:
  direct: { type: anthropic, base_url: ${mock.url} }
  mm: { preset: minimax, base_url: ${mock.url}, api_key: k }
  foundry: { preset: azure-anthropic, base_url: ${mock.url}/anthropic, api_key: k }
  listed: { type: anthropic, base_url: ${mock.url}, anthropic_beta: [interleaved-thinking-2025-05-14, "effort-*"] }
  oa: { type: openai, base_url: ${mock.url}/v1 }
models:
  b-direct: { targets: [{ provider: direct, model: claude-x }] }
  b-mm: { targets: [{ provider: mm, model: MiniMax-M2 }] }
  b-foundry: { targets: [{ provider: foundry, model: claude-deploy }] }
  b-listed: { targets: [{ provider: listed, model: claude-x }] }
  b-oa: { targets: [{ provider: oa, model: gpt-x }] }
`,
  });
  client = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, defaultHeaders: { 'anthropic-beta': CLAUDE_CODE_BETAS } });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

async function betasSeen(model: string): Promise<string | undefined> {
  const tag = uniqueTag('beta');
  await client.messages.create({ model, max_tokens: 20, messages: [{ role: 'user', content: tag }] });
  const header = (await recordFor(mock, tag)).headers['anthropic-beta'];
  return Array.isArray(header) ? header.join(',') : header;
}

test('default: every value passes to an Anthropic host', async () => {
  assert.equal(await betasSeen('b-direct'), CLAUDE_CODE_BETAS);
});

test('MiniMax preset: no beta at all (it breaks on fine-grained-tool-streaming)', async () => {
  assert.equal(await betasSeen('b-mm'), undefined);
});

test('Azure Foundry preset: only betas of features Foundry hosts', async () => {
  assert.equal(
    await betasSeen('b-foundry'),
    'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,thinking-token-count-2026-05-13,effort-2025-11-24,fine-grained-tool-streaming-2025-05-14',
  );
});

test('a configured list, with a date wildcard', async () => {
  assert.equal(await betasSeen('b-listed'), 'interleaved-thinking-2025-05-14,effort-2025-11-24');
});

test('other dialects never get the header', async () => {
  const tag = uniqueTag('beta-oa');
  await client.messages.create({ model: 'b-oa', max_tokens: 20, messages: [{ role: 'user', content: tag }] });
  assert.equal((await recordFor(mock, tag)).headers['anthropic-beta'], undefined);
});

test('policy unit: pass, drop, list', () => {
  assert.equal(betaHeaderFor({}, 'a,b'), 'a,b');
  assert.equal(betaHeaderFor({ anthropicBeta: 'drop' }, 'a,b'), undefined);
  assert.equal(betaHeaderFor({ anthropicBeta: ['b'] }, 'a, b'), 'b');
  assert.equal(betaHeaderFor({ anthropicBeta: ['c'] }, 'a,b'), undefined);
});
