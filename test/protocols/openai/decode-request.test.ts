// OpenAI front request decoding: validation messages that name the field, and the canonical request.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import { openaiFront } from '../../../src/protocols/openai/index.ts';
import { decodeOpenAIRequest } from '../../../src/protocols/openai/decode-request.ts';

const decode = (body: unknown): ChatRequest => decodeOpenAIRequest(body, {});
const user = (content: unknown) => ({ role: 'user', content });

function rejects(body: unknown, message: string | RegExp, param?: string): void {
  assert.throws(
    () => decode(body),
    (e: unknown) => {
      assert.ok(e instanceof GatewayError, String(e));
      assert.equal(e.code, 'invalid_request');
      assert.equal(e.status, 400);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      if (param !== undefined) assert.equal(e.param, param);
      return true;
    },
  );
}

describe('OpenAI front: request validation', () => {
  test('model and messages', () => {
    rejects({ messages: [user('hi')] }, "Missing required parameter: 'model'.", 'model');
    rejects({ model: 5, messages: [user('hi')] }, "Invalid type for 'model': expected a string, but got an integer instead.", 'model');
    rejects({ model: '', messages: [user('hi')] }, "'model' must be a non-empty string", 'model');
    rejects({ model: 'm' }, "Missing required parameter: 'messages'.", 'messages');
    rejects({ model: 'm', messages: [] }, "'messages' must be a non-empty array", 'messages');
    rejects({ model: 'm', messages: 'hi' }, "Invalid type for 'messages': expected an array, but got a string instead.", 'messages');
    rejects('not an object', 'The request body must be a JSON object.');
    rejects([], 'The request body must be a JSON object.');
  });

  test('message roles and content per role', () => {
    rejects({ model: 'm', messages: [{ role: 'bot', content: 'x' }] }, /^Invalid value for 'messages\[0\]\.role': expected one of 'developer', 'system', 'user', 'assistant', 'tool', 'function', but got 'bot'\.$/, 'messages[0].role');
    rejects({ model: 'm', messages: [{ content: 'x' }] }, "Missing required parameter: 'messages[0].role'.", 'messages[0].role');
    rejects({ model: 'm', messages: [{ role: 'user' }] }, "Missing required parameter: 'messages[0].content'.", 'messages[0].content');
    rejects({ model: 'm', messages: [user(5)] }, "Invalid type for 'messages[0].content': expected a string or an array, but got an integer instead.", 'messages[0].content');
    rejects({ model: 'm', messages: [user(null)] }, /^Invalid type for 'messages\[0\]\.content'/, 'messages[0].content');
    rejects({ model: 'm', messages: [user([{ type: 'text', text: 5 }])] }, "Invalid type for 'messages[0].content[0].text': expected a string, but got an integer instead.", 'messages[0].content[0].text');
    rejects({ model: 'm', messages: [user([{ type: 'video', url: 'x' }])] }, /^Invalid value for 'messages\[0\]\.content\[0\]\.type': expected one of 'text', 'image_url', 'input_audio', 'file'/);
    rejects({ model: 'm', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x' } }] }] }, /^Invalid value for 'messages\[0\]\.content\[0\]\.type'/);
    rejects({ model: 'm', messages: [{ role: 'tool', content: 'r' }] }, "Missing required parameter: 'messages[0].tool_call_id'.", 'messages[0].tool_call_id');
    rejects(
      { model: 'm', messages: [user('a'), { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f' } }] }] },
      /^Missing required parameter: 'messages\[1\]\.tool_calls\[0\]\.function\.arguments'\.$/,
    );
  });

  test('numbers in range', () => {
    rejects({ model: 'm', messages: [user('a')], temperature: 3 }, "Invalid 'temperature': expected a value <= 2, but got 3 instead.", 'temperature');
    rejects({ model: 'm', messages: [user('a')], temperature: -0.1 }, "Invalid 'temperature': expected a value >= 0, but got -0.1 instead.", 'temperature');
    rejects({ model: 'm', messages: [user('a')], top_p: 1.5 }, /^Invalid 'top_p'/, 'top_p');
    rejects({ model: 'm', messages: [user('a')], n: 0 }, /^Invalid 'n'/, 'n');
    rejects({ model: 'm', messages: [user('a')], n: 1.5 }, "Invalid type for 'n': expected an integer, but got a decimal instead.", 'n');
    rejects({ model: 'm', messages: [user('a')], presence_penalty: 3 }, /^Invalid 'presence_penalty'/);
    rejects({ model: 'm', messages: [user('a')], max_tokens: 0 }, /^Invalid 'max_tokens'/);
  });

  test('other fields', () => {
    rejects({ model: 'm', messages: [user('a')], stream: 'yes' }, "Invalid type for 'stream': expected a boolean, but got a string instead.", 'stream');
    rejects({ model: 'm', messages: [user('a')], stream_options: 1 }, /^Invalid type for 'stream_options': expected an object/);
    rejects({ model: 'm', messages: [user('a')], stop: 5 }, /^Invalid type for 'stop'/);
    rejects({ model: 'm', messages: [user('a')], tool_choice: 'sometimes' }, "Invalid value for 'tool_choice': expected one of 'none', 'auto', 'required', but got 'sometimes'.", 'tool_choice');
    rejects({ model: 'm', messages: [user('a')], tool_choice: { type: 'function' } }, "Missing required parameter: 'tool_choice.function'.", 'tool_choice.function');
    rejects({ model: 'm', messages: [user('a')], tools: [{ type: 'function', function: {} }] }, "Missing required parameter: 'tools[0].function.name'.");
    rejects({ model: 'm', messages: [user('a')], response_format: { type: 'xml' } }, /^Invalid value for 'response_format\.type'/);
    rejects({ model: 'm', messages: [user('a')], reasoning_effort: 'extreme' }, /^Invalid value for 'reasoning_effort'/);
  });

  test('images: data URLs must be base64, other schemes are rejected', () => {
    rejects({ model: 'm', messages: [user([{ type: 'image_url', image_url: { url: 'ftp://x/cat.png' } }])] }, /^Invalid value for 'messages\[0\]\.content\[0\]\.image_url\.url'/, 'messages[0].content[0].image_url.url');
    rejects({ model: 'm', messages: [user([{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }])] }, /image_url\.url/);
    rejects({ model: 'm', messages: [user([{ type: 'file', file: {} }])] }, /expected file_data or file_id/);
  });
});

describe('OpenAI front: canonical request', () => {
  test('a full request maps every field', () => {
    const body = {
      model: 'fast',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'system', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }], name: 'ops' },
        user([
          { type: 'text', text: 'Look' },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'low' } },
          { type: 'image_url', image_url: { url: 'https://example.org/cat.png' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0x', filename: 'a.pdf' } },
          { type: 'input_audio', input_audio: { data: 'UklGR', format: 'wav' } },
        ]),
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'thinking…',
          tool_calls: [
            { id: 'call_q81', type: 'function', function: { name: 'get_forecast', arguments: '{"city":"Oslo"}' }, extra_content: { google: { thought_signature: 'c2ln' } } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_q81', content: '{"high_c":4}' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 100,
      max_completion_tokens: 200,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      n: 1,
      stop: 'END',
      seed: 7,
      presence_penalty: 0.1,
      frequency_penalty: -0.1,
      tools: [
        { type: 'function', function: { name: 'get_forecast', description: 'Forecast', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } },
        { type: 'function', function: { name: 'noop' } },
        { type: 'custom', custom: { name: 'shell', description: 'free text' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      reasoning_effort: 'high',
      user: 'u-1',
      chat_template_kwargs: { enable_thinking: false },
    };
    const req = decode(body);
    assert.equal(req.front, 'openai');
    assert.equal(req.raw, body, 'raw is the client body, unknown fields included');
    assert.deepEqual({ ...req, raw: undefined }, {
      model: 'fast',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'system', name: 'ops', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' }, detail: 'low' },
            { type: 'image', source: { kind: 'url', url: 'https://example.org/cat.png' } },
            { type: 'document', mediaType: 'application/pdf', data: 'JVBERi0x', filename: 'a.pdf' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'thinking…' },
            { type: 'tool-call', id: 'call_q81', name: 'get_forecast', arguments: '{"city":"Oslo"}', signature: 'c2ln' },
          ],
        },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_q81', name: 'get_forecast', content: [{ type: 'text', text: '{"high_c":4}' }] }] },
      ],
      stream: true,
      includeUsage: true,
      front: 'openai',
      raw: undefined,
      nonPortable: 'custom tools are only supported by OpenAI upstreams',
      maxTokens: 200,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      n: 1,
      stop: ['END'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: -0.1,
      parallelToolCalls: false,
      user: 'u-1',
      tools: [
        { name: 'get_forecast', description: 'Forecast', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true },
        { name: 'noop', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'required' },
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      reasoning: { effort: 'high', include: true },
    });
  });

  test('a minimal request: non-streaming, no usage, nulls accepted for optional fields', () => {
    const req = decode({ model: 'm', messages: [user('hi')], temperature: null, stream: null, tools: null, stream_options: { include_usage: false } });
    assert.equal(req.stream, false);
    assert.equal(req.includeUsage, false);
    assert.equal(req.temperature, undefined);
    assert.equal(req.tools, undefined);
    assert.equal(req.reasoning, undefined);
    assert.deepEqual(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });

  test('max_tokens is used when max_completion_tokens is absent', () => {
    assert.equal(decode({ model: 'm', messages: [user('a')], max_tokens: 64 }).maxTokens, 64);
  });

  test('tool_choice forms', () => {
    const tools = [
      { type: 'function', function: { name: 'a' } },
      { type: 'function', function: { name: 'b' } },
    ];
    const base = { model: 'm', messages: [user('x')], tools };
    assert.deepEqual(decode({ ...base, tool_choice: 'none' }).toolChoice, { type: 'none' });
    assert.deepEqual(decode({ ...base, tool_choice: 'auto' }).toolChoice, { type: 'auto' });
    assert.deepEqual(decode({ ...base, tool_choice: { type: 'function', function: { name: 'b' } } }).toolChoice, { type: 'tool', name: 'b' });
    assert.deepEqual(decode({ ...base, tool_choice: { type: 'custom', custom: { name: 'shell' } } }).toolChoice, { type: 'tool', name: 'shell' });
    const allowed = decode({ ...base, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'b' } }] } } });
    assert.deepEqual(allowed.toolChoice, { type: 'required' });
    assert.deepEqual(allowed.tools?.map((t) => t.name), ['b']);
  });

  test('legacy functions / function_call / function messages', () => {
    const req = decode({
      model: 'm',
      messages: [
        user('weather?'),
        { role: 'assistant', content: null, function_call: { name: 'get_forecast', arguments: '{"city":"Oslo"}' } },
        { role: 'function', name: 'get_forecast', content: '{"high_c":4}' },
      ],
      functions: [{ name: 'get_forecast', parameters: { type: 'object', properties: {} } }],
      function_call: { name: 'get_forecast' },
    });
    assert.deepEqual(req.tools, [{ name: 'get_forecast', parameters: { type: 'object', properties: {} } }]);
    assert.deepEqual(req.toolChoice, { type: 'tool', name: 'get_forecast' });
    const call = req.messages[1]!.content[0]!;
    const result = req.messages[2]!.content[0]!;
    assert.equal(call.type, 'tool-call');
    assert.equal(result.type, 'tool-result');
    if (call.type === 'tool-call' && result.type === 'tool-result') {
      assert.match(call.id, /^call_/);
      assert.equal(result.toolCallId, call.id, 'the function result pairs with the legacy call');
      assert.equal(result.name, 'get_forecast');
    }
    assert.equal(req.messages[2]!.role, 'tool');
  });

  test('assistant content: text and refusal parts, empty strings dropped, arguments objects serialised', () => {
    const req = decode({
      model: 'm',
      messages: [
        user('a'),
        { role: 'assistant', content: [{ type: 'text', text: 'Sure' }, { type: 'refusal', refusal: ' not that' }] },
        { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: { x: 1 } } }] },
        { role: 'assistant', content: null, refusal: 'I cannot.' },
      ],
    });
    assert.deepEqual(req.messages[1]!.content, [{ type: 'text', text: 'Sure' }, { type: 'text', text: ' not that' }]);
    assert.deepEqual(req.messages[2]!.content, [{ type: 'tool-call', id: 'c1', name: 'f', arguments: '{"x":1}' }]);
    assert.deepEqual(req.messages[3]!.content, [{ type: 'text', text: 'I cannot.' }]);
  });

  test('a tool result without a matching call has no name; file_data without data: is a PDF', () => {
    const req = decode({
      model: 'm',
      messages: [
        { role: 'tool', tool_call_id: 'orphan', content: [{ type: 'text', text: 'r1' }, { type: 'text', text: 'r2' }] },
        user([{ type: 'file', file: { file_data: 'JVBERi0x' } }, { type: 'file', file: { file_id: 'file-abc' } }]),
      ],
    });
    assert.deepEqual(req.messages[0]!.content, [{ type: 'tool-result', toolCallId: 'orphan', content: [{ type: 'text', text: 'r1' }, { type: 'text', text: 'r2' }] }]);
    assert.deepEqual(req.messages[1]!.content, [{ type: 'document', mediaType: 'application/pdf', data: 'JVBERi0x' }]);
  });

  test('reasoning opt-in (include) decisions', () => {
    const r = (extra: Record<string, unknown>) => decode({ model: 'm', messages: [user('a')], ...extra }).reasoning;
    assert.equal(r({}), undefined);
    assert.deepEqual(r({ include_reasoning: true }), { include: true });
    assert.deepEqual(r({ reasoning_effort: 'low' }), { effort: 'low', include: true });
    assert.deepEqual(r({ reasoning_effort: 'none' }), { effort: 'none', include: false });
    assert.deepEqual(r({ reasoning_effort: 'high', include_reasoning: false }), { effort: 'high', include: false });
    assert.deepEqual(r({ reasoning: { effort: 'medium' } }), { effort: 'medium', include: true });
    assert.deepEqual(r({ reasoning: { max_tokens: 2000, exclude: true } }), { budgetTokens: 2000, include: false });
    assert.deepEqual(r({ reasoning: { enabled: false } }), { effort: 'none', include: false });
  });
});
