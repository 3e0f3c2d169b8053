import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest, Message } from '../../../src/core/request.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import { geminiProviderType, geminiUpstream } from '../../../src/protocols/gemini/index.ts';
import { signed } from '../signed.ts';
import { endpoint, request } from './helpers.ts';

const SKIP = 'skip_thought_signature_validator';

function body(overrides: Partial<ChatRequest>, ep = endpoint()): Record<string, unknown> {
  return JSON.parse(String(geminiUpstream.buildRequest(request(overrides), 'gemini-2.5-flash', ep, true).body));
}

function rejects(overrides: Partial<ChatRequest>, code: string, message: RegExp | string, ep = endpoint()): void {
  assert.throws(
    () => geminiUpstream.buildRequest(request(overrides), 'gemini-2.5-flash', ep, true),
    (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, code);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const system = (text: string): Message => ({ role: 'system', content: [{ type: 'text', text }] });
const toolResult = (toolCallId: string, text: string, extra: { name?: string; isError?: boolean } = {}): Message => ({
  role: 'tool',
  content: [{ type: 'tool-result', toolCallId, content: [{ type: 'text', text }], ...extra }],
});

describe('gemini buildRequest: URL and auth', () => {
  test('streaming URL always asks for alt=sse; the key goes in x-goog-api-key only', () => {
    const ep = endpoint({ headers: { 'x-goog-user-project': 'proj-1' } });
    const http = signed(geminiProviderType, request(), 'gemini-2.5-flash', ep, true);
    assert.equal(
      http.url,
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    );
    assert.deepEqual(http.headers, {
      'content-type': 'application/json',
      'x-goog-user-project': 'proj-1',
      'x-goog-api-key': 'AIza-secret-key',
    });
    assert.ok(!http.url.includes('AIza-secret-key'));
    assert.ok(!http.url.includes('key='));
    assert.ok(!http.body.includes('AIza-secret-key'));
  });

  test('non-streaming URL', () => {
    const http = geminiUpstream.buildRequest(request({ stream: false }), 'gemini-2.5-pro', endpoint(), false);
    assert.equal(http.url, 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent');
  });

  test('a base URL that already ends with /v1beta (or a slash) does not get it twice', () => {
    for (const baseUrl of [
      'https://generativelanguage.googleapis.com/v1beta',
      'https://generativelanguage.googleapis.com/v1beta/',
      'https://generativelanguage.googleapis.com/',
    ]) {
      const http = geminiUpstream.buildRequest(request(), 'gemini-2.5-flash', endpoint({ baseUrl }), false);
      assert.equal(http.url, 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent', baseUrl);
    }
  });

  test('the model name is path-encoded and a models/ prefix is not doubled', () => {
    const ep = endpoint({ baseUrl: 'http://127.0.0.1:9999' });
    assert.equal(
      geminiUpstream.buildRequest(request(), 'models/gemini-2.5-flash', ep, false).url,
      'http://127.0.0.1:9999/v1beta/models/gemini-2.5-flash:generateContent',
    );
    assert.equal(
      geminiUpstream.buildRequest(request(), 'tuned/a b?c', ep, false).url,
      'http://127.0.0.1:9999/v1beta/models/tuned%2Fa%20b%3Fc:generateContent',
    );
  });

  test('authHeader quirk: bearer for proxies that want it; no key, no auth header', () => {
    const bearer = signed(geminiProviderType, request(), 'm', endpoint({ quirks: { authHeader: 'authorization' } }), true);
    assert.equal(bearer.headers.authorization, 'Bearer AIza-secret-key');
    assert.equal(bearer.headers['x-goog-api-key'], undefined);
    const keyless = signed(geminiProviderType, request(), 'm', endpoint({ apiKey: undefined }), true);
    assert.deepEqual(keyless.headers, { 'content-type': 'application/json' });
  });
});

describe('gemini buildRequest: conversation', () => {
  test('OpenAI-style multi-turn history with tool calls and results (golden)', () => {
    const messages: Message[] = [
      system('You are terse.'),
      user('Weather in Oslo and Bergen?'),
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'call_1', name: 'get_forecast', arguments: '{"city":"Oslo"}', signature: 'SIG1' },
          { type: 'tool-call', id: 'call_2', name: 'get_forecast', arguments: '{"city": "Bergen"}' },
        ],
      },
      // results sent back out of call order, names only reachable through the ids
      toolResult('call_2', '{"high_c":6}'),
      toolResult('call_1', 'sunny'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'call_3', name: 'get_time', arguments: '' }] },
      toolResult('call_3', '"12:00"', { name: 'get_time' }),
      system('Answer in English.'),
    ];
    assert.deepEqual(body({ messages }), {
      systemInstruction: { parts: [{ text: 'You are terse.\n\nAnswer in English.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Oslo and Bergen?' }] },
        {
          role: 'model',
          parts: [
            { text: 'Checking.' },
            { functionCall: { name: 'get_forecast', args: { city: 'Oslo' } }, thoughtSignature: 'SIG1' },
            { functionCall: { name: 'get_forecast', args: { city: 'Bergen' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_forecast', response: { output: 'sunny' } } },
            { functionResponse: { name: 'get_forecast', response: { high_c: 6 } } },
          ],
        },
        // the current turn's unsigned step gets Google's dummy (gemini.md §6)
        { role: 'model', parts: [{ functionCall: { name: 'get_time', args: {} }, thoughtSignature: SKIP }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_time', response: { output: '12:00' } } }] },
      ],
    });
  });

  test('only steps of the current turn get the dummy signature', () => {
    const messages: Message[] = [
      user('first question'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'a', name: 'f', arguments: '{}' }] },
      toolResult('a', '1'),
      { role: 'assistant', content: [{ type: 'text', text: 'one' }] },
      user('second question'),
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', id: 'b', name: 'f', arguments: '{}' },
          { type: 'tool-call', id: 'c', name: 'f', arguments: '{}' },
        ],
      },
      toolResult('b', '2'),
      toolResult('c', '3'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'd', name: 'f', arguments: '{}', signature: 'REAL' }] },
      toolResult('d', '4'),
    ];
    const contents = body({ messages }).contents as Array<{ role: string; parts: Array<Record<string, unknown>> }>;
    const calls = contents.flatMap((c) => c.parts.filter((p) => 'functionCall' in p));
    assert.deepEqual(
      calls.map((p) => p.thoughtSignature),
      [undefined, SKIP, undefined, 'REAL'],
    );
    assert.ok(!('thoughtSignature' in calls[0]));
    assert.ok(!('thoughtSignature' in calls[2]));
  });

  test('consecutive same-role messages merge; reasoning-only turns vanish; error and array results wrap', () => {
    const messages: Message[] = [
      user('a'),
      { role: 'user', content: [{ type: 'text', text: 'b' }, { type: 'text', text: '' }] },
      { role: 'assistant', content: [{ type: 'reasoning', text: 'hidden', signature: 'x' }] },
      user('c'),
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'let me see' },
          { type: 'tool-call', id: 't1', name: 'lookup', arguments: '{"q":"x"}', signature: 'S' },
        ],
      },
      toolResult('t1', 'not found', { isError: true }),
      toolResult('t1', '[1,2]'),
      user('thanks'),
    ];
    assert.deepEqual(body({ messages }).contents, [
      { role: 'user', parts: [{ text: 'a' }, { text: 'b' }, { text: 'c' }] },
      { role: 'model', parts: [{ functionCall: { name: 'lookup', args: { q: 'x' } }, thoughtSignature: 'S' }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'lookup', response: { error: 'not found' } } },
          { functionResponse: { name: 'lookup', response: { output: [1, 2] } } },
          { text: 'thanks' },
        ],
      },
    ]);
  });

  test('an error result that is a JSON object is wrapped under error', () => {
    const messages: Message[] = [
      user('q'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'e', name: 'f', arguments: '{}', signature: 'S' }] },
      toolResult('e', '{"reason":"timeout"}', { isError: true }),
    ];
    const contents = body({ messages }).contents as Array<{ parts: unknown[] }>;
    assert.deepEqual(contents[2].parts, [{ functionResponse: { name: 'f', response: { error: { reason: 'timeout' } } } }]);
  });

  test('invalid tool-call arguments in history are the client error', () => {
    const messages: Message[] = [
      user('q'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'bad', name: 'f', arguments: '{"city": "Os' }] },
      toolResult('bad', 'x'),
    ];
    rejects({ messages }, 'invalid_request', /^invalid tool_call arguments/);
    const arrayArgs: Message[] = [
      user('q'),
      { role: 'assistant', content: [{ type: 'tool-call', id: 'arr', name: 'f', arguments: '[1]' }] },
    ];
    rejects({ messages: arrayArgs }, 'invalid_request', /^invalid tool_call arguments .*JSON object/);
  });

  test('a tool result whose name cannot be found is rejected', () => {
    rejects({ messages: [user('q'), toolResult('ghost', 'x')] }, 'invalid_request', /"ghost"/);
  });

  test('images and documents become inlineData; image URLs are refused', () => {
    const messages: Message[] = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { kind: 'url', url: 'data:image/jpeg;base64,/9j/4AAQ' } },
          { type: 'document', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'a.pdf' },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool-call', id: 'shot', name: 'screenshot', arguments: '{}' }] },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'shot',
            content: [
              { type: 'text', text: 'captured' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/webp', data: 'UklGRg==' } },
            ],
          },
        ],
      },
    ];
    assert.deepEqual(body({ messages }).contents, [
      {
        role: 'user',
        parts: [
          { text: 'What is this?' },
          { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } },
          { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
        ],
      },
      { role: 'model', parts: [{ functionCall: { name: 'screenshot', args: {} }, thoughtSignature: SKIP }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'screenshot', response: { output: 'captured' } } },
          { inlineData: { mimeType: 'image/webp', data: 'UklGRg==' } },
        ],
      },
    ]);
    rejects(
      { messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://x.test/cat.png' } }] }] },
      'unsupported',
      'image URLs are not supported by Gemini upstreams; send base64 data',
    );
  });

  test('an Anthropic prefill is refused unless the provider supports it', () => {
    const messages: Message[] = [user('Say hi'), { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }];
    rejects({ messages, front: 'anthropic' }, 'unsupported', 'assistant prefill is not supported by this upstream');
    const allowed = body({ messages, front: 'anthropic' }, endpoint({ quirks: { supportsPrefill: true } }));
    assert.deepEqual((allowed.contents as unknown[]).at(-1), { role: 'model', parts: [{ text: 'Hi' }] });
    // OpenAI has no prefill semantics: a trailing assistant message is just history.
    assert.equal((body({ messages }).contents as unknown[]).length, 2);
  });
});

