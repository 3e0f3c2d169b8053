// OpenAI-compatible upstream request building: golden bodies from an OpenAI-front request (raw
// passthrough with overrides) and from another front (canonical), with provider quirks.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import { openaiFront, openaiProviderType, openaiUpstream } from '../../../src/protocols/openai/index.ts';
import { signed } from '../signed.ts';
import { endpoint, request } from './helpers.ts';
import { decodeOpenAIRequest } from '../../../src/protocols/openai/decode-request.ts';

const build = (req: ChatRequest, quirks = {}, stream = true, extra = {}) => {
  const out = openaiUpstream.buildRequest(req, 'upstream-model', endpoint(quirks, extra), stream);
  return { ...out, json: JSON.parse(String(out.body)) };
};

describe('OpenAI upstream request: transport', () => {
  test('URL, bearer auth, content type and configured headers', () => {
    const out = signed(openaiProviderType, request(), 'm', endpoint({}, { baseUrl: 'https://api.example.com/v1/', headers: { 'x-extra': '1' } }), true);
    assert.equal(out.url, 'https://api.example.com/v1/chat/completions');
    assert.equal(out.headers['content-type'], 'application/json');
    assert.equal(out.headers.authorization, 'Bearer sk-test');
    assert.equal(out.headers['x-extra'], '1');
  });

  test('quirk auth_header puts the bare key in that header; no key means no auth header', () => {
    const azure = signed(openaiProviderType, request(), 'm', endpoint({ authHeader: 'api-key' }), true);
    assert.equal(azure.headers['api-key'], 'sk-test');
    assert.equal(azure.headers.authorization, undefined);
    const open = signed(openaiProviderType, request(), 'm', endpoint({}, { apiKey: undefined }), true);
    assert.equal(open.headers.authorization, undefined);
  });
});

describe('OpenAI upstream request: from an OpenAI-front request (raw)', () => {
  const clientBody = {
    model: 'fast',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
    stream_options: { include_obfuscation: false },
    max_completion_tokens: 50,
    temperature: 1.7,
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' }, strict: true } }, { type: 'custom', custom: { name: 'shell' } }],
    chat_template_kwargs: { enable_thinking: false },
    reasoning_split: true,
  };
  const req = () => decodeOpenAIRequest(structuredClone(clientBody), {});

  test('unknown fields pass through; model overridden; usage always requested, other stream_options kept', () => {
    const { json } = build(req());
    assert.deepEqual(json, {
      ...clientBody,
      model: 'upstream-model',
      stream_options: { include_obfuscation: false, include_usage: true },
    });
  });

  test('the client body is not mutated', () => {
    const r = req();
    const before = JSON.stringify(r.raw);
    build(r, { maxTokensField: 'max_tokens', stripStrict: true, temperatureRange: [0.01, 1] });
    assert.equal(JSON.stringify(r.raw), before);
  });

  test('non-streaming: stream false, no stream_options', () => {
    const { json } = build(req(), {}, false);
    assert.equal(json.stream, false);
    assert.ok(!('stream_options' in json));
  });

  test('quirks: max tokens field, temperature range, strict stripped', () => {
    const { json } = build(req(), { maxTokensField: 'max_tokens', temperatureRange: [0.01, 1], stripStrict: true });
    assert.equal(json.max_tokens, 50);
    assert.ok(!('max_completion_tokens' in json));
    assert.equal(json.temperature, 1);
    assert.deepEqual(json.tools[0], { type: 'function', function: { name: 'f', parameters: { type: 'object' } } });
    assert.deepEqual(json.tools[1], { type: 'custom', custom: { name: 'shell' } });
  });

  test('default max tokens from the provider when the client set none', () => {
    const r = decodeOpenAIRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, {});
    assert.equal(build(r, {}, true, { defaultMaxTokens: 4096 }).json.max_tokens, 4096);
    assert.equal(build(r, { maxTokensField: 'max_completion_tokens' }, true, { defaultMaxTokens: 4096 }).json.max_completion_tokens, 4096);
  });

  test('inline_think_tags: replayed reasoning_content goes back into the content as <think> (Q-30)', () => {
    const r = decodeOpenAIRequest(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'Hello', reasoning_content: 'greet back' },
          { role: 'user', content: 'again' },
        ],
      },
      {},
    );
    const { json } = build(r, { inlineThinkTags: true });
    assert.deepEqual(json.messages[1], { role: 'assistant', content: '<think>greet back</think>\n\nHello' });
    assert.deepEqual(build(r).json.messages[1], { role: 'assistant', content: 'Hello', reasoning_content: 'greet back' });
  });
});

