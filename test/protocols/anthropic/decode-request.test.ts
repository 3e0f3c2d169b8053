import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import { anthropicFront, findNonPortableContent } from '../../../src/protocols/anthropic/index.ts';
import { decodeAnthropicRequest } from '../../../src/protocols/anthropic/decode-request.ts';

const decode = (body: unknown, headers: Record<string, string | string[]> = {}) => decodeAnthropicRequest(body, headers);
const base = { model: 'claude-sonnet', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] };

function rejects(body: unknown, message: string | RegExp): void {
  assert.throws(
    () => decode(body),
    (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'invalid_request');
      assert.equal(err.status, 400);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('anthropic front decodeRequest: validation', () => {
  test('missing max_tokens -> "max_tokens: Field required" like Anthropic', () => {
    rejects({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens: Field required');
  });

  test('bad values name the field', () => {
    rejects({ ...base, max_tokens: 0 }, /^max_tokens: /);
    rejects({ ...base, max_tokens: 1.5 }, /^max_tokens: /);
    rejects({ ...base, model: 5 }, /^model: /);
    rejects({ ...base, messages: [] }, /^messages: /);
    rejects({ ...base, messages: [{ role: 'bot', content: 'x' }] }, /^messages\.0\.role: /);
    rejects({ ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages.0.content.0.text: Field required');
    rejects({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }] }, 'messages.0.content.0.source.data: Field required');
    rejects({ ...base, tool_choice: { type: 'sometimes' } }, /^tool_choice/);
    rejects({ ...base, thinking: { type: 'enabled' } }, 'thinking.budget_tokens: Field required');
    rejects({ ...base, tools: [{ name: 'f' }] }, 'tools.0.input_schema: Field required');
    rejects({ ...base, tools: [{ name: 'f', input_schema: { type: 'object' } }, { input_schema: { type: 'object' } }] }, 'tools.1.name: Field required');
    rejects({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'f', input: {} }] }] }, /only allowed in assistant messages/);
    rejects('not an object', /^request body: .*expected object/);
  });
});

