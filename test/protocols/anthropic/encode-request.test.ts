import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import type { ChatRequest, Message } from '../../../src/core/request.ts';
import { anthropicFront, anthropicProviderType, anthropicUpstream, messagesUrl } from '../../../src/protocols/anthropic/index.ts';
import { signed } from '../signed.ts';
import { chatRequest, endpoint } from './helpers.ts';
import { decodeAnthropicRequest } from '../../../src/protocols/anthropic/decode-request.ts';

const build = (req: ChatRequest, ep = endpoint(), stream = true) => {
  const http = signed(anthropicProviderType, req, 'claude-sonnet-4-5', ep, stream);
  return { ...http, json: JSON.parse(String(http.body)) as Record<string, any> };
};

const text = (t: string) => ({ type: 'text' as const, text: t });

describe('anthropic upstream buildRequest: transport', () => {
  test('URL normalisation: base, /v1, pasted target URI, trailing slash', () => {
    assert.equal(messagesUrl('https://api.anthropic.com'), 'https://api.anthropic.com/v1/messages');
    assert.equal(messagesUrl('https://api.anthropic.com/v1/'), 'https://api.anthropic.com/v1/messages');
    assert.equal(messagesUrl('https://r.services.ai.azure.com/anthropic/'), 'https://r.services.ai.azure.com/anthropic/v1/messages');
    assert.equal(messagesUrl('https://r.services.ai.azure.com/anthropic/v1/messages'), 'https://r.services.ai.azure.com/anthropic/v1/messages');
  });

  test('headers: version, x-api-key by default, api-key (Azure), Bearer, endpoint headers last', () => {
    const h = build(chatRequest()).headers;
    assert.equal(h['content-type'], 'application/json');
    assert.equal(h['anthropic-version'], '2023-06-01');
    assert.equal(h['x-api-key'], 'sk-test');
    assert.equal(h.authorization, undefined);
    const azure = build(chatRequest(), endpoint({ quirks: { authHeader: 'api-key' } })).headers;
    assert.equal(azure['api-key'], 'sk-test');
    assert.equal(azure['x-api-key'], undefined);
    const bearer = build(chatRequest(), endpoint({ quirks: { authHeader: 'authorization' }, headers: { 'X-Extra': '1' } })).headers;
    assert.equal(bearer.authorization, 'Bearer sk-test');
    assert.equal(bearer['x-extra'], '1');
    assert.equal(build(chatRequest(), endpoint({ apiKey: undefined })).headers['x-api-key'], undefined);
  });

  test('anthropic-beta forwarded only for an Anthropic front', () => {
    assert.equal(build(chatRequest({ anthropicBeta: 'x-1' })).headers['anthropic-beta'], undefined);
    const req = decodeAnthropicRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-beta': 'x-1' });
    assert.equal(build(req).headers['anthropic-beta'], 'x-1');
  });
});