describe('OpenAI upstream request: from another front (canonical)', () => {
  test('golden body with every field', () => {
    const req = request({
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are terse.' }, { type: 'text', text: 'Use metric units.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather?' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
            { type: 'document', mediaType: 'application/pdf', data: 'JVBERi0x', filename: 'a.pdf' },
            { type: 'document', mediaType: 'text/plain', data: Buffer.from('plain notes').toString('base64') },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'need the tool', signature: 'EqQB' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool-call', id: 'toolu_01', name: 'get_forecast', arguments: '{"city":"Oslo"}' },
            { type: 'tool-call', id: 'toolu_02', name: 'get_time', arguments: '', signature: 'gsig' },
          ],
        },
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: 'toolu_01', name: 'get_forecast', content: [{ type: 'text', text: '4 C' }, { type: 'image', source: { kind: 'url', url: 'https://x/map.png' } }] },
            { type: 'tool-result', toolCallId: 'toolu_02', content: [{ type: 'text', text: '12:00' }], isError: true },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'Thanks' }] },
      ],
      maxTokens: 300,
      temperature: 0.2,
      topP: 0.5,
      topK: 10,
      stop: ['END'],
      seed: 1,
      presencePenalty: 0.5,
      frequencyPenalty: 0.5,
      tools: [{ name: 'get_forecast', description: 'd', parameters: { type: 'object', properties: {} }, strict: true }],
      toolChoice: { type: 'tool', name: 'get_forecast' },
      parallelToolCalls: false,
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      reasoning: { budgetTokens: 4096 },
      user: 'u1',
      raw: { metadata: { user_id: 'not forwarded' } },
    });
    const { json } = build(req, { reasoningEffort: true });
    assert.deepEqual(json, {
      model: 'upstream-model',
      messages: [
        { role: 'system', content: 'You are terse.\n\nUse metric units.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0x', filename: 'a.pdf' } },
            { type: 'text', text: 'plain notes' },
          ],
        },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            { id: 'toolu_01', type: 'function', function: { name: 'get_forecast', arguments: '{"city":"Oslo"}' } },
            { id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '{}' }, extra_content: { google: { thought_signature: 'gsig' } } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01', content: '4 C' },
        { role: 'tool', tool_call_id: 'toolu_02', content: '12:00' },
        // Tool images follow the run of tool messages as one user message (translation.md §4).
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Images returned by tool get_forecast:' },
            { type: 'image_url', image_url: { url: 'https://x/map.png' } },
          ],
        },
        { role: 'user', content: 'Thanks' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 300,
      temperature: 0.2,
      top_p: 0.5,
      stop: ['END'],
      seed: 1,
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      tools: [{ type: 'function', function: { name: 'get_forecast', description: 'd', parameters: { type: 'object', properties: {} }, strict: true } }],
      parallel_tool_calls: false,
      tool_choice: { type: 'function', function: { name: 'get_forecast' } },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'medium',
      user: 'u1',
    });
  });

  test('non-streaming canonical body has no stream_options', () => {
    const { json } = build(request(), {}, false);
    assert.equal(json.stream, false);
    assert.ok(!('stream_options' in json));
  });

  test('quirks on the canonical path: max_completion_tokens, clamped temperature, strict stripped, reasoning inline', () => {
    const req = request({
      maxTokens: 10,
      temperature: 0,
      tools: [{ name: 'f', parameters: {}, strict: true }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'mull' }, { type: 'text', text: 'a' }] },
        { role: 'user', content: [{ type: 'text', text: 'q2' }] },
      ],
    });
    const { json } = build(req, { maxTokensField: 'max_completion_tokens', temperatureRange: [0.01, 1], stripStrict: true, inlineThinkTags: true });
    assert.equal(json.max_completion_tokens, 10);
    assert.equal(json.temperature, 0.01);
    assert.deepEqual(json.tools, [{ type: 'function', function: { name: 'f', parameters: {} } }]);
    assert.deepEqual(json.messages[1], { role: 'assistant', content: '<think>mull</think>\n\na' });
    // Without the quirk the reasoning is dropped.
    assert.deepEqual(build(req).json.messages[1], { role: 'assistant', content: 'a' });
  });

  test('an Anthropic prefill is refused unless the upstream supports it', () => {
    const req = request({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'JSON please' }] },
        { role: 'assistant', content: [{ type: 'text', text: '{' }] },
      ],
    });
    assert.throws(() => build(req), (e: unknown) => e instanceof GatewayError && e.code === 'unsupported' && /prefill/.test(e.message));
    const { json } = build(req, { supportsPrefill: true });
    assert.deepEqual(json.messages[1], { role: 'assistant', content: '{' });
    assert.equal(json.continue_final_message, true);
    assert.equal(json.add_generation_prompt, false);
  });

  test('reasoning effort from a budget follows translation.md §10 thresholds (quirk reasoning_effort)', () => {
    const on = { reasoningEffort: true };
    const effort = (budgetTokens: number) => build(request({ reasoning: { budgetTokens } }), on).json.reasoning_effort;
    assert.equal(effort(1024), 'low');
    assert.equal(effort(8192), 'medium');
    assert.equal(effort(16000), 'high');
    assert.equal(build(request({ reasoning: { effort: 'minimal' } }), on).json.reasoning_effort, 'minimal');
    assert.ok(!('reasoning_effort' in build(request({ reasoning: { adaptive: true } }), on).json));
  });

  test('without the quirk no translated reasoning_effort is sent (non-reasoning models reject it)', () => {
    assert.ok(!('reasoning_effort' in build(request({ reasoning: { budgetTokens: 16000 } })).json));
    assert.ok(!('reasoning_effort' in build(request({ reasoning: { effort: 'high' } })).json));
  });
});
