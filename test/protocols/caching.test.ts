// Prompt-cache hints and cached/reasoning usage across dialects (SPEC §5; issue 12 §4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest } from '../../src/core/request.ts';
import type { UpstreamEndpoint } from '../../src/core/protocol.ts';
import { anthropicUpstream } from '../../src/protocols/anthropic/index.ts';
import { decodeAnthropicRequest } from '../../src/protocols/anthropic/decode-request.ts';
import { openaiUpstream } from '../../src/protocols/openai/index.ts';
import { decodeOpenAIRequest } from '../../src/protocols/openai/decode-request.ts';
import { geminiUpstream } from '../../src/protocols/gemini/index.ts';
import { toWireUsage, toCanonicalUsage, readUsageCounts } from '../../src/protocols/anthropic/usage.ts';
import { fromOpenAIUsage, toOpenAIUsage } from '../../src/protocols/openai/usage.ts';
import { convertGeminiUsage, toGeminiUsage } from '../../src/protocols/gemini/usage.ts';

const endpoint: UpstreamEndpoint = { name: 'p', baseUrl: 'http://127.0.0.1:1', apiKey: 'k', headers: {}, quirks: {} };

const CLAUDE_CODE_BODY = {
  model: 'claude-opus-4-8',
  max_tokens: 64000,
  system: [
    { type: 'text', text: 'x-anthropic-billing-header' },
    { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
    { type: 'text', text: 'Long instructions.', cache_control: { type: 'ephemeral', ttl: '1h' } },
  ],
  tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral' } }],
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }] }],
};

test('Anthropic front -> Anthropic upstream: cache_control reaches the upstream unchanged', () => {
  const req = decodeAnthropicRequest(structuredClone(CLAUDE_CODE_BODY), {});
  const sent = JSON.parse(String(anthropicUpstream.buildRequest(req, 'claude-opus-4-8', endpoint, true).body));
  assert.deepEqual(sent.system, CLAUDE_CODE_BODY.system);
  assert.deepEqual(sent.tools, CLAUDE_CODE_BODY.tools);
  assert.deepEqual(sent.messages, CLAUDE_CODE_BODY.messages);
});

test('canonical requests re-emit cache breakpoints to Anthropic (system blocks, text, tools, tool_use, tool_result)', () => {
  const req = decodeAnthropicRequest(structuredClone(CLAUDE_CODE_BODY), {});
  // As if another front had produced the same canonical request.
  const canonical: ChatRequest = { ...req, front: 'gemini', raw: {} };
  canonical.messages.push(
    { role: 'assistant', content: [{ type: 'tool-call', id: 'toolu_1', name: 'Bash', arguments: '{}', cacheControl: { type: 'ephemeral' } }] },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'ok' }], cacheControl: { type: 'ephemeral' } }] },
  );
  const sent = JSON.parse(String(anthropicUpstream.buildRequest(canonical, 'claude-opus-4-8', endpoint, true).body));
  assert.deepEqual(sent.system, CLAUDE_CODE_BODY.system);
  assert.deepEqual(sent.tools[0].cache_control, { type: 'ephemeral' });
  assert.deepEqual(sent.messages[0].content[0], { type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } });
  assert.deepEqual(sent.messages[1].content[0].cache_control, { type: 'ephemeral' });
  assert.deepEqual(sent.messages[2].content[0].cache_control, { type: 'ephemeral' });
  // Without breakpoints the system stays one string.
  const plain: ChatRequest = { ...canonical, messages: [{ role: 'system', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }, { role: 'user', content: [{ type: 'text', text: 'q' }] }] };
  assert.equal(JSON.parse(String(anthropicUpstream.buildRequest(plain, 'c', endpoint, false).body)).system, 'a\n\nb');
});

test('dialects without per-block hints drop cache_control silently', () => {
  const req = decodeAnthropicRequest(structuredClone(CLAUDE_CODE_BODY), {});
  const openai = String(openaiUpstream.buildRequest(req, 'gpt-4o', endpoint, true).body);
  const gemini = String(geminiUpstream.buildRequest(req, 'gemini-2.5-flash', endpoint, true).body);
  assert.doesNotMatch(openai, /cache_control|cacheControl/);
  assert.doesNotMatch(gemini, /cache_control|cacheControl/);
  assert.match(openai, /You are Claude Code/);
});

test('OpenAI prompt_cache_key travels to OpenAI upstreams from any front', () => {
  const req = decodeOpenAIRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], prompt_cache_key: 'session-42' }, {});
  assert.equal(req.cacheKey, 'session-42');
  const canonical: ChatRequest = { ...req, front: 'anthropic', raw: {} };
  assert.equal(JSON.parse(String(openaiUpstream.buildRequest(canonical, 'gpt-4o', endpoint, true).body)).prompt_cache_key, 'session-42');
});

test('usage conversions keep cached and reasoning tokens in each dialect (OpenAI input includes cache, Anthropic excludes it)', () => {
  const fromOpenAI = fromOpenAIUsage({ prompt_tokens: 1436, completion_tokens: 58, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 20 } })!;
  assert.deepEqual(fromOpenAI, { inputTokens: 1436, outputTokens: 58, cacheReadTokens: 1024, reasoningTokens: 20 });
  assert.deepEqual(toWireUsage(fromOpenAI), {
    input_tokens: 412,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 1024,
    output_tokens: 58,
    output_tokens_details: { thinking_tokens: 20 },
  });
  const fromAnthropic = toCanonicalUsage(readUsageCounts({ input_tokens: 412, cache_creation_input_tokens: 100, cache_read_input_tokens: 1024, output_tokens: 58 })!);
  assert.deepEqual(toOpenAIUsage(fromAnthropic), {
    prompt_tokens: 1536,
    completion_tokens: 58,
    total_tokens: 1594,
    prompt_tokens_details: { cached_tokens: 1024, cache_write_tokens: 100 },
  });
  assert.deepEqual(toGeminiUsage(fromAnthropic), { promptTokenCount: 1536, candidatesTokenCount: 58, totalTokenCount: 1594, cachedContentTokenCount: 1024 });
  const fromGemini = convertGeminiUsage({ promptTokenCount: 40, candidatesTokenCount: 20, thoughtsTokenCount: 108, cachedContentTokenCount: 32 })!;
  assert.deepEqual(toGeminiUsage(fromGemini), { promptTokenCount: 40, candidatesTokenCount: 20, totalTokenCount: 168, thoughtsTokenCount: 108, cachedContentTokenCount: 32 });
  assert.deepEqual(toWireUsage(fromGemini), { input_tokens: 8, cache_creation_input_tokens: 0, cache_read_input_tokens: 32, output_tokens: 128, output_tokens_details: { thinking_tokens: 108 } });
});