describe('anthropic upstream buildRequest: same dialect (raw)', () => {
  const claudeCodeBody = {
    model: 'claude-opus-4-8',
    max_tokens: 32000,
    stream: true,
    temperature: 0,
    thinking: { type: 'adaptive' },
    output_config: { effort: 'high' },
    context_management: { edits: [] },
    system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
    tools: [{ type: 'web_search_20250305', name: 'web_search' }, { name: 'f', input_schema: { type: 'object' }, strict: true }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }, { role: 'system', content: 'note' }],
  };

  test('raw passes through with model and stream overridden', () => {
    const req = decodeAnthropicRequest(claudeCodeBody, {});
    const { json } = build(req, endpoint(), false);
    assert.deepEqual(json, { ...claudeCodeBody, model: 'claude-sonnet-4-5', stream: false });
  });

  test('MiniMax quirks: temperature 0 -> 0.01, strict stripped', () => {
    const req = decodeAnthropicRequest(claudeCodeBody, {});
    const { json } = build(req, endpoint({ quirks: { temperatureRange: [0.01, 1], stripStrict: true } }));
    assert.equal(json.temperature, 0.01);
    assert.deepEqual(json.tools[1], { name: 'f', input_schema: { type: 'object' } });
    assert.equal(claudeCodeBody.tools[1].strict, true, 'the client body is not mutated');
  });

  test('thinking blocks Anthropic did not sign are dropped; thinking disabled if the tool loop lost its lead block', () => {
    const body = {
      model: 'm',
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: '', signature: 'gemini:abc' },
            { type: 'tool_use', id: 'call_1', name: 'f', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'ok' }] },
      ],
    };
    const { json } = build(decodeAnthropicRequest(body, {}));
    assert.deepEqual(json.messages[1].content, [{ type: 'tool_use', id: 'call_1', name: 'f', input: {} }]);
    assert.equal(json.thinking, undefined);
    assert.equal(body.messages[1].content.length, 2, 'the client body is not mutated');
  });

  test('signed thinking is kept as is', () => {
    const body = {
      model: 'm',
      max_tokens: 2000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 'EqQB' }, { type: 'tool_use', id: 'c', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c', content: 'ok' }] },
      ],
    };
    const req = decodeAnthropicRequest(body, {});
    const { json } = build(req);
    assert.deepEqual(json.messages, body.messages);
    assert.deepEqual(json.thinking, body.thinking);
  });
});