describe('gemini buildRequest: tools and options', () => {
  const tools = [
    {
      name: 'get_forecast',
      description: 'Forecast by city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      strict: true,
    },
    { name: 'now', parameters: {} },
  ];

  test('tool declarations use parametersJsonSchema; strict is dropped', () => {
    assert.deepEqual(body({ tools }).tools, [
      {
        functionDeclarations: [
          {
            name: 'get_forecast',
            description: 'Forecast by city',
            parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
          { name: 'now' },
        ],
      },
    ]);
  });

  test('tool choice forms', () => {
    const config = (toolChoice: ChatRequest['toolChoice']): unknown => body({ tools, toolChoice }).toolConfig;
    assert.deepEqual(config({ type: 'auto' }), { functionCallingConfig: { mode: 'AUTO' } });
    assert.deepEqual(config({ type: 'none' }), { functionCallingConfig: { mode: 'NONE' } });
    assert.deepEqual(config({ type: 'required' }), { functionCallingConfig: { mode: 'ANY' } });
    assert.deepEqual(config({ type: 'tool', name: 'now' }), {
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['now'] },
    });
    assert.equal(config(undefined), undefined);
    assert.equal(body({ toolChoice: { type: 'required' } }).toolConfig, undefined, 'no tools, no toolConfig');
  });

  test('generationConfig mapping (golden) and dropped foreign fields', () => {
    const b = body({
      maxTokens: 512,
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stop: ['a', 'b', 'c', 'd', 'e', 'f'],
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      n: 2,
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      reasoning: { effort: 'medium', include: true },
      user: 'user-42',
      parallelToolCalls: false,
      anthropicBeta: 'interleaved-thinking-2025-05-14',
      raw: { metadata: { user_id: 'u' }, chat_template_kwargs: { x: 1 }, cache_control: {} },
    });
    assert.deepEqual(b, {
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      generationConfig: {
        maxOutputTokens: 512,
        temperature: 0.3,
        topP: 0.9,
        topK: 40,
        stopSequences: ['a', 'b', 'c', 'd', 'e'],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        candidateCount: 2,
        responseMimeType: 'application/json',
        responseJsonSchema: { type: 'object' },
        thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 },
      },
    });
  });

  test('no options, no generationConfig; json_object; n=1 omitted', () => {
    assert.deepEqual(body({}), { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });
    assert.deepEqual(body({ responseFormat: { type: 'json_object' }, n: 1 }).generationConfig, {
      responseMimeType: 'application/json',
    });
    assert.equal(body({ responseFormat: { type: 'text' } }).generationConfig, undefined);
  });

  test('reasoning effort and budgets -> thinkingBudget', () => {
    const thinking = (reasoning: ChatRequest['reasoning']): unknown =>
      (body({ reasoning }).generationConfig as { thinkingConfig?: unknown } | undefined)?.thinkingConfig;
    assert.deepEqual(thinking({ effort: 'none' }), { thinkingBudget: 0 });
    assert.deepEqual(thinking({ effort: 'minimal' }), { thinkingBudget: 0 });
    assert.deepEqual(thinking({ effort: 'low' }), { thinkingBudget: 1024 });
    assert.deepEqual(thinking({ effort: 'high' }), { thinkingBudget: 24576 });
    assert.deepEqual(thinking({ budgetTokens: 3000, include: true }), { includeThoughts: true, thinkingBudget: 3000 });
    assert.deepEqual(thinking({ budgetTokens: 2048, effort: 'high' }), { thinkingBudget: 2048 });
    assert.deepEqual(thinking({ adaptive: true }), { thinkingBudget: -1 });
    assert.equal(thinking({ effort: 'constructor' }), undefined);
  });

  test('provider defaults and temperature range quirk', () => {
    const ep = endpoint({ defaultMaxTokens: 4096, quirks: { temperatureRange: [0, 1] } });
    assert.deepEqual(body({ temperature: 1.7 }, ep).generationConfig, { maxOutputTokens: 4096, temperature: 1 });
  });
});