describe('anthropic front decodeRequest: mapping', () => {
  test('basic fields, raw kept untouched with unknown fields', () => {
    const body = {
      ...base,
      stream: true,
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ['###'],
      metadata: { user_id: '{"session":"abc"}' },
      context_management: { edits: [] },
    };
    const req = decode(body, { 'anthropic-beta': 'a-2025,b-2025' });
    assert.equal(req.front, 'anthropic');
    assert.equal(req.raw, body);
    assert.equal(req.model, 'claude-sonnet');
    assert.equal(req.stream, true);
    assert.equal(req.includeUsage, false);
    assert.equal(req.maxTokens, 1024);
    assert.equal(req.temperature, 0.3);
    assert.equal(req.topP, 0.9);
    assert.equal(req.topK, 40);
    assert.deepEqual(req.stop, ['###']);
    assert.equal(req.user, '{"session":"abc"}');
    assert.equal(req.anthropicBeta, 'a-2025,b-2025');
    assert.deepEqual(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }]);
  });

  test('system string/blocks become a first system message; a trailing system-role message stays in place', () => {
    const req = decode({
      ...base,
      system: [
        { type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Be brief.' },
      ],
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'system', content: [{ type: 'text', text: 'Mid-conversation note' }] },
      ],
    });
    assert.deepEqual(req.messages, [
      {
        role: 'system',
        content: [
          { type: 'text', text: 'You are Claude Code.', cacheControl: { type: 'ephemeral' } },
          { type: 'text', text: 'Be brief.' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
      { role: 'system', content: [{ type: 'text', text: 'Mid-conversation note' }] },
    ]);
  });

  test('cache_control is kept on system, text, image, tool_use, tool_result blocks and tools', () => {
    const req = decode({
      ...base,
      tools: [{ name: 'Bash', input_schema: { type: 'object' }, cache_control: { type: 'ephemeral', ttl: '1h' } }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'run', cache_control: { type: 'ephemeral' } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {}, cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok', cache_control: { type: 'ephemeral' } }] },
      ],
    });
    assert.deepEqual(req.tools?.[0]?.cacheControl, { type: 'ephemeral', ttl: '1h' });
    assert.deepEqual(req.messages[0]!.content[0], { type: 'text', text: 'run', cacheControl: { type: 'ephemeral' } });
    assert.deepEqual((req.messages[1]!.content[0] as { cacheControl?: unknown }).cacheControl, { type: 'ephemeral' });
    assert.deepEqual((req.messages[2]!.content[0] as { cacheControl?: unknown }).cacheControl, { type: 'ephemeral' });
  });

  test('tool loop: tool_use -> tool-call, tool_result -> tool message then user message for the rest', () => {
    const req = decode({
      ...base,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'let me check', signature: 'sigA' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '12°C' }], is_error: false },
            { type: 'text', text: 'and tomorrow?' },
          ],
        },
      ],
    });
    assert.deepEqual(req.messages.slice(1), [
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'let me check', signature: 'sigA' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        ],
      },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_1', name: 'get_weather', content: [{ type: 'text', text: '12°C' }] }] },
      { role: 'user', content: [{ type: 'text', text: 'and tomorrow?' }] },
    ]);
  });

  test('tool_result with string content and is_error; only results -> no extra user message', () => {
    const req = decode({
      ...base,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'boom', is_error: true }] }],
    });
    assert.deepEqual(req.messages, [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 't', content: [{ type: 'text', text: 'boom' }], isError: true }] }]);
  });

  test('a gemini: thinking block is the signature of the next tool_use, not reasoning', () => {
    const req = decode({
      ...base,
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: '', signature: 'gemini:CiQB4/sig==' },
            { type: 'tool_use', id: 'call_a', name: 'f', input: {} },
            { type: 'tool_use', id: 'call_b', name: 'g', input: {} },
          ],
        },
      ],
    });
    assert.deepEqual(req.messages[1].content, [
      { type: 'tool-call', id: 'call_a', name: 'f', arguments: '{}', signature: 'CiQB4/sig==' },
      { type: 'tool-call', id: 'call_b', name: 'g', arguments: '{}' },
    ]);
  });

  test('redacted_thinking, images (base64/url), documents (pdf/text); file sources and server blocks skipped', () => {
    const req = decode({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://x/y.png' } },
            { type: 'image', source: { type: 'file', file_id: 'file_1' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'a.pdf' },
            { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'plain ü' } },
            { type: 'search_result', source: 'x', title: 't', content: [] },
          ],
        },
        { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'opaque' }, { type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] },
      ],
    });
    assert.deepEqual(req.messages[0].content, [
      { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
      { type: 'image', source: { kind: 'url', url: 'https://x/y.png' } },
      { type: 'document', mediaType: 'application/pdf', data: 'JVBER', filename: 'a.pdf' },
      { type: 'document', mediaType: 'text/plain', data: Buffer.from('plain ü').toString('base64') },
    ]);
    assert.deepEqual(req.messages[1].content, [{ type: 'reasoning', text: '', redactedData: 'opaque' }]);
  });

  test('tools: client tools mapped, typed server tools kept only in raw', () => {
    const req = decode({
      ...base,
      tools: [
        { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
        { type: 'custom', name: 'c', input_schema: { type: 'object' }, strict: true },
      ],
    });
    assert.deepEqual(req.tools, [
      { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'c', parameters: { type: 'object' }, strict: true },
    ]);
  });

  test('tool_choice mapping and disable_parallel_tool_use', () => {
    const choice = (tc: unknown) => {
      const r = decode({ ...base, tool_choice: tc });
      return [r.toolChoice, r.parallelToolCalls];
    };
    assert.deepEqual(choice({ type: 'auto' }), [{ type: 'auto' }, undefined]);
    assert.deepEqual(choice({ type: 'any', disable_parallel_tool_use: true }), [{ type: 'required' }, false]);
    assert.deepEqual(choice({ type: 'tool', name: 'f' }), [{ type: 'tool', name: 'f' }, undefined]);
    assert.deepEqual(choice({ type: 'none' }), [{ type: 'none' }, undefined]);
  });

  test('thinking and output_config -> reasoning', () => {
    assert.deepEqual(decode({ ...base, thinking: { type: 'enabled', budget_tokens: 2048 } }).reasoning, { budgetTokens: 2048, include: true });
    assert.deepEqual(decode({ ...base, thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }).reasoning, {
      adaptive: true,
      effort: 'high',
      include: true,
    });
    assert.deepEqual(decode({ ...base, thinking: { type: 'adaptive', display: 'omitted' } }).reasoning, { adaptive: true, include: false });
    assert.equal(decode({ ...base, thinking: { type: 'disabled' } }).reasoning, undefined);
    const fmt = decode({ ...base, output_config: { format: { type: 'json_schema', schema: { type: 'object' } } } });
    assert.deepEqual(fmt.responseFormat, { type: 'json_schema', name: 'response', schema: { type: 'object' } });
  });

  test('a Claude Code-shaped body is accepted', () => {
    const req = decode(
      {
        model: 'claude-opus-4-8',
        max_tokens: 32000,
        stream: true,
        thinking: { type: 'adaptive' },
        output_config: { effort: 'high' },
        context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
        metadata: { user_id: '{"device_id":"d","session_id":"s"}' },
        system: [
          { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197' },
          { type: 'text', text: 'You are Claude Code', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'Instructions', cache_control: { type: 'ephemeral' } },
        ],
        tools: [{ name: 'Bash', description: 'Run', input_schema: { type: 'object', properties: {}, additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' } }],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }] },
          { role: 'system', content: 'Reminder: be careful' },
        ],
      },
      { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' },
    );
    assert.equal(req.messages.at(-1)?.role, 'system');
    assert.equal(req.tools?.length, 1);
  });
});

describe('findNonPortableContent', () => {
  test('names server tools, unknown blocks and file sources; undefined when portable', () => {
    assert.equal(findNonPortableContent({ ...base }), undefined);
    assert.match(findNonPortableContent({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] })!, /server tool web_search_20250305/);
    assert.match(
      findNonPortableContent({ ...base, messages: [{ role: 'user', content: [{ type: 'search_result', content: [] }] }] })!,
      /unsupported content block type search_result for this upstream/,
    );
    assert.match(
      findNonPortableContent({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] })!,
      /image source type file/,
    );
  });
});

test('a deferred tool (defer_loading) is not offered to other dialects but stays in raw', () => {
  const body = {
    model: 'm',
    max_tokens: 10,
    messages: [{ role: 'user', content: 'hi' }],
    tools: [
      { name: 'Bash', input_schema: { type: 'object' } },
      { name: 'DeferredToolPlaceholder', input_schema: { type: 'object' }, defer_loading: true },
    ],
  };
  const req = decodeAnthropicRequest(body, {});
  assert.deepEqual(req.tools?.map((t) => t.name), ['Bash']);
  assert.equal((req.raw.tools as unknown[]).length, 2);
});