describe('anthropic upstream buildRequest: from canonical (OpenAI front)', () => {
  test('golden: system gathered, tool loop with results first, next user merged, ids sanitised', () => {
    const messages: Message[] = [
      { role: 'system', content: [text('Be brief.')] },
      { role: 'user', content: [text('Weather in Oslo and Paris?')] },
      {
        role: 'assistant',
        content: [
          text(''),
          { type: 'tool-call', id: 'call.1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
          { type: 'tool-call', id: 'call_2', name: 'get_weather', arguments: '' },
        ],
      },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call.1', content: [text('12°C')] }] },
      { role: 'user', content: [text('Thanks'), { type: 'image', source: { kind: 'url', url: 'data:image/png;base64,iVBOR' } }] },
      { role: 'system', content: [text('Answer in French.')] },
      { role: 'assistant', content: [text('')] },
      { role: 'user', content: [text('Go on')] },
    ];
    const { json, url } = build(chatRequest({ messages, maxTokens: 500, temperature: 1.7, stop: ['END'], user: 'u1' }));
    assert.equal(url, 'https://api.anthropic.com/v1/messages');
    const oslo = json.messages[1].content[0].id;
    assert.match(oslo, /^call_1_[0-9a-f]{8}$/);
    assert.deepEqual(json, {
      model: 'claude-sonnet-4-5',
      max_tokens: 500,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo and Paris?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: oslo, name: 'get_weather', input: { city: 'Oslo' } },
            { type: 'tool_use', id: 'call_2', name: 'get_weather', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: oslo, content: '12°C' },
            { type: 'tool_result', tool_use_id: 'call_2', content: '(no result)', is_error: true },
            { type: 'text', text: 'Thanks' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            // the empty assistant turn in between was dropped and the user turns merged
            { type: 'text', text: 'Go on' },
          ],
        },
      ],
      stream: true,
      system: 'Be brief.\n\nAnswer in French.',
      stop_sequences: ['END'],
      temperature: 1,
      metadata: { user_id: 'u1' },
    });
  });

  test('tools, tool_choice and parallel_tool_calls', () => {
    const tools = [
      { name: 'a', description: 'A', parameters: { type: 'object', properties: { x: { type: 'string' } } }, strict: true },
      { name: 'b', parameters: {} },
      { name: 'c', parameters: { properties: {} } },
    ];
    const { json } = build(chatRequest({ tools, toolChoice: { type: 'required' }, parallelToolCalls: false }));
    assert.deepEqual(json.tools, [
      { name: 'a', description: 'A', input_schema: { type: 'object', properties: { x: { type: 'string' } } } },
      { name: 'b', input_schema: { type: 'object', properties: {} } },
      { name: 'c', input_schema: { type: 'object', properties: {} } },
    ]);
    assert.deepEqual(json.tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.deepEqual(build(chatRequest({ tools, toolChoice: { type: 'tool', name: 'a' } })).json.tool_choice, { type: 'tool', name: 'a' });
    assert.deepEqual(build(chatRequest({ tools, toolChoice: { type: 'none' } })).json.tool_choice, { type: 'none' });
    assert.deepEqual(build(chatRequest({ tools, parallelToolCalls: false })).json.tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    assert.equal(build(chatRequest({ tools })).json.tool_choice, undefined);
    assert.equal(build(chatRequest({ toolChoice: { type: 'auto' } })).json.tool_choice, undefined, 'no tools, no tool_choice');
  });

  test('max_tokens default policy: request, then endpoint default, then 8192', () => {
    assert.equal(build(chatRequest()).json.max_tokens, 8192);
    assert.equal(build(chatRequest(), endpoint({ defaultMaxTokens: 4000 })).json.max_tokens, 4000);
    assert.equal(build(chatRequest({ maxTokens: 100 }), endpoint({ defaultMaxTokens: 4000 })).json.max_tokens, 100);
  });

  test('reasoning effort -> thinking budget; budget raises max_tokens; temperature dropped with thinking', () => {
    const t = (reasoning: ChatRequest['reasoning'], extra: Partial<ChatRequest> = {}) => build(chatRequest({ reasoning, ...extra })).json;
    assert.deepEqual(t({ effort: 'low' }).thinking, { type: 'enabled', budget_tokens: 1024 });
    assert.deepEqual(t({ effort: 'medium' }).thinking, { type: 'enabled', budget_tokens: 4096 });
    const high = t({ effort: 'high' }, { maxTokens: 1000, temperature: 0.2, topK: 5, topP: 0.5 });
    assert.deepEqual(high.thinking, { type: 'enabled', budget_tokens: 16384 });
    assert.equal(high.max_tokens, 16384 + 1024);
    assert.equal(high.temperature, undefined);
    assert.equal(high.top_k, undefined);
    assert.equal(high.top_p, undefined);
    assert.equal(t({ effort: 'none' }).thinking, undefined);
    assert.equal(t({ effort: 'minimal' }).thinking, undefined);
    assert.deepEqual(t({ budgetTokens: 3000 }).thinking, { type: 'enabled', budget_tokens: 3000 });
    assert.equal(t({ budgetTokens: 3000 }).max_tokens, 8192);
    assert.equal(t({ effort: 'high' }, { toolChoice: { type: 'required' }, tools: [{ name: 'f', parameters: {} }] }).thinking, undefined);
    assert.equal(t({ effort: 'high' }, { toolChoice: { type: 'tool', name: 'f' }, tools: [{ name: 'f', parameters: {} }] }).thinking, undefined);
  });

  test('thinking is not requested when the final tool-loop turn has no signed thinking to lead with', () => {
    const messages: Message[] = [
      { role: 'user', content: [text('q')] },
      { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '{}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', content: [text('r')] }] },
    ];
    assert.equal(build(chatRequest({ messages, reasoning: { effort: 'high' } })).json.thinking, undefined);
    const signed: Message[] = [
      messages[0],
      { role: 'assistant', content: [{ type: 'reasoning', text: 'hm', signature: 'EqQB' }, ...messages[1].content] },
      messages[2],
    ];
    const json = build(chatRequest({ messages: signed, reasoning: { effort: 'high' } })).json;
    assert.deepEqual(json.thinking, { type: 'enabled', budget_tokens: 16384 });
    assert.deepEqual(json.messages[1].content[0], { type: 'thinking', thinking: 'hm', signature: 'EqQB' });
  });

  test('reasoning replay: unsigned and gemini-signed reasoning dropped, redacted kept', () => {
    const messages: Message[] = [
      { role: 'user', content: [text('q')] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'deepseek thoughts' },
          { type: 'reasoning', text: 'g', signature: 'gemini:xyz' },
          { type: 'reasoning', text: '', redactedData: 'opaque' },
          text('answer'),
        ],
      },
    ];
    assert.deepEqual(build(chatRequest({ messages })).json.messages[1].content, [
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'answer' },
    ]);
  });

  test('assistant prefill (last message assistant) is sent as is', () => {
    const messages: Message[] = [{ role: 'user', content: [text('Say hi')] }, { role: 'assistant', content: [text('Hi')] }];
    assert.deepEqual(build(chatRequest({ messages })).json.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] });
  });

  test('documents: pdf as base64, text decoded, others refused; tool results with images', () => {
    const messages: Message[] = [
      {
        role: 'user',
        content: [
          { type: 'document', mediaType: 'application/pdf', data: 'JVBER', filename: 'a.pdf' },
          { type: 'document', mediaType: 'text/plain', data: Buffer.from('hello ü').toString('base64') },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool-call', id: 't', name: 'shot', arguments: '{}' }] },
      {
        role: 'tool',
        content: [{ type: 'tool-result', toolCallId: 't', isError: true, content: [text('see'), { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AA' } }] }],
      },
    ];
    const json = build(chatRequest({ messages })).json;
    assert.deepEqual(json.messages[0].content, [
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' }, title: 'a.pdf' },
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'hello ü' } },
    ]);
    assert.deepEqual(json.messages[2].content, [
      {
        type: 'tool_result',
        tool_use_id: 't',
        content: [{ type: 'text', text: 'see' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } }],
        is_error: true,
      },
    ]);
    const bad: Message[] = [{ role: 'user', content: [{ type: 'document', mediaType: 'application/msword', data: 'AA' }] }];
    assert.throws(() => build(chatRequest({ messages: bad })), (e: GatewayError) => e.code === 'unsupported' && /application\/msword/.test(e.message));
  });

  test('400s: invalid tool_call arguments, n>1, logprobs', () => {
    const messages: Message[] = [
      { role: 'user', content: [text('q')] },
      { role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '{"a":' }] },
    ];
    assert.throws(() => build(chatRequest({ messages })), (e: GatewayError) => e.code === 'invalid_request' && e.status === 400 && /invalid tool_call arguments/.test(e.message));
    assert.throws(() => build(chatRequest({ n: 2 })), (e: GatewayError) => e.status === 400 && /n>1/.test(e.message));
    assert.throws(() => build(chatRequest({ raw: { logprobs: true } })), (e: GatewayError) => e.status === 400 && /logprobs/.test(e.message));
    assert.doesNotThrow(() => build(chatRequest({ n: 1, raw: { logprobs: false } })));
  });

  test('temperature clamp for MiniMax range; response_format json_schema -> output_config.format', () => {
    const ep = endpoint({ quirks: { temperatureRange: [0.01, 1] } });
    assert.equal(build(chatRequest({ temperature: 0 }), ep).json.temperature, 0.01);
    assert.equal(build(chatRequest({ temperature: 2 }), ep).json.temperature, 1);
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const json = build(chatRequest({ responseFormat: { type: 'json_schema', name: 'x', schema } })).json;
    assert.deepEqual(json.output_config, { format: { type: 'json_schema', schema } });
  });

  test('an empty call id gets one consistent id for call and result', () => {
    const messages: Message[] = [
      { role: 'user', content: [text('q')] },
      { role: 'assistant', content: [{ type: 'tool-call', id: '', name: 'f', arguments: '{}' }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: '', content: [text('r')] }] },
    ];
    const json = build(chatRequest({ messages })).json;
    assert.match(json.messages[1].content[0].id, /^[a-zA-Z0-9_-]+$/);
    assert.equal(json.messages[2].content[0].tool_use_id, json.messages[1].content[0].id);
    assert.equal(json.messages[2].content.length, 1);
  });
});
