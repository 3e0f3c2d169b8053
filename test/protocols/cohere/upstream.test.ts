// The Cohere upstream: the request sluice sends (from the canonical request and from a Cohere
// client's own body), the non-streaming response, and Cohere's error bodies.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import { cohereProviderType, cohereUpstream } from '../../../src/protocols/cohere/index.ts';
import { chatUrl } from '../../../src/protocols/cohere/encode-request.ts';
import { decodeContext, endpoint, request } from './helpers.ts';

function body(req: Parameters<typeof cohereUpstream.buildRequest>[0], stream = true): Record<string, any> {
  return JSON.parse(String(cohereUpstream.buildRequest(req, 'command-a-03-2025', endpoint(), stream).body));
}

describe('cohere upstream: request', () => {
  test('URL from the API root (pasted /v2 and /v2/chat cut back), Bearer key', () => {
    for (const base of ['https://api.cohere.com', 'https://api.cohere.com/', 'https://api.cohere.com/v2', 'https://api.cohere.com/v2/chat']) {
      assert.equal(chatUrl(base), 'https://api.cohere.com/v2/chat');
    }
    const ep = endpoint({ headers: { 'X-Client-Name': 'sluice' } });
    const http = cohereUpstream.buildRequest(request(), 'command-a', ep, true);
    assert.equal(http.headers.authorization, undefined, 'no credentials in the codec');
    assert.equal(http.headers['x-client-name'], 'sluice');
    const upstream = cohereProviderType.create(ep);
    assert.equal(upstream.kind, 'http');
    if (upstream.kind === 'http') upstream.auth.apply(http, new AbortController().signal);
    assert.equal(http.headers.authorization, 'Bearer co-secret-key');
  });

  test('canonical history: system first, tool plan with calls, tool messages, documents, images', () => {
    const b = body(
      request({
        messages: [
          { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
          {
            role: 'user',
            content: [
              { type: 'document', mediaType: 'text/plain', data: Buffer.from('Oslo is cold.').toString('base64'), filename: 'notes' },
              { type: 'text', text: 'Weather?' },
              { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' } },
            ],
          },
          {
            role: 'assistant',
            content: [
              { type: 'reasoning', text: 'signed elsewhere', signature: 'anthropic-sig' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool-call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
            ],
          },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_1', content: [] }] },
          { role: 'system', content: [{ type: 'text', text: 'Late rule.' }] },
        ],
        tools: [{ name: 'get_weather', parameters: {} }],
        toolChoice: { type: 'tool', name: 'get_weather' },
        maxTokens: 50,
        topP: 1,
        reasoning: { effort: 'high' },
        responseFormat: { type: 'json_schema', name: 'r', schema: { type: 'object' } },
      }),
    );
    assert.deepEqual(b.messages, [
      { role: 'system', content: 'Be brief.\n\nLate rule.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } }] },
      {
        role: 'assistant',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
        tool_plan: 'Checking.',
      },
      { role: 'tool', tool_call_id: 'call_1', content: '(no output)' },
    ]);
    assert.deepEqual(b.documents, [{ data: { title: 'notes', text: 'Oslo is cold.' } }]);
    assert.deepEqual(b.tools, [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }]);
    assert.equal(b.tool_choice, 'REQUIRED');
    assert.equal(b.max_tokens, 50);
    assert.equal(b.p, 0.99, 'p is clamped to Cohere\'s range');
    assert.deepEqual(b.thinking, { type: 'enabled', token_budget: 16384 });
    assert.deepEqual(b.response_format, { type: 'json_object', json_schema: { type: 'object' } });
    assert.equal(b.stream, true);
  });

  test('a Cohere client\'s own body passes through with model and stream set', () => {
    const raw = { model: 'alias', messages: [{ role: 'user', content: 'hi' }], citation_options: { mode: 'FAST' }, safety_mode: 'STRICT' };
    const b = body(request({ front: 'cohere' as never, raw }), false);
    assert.deepEqual(b, { ...raw, model: 'command-a-03-2025', stream: false });
  });

  test('what Cohere cannot take is refused before sending', () => {
    const pdf = request({ messages: [{ role: 'user', content: [{ type: 'document', mediaType: 'application/pdf', data: 'JVBE' }] }] });
    assert.throws(() => body(pdf), (e: GatewayError) => e.code === 'unsupported' && /application\/pdf/.test(e.message));
    const img = request({
      messages: [{ role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c', content: [{ type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }] }] }],
    });
    assert.throws(() => body(img), (e: GatewayError) => e.code === 'unsupported');
    assert.throws(() => body(request({ n: 2 })), (e: GatewayError) => e.code === 'unsupported');
    const badArgs = request({ messages: [{ role: 'assistant', content: [{ type: 'tool-call', id: 'c', name: 'f', arguments: '[1]' }] }] });
    assert.throws(() => body(badArgs), (e: GatewayError) => e.code === 'invalid_request');
  });
});

describe('cohere upstream: response and errors', () => {
  test('non-streaming: thinking, plan, calls (null arguments as {}), usage', () => {
    const resp = cohereUpstream.decodeResponse(
      {
        id: 'abc',
        finish_reason: 'TOOL_CALL',
        message: {
          role: 'assistant',
          content: [{ type: 'thinking', thinking: 'hmm' }],
          tool_plan: 'I will check.',
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'now', arguments: 'null' } }],
        },
        usage: { billed_units: { input_tokens: 3, output_tokens: 4 }, tokens: { input_tokens: 90, output_tokens: 8 }, cached_tokens: 64 },
      },
      decodeContext(),
    );
    assert.deepEqual(resp, {
      id: 'abc',
      blocks: [
        { kind: 'reasoning', text: 'hmm' },
        { kind: 'text', text: 'I will check.' },
        { kind: 'tool-call', id: 't1', name: 'now', arguments: '{}' },
      ],
      finishReason: 'tool-calls',
      usage: { inputTokens: 90, outputTokens: 8, cacheReadTokens: 64 },
    });
  });

  test('finish_reason ERROR in a 200 body is an upstream error; a bare {"message"} too', () => {
    assert.throws(
      () => cohereUpstream.decodeResponse({ id: 'x', finish_reason: 'ERROR', message: { role: 'assistant' } }, decodeContext()),
      (e: GatewayError) => e.code === 'upstream_error',
    );
    assert.throws(() => cohereUpstream.decodeResponse({ message: 'boom' }, decodeContext()), (e: GatewayError) => e.message === 'boom');
  });

  test('HTTP errors: status classes, Cohere\'s message, retry-after', () => {
    const cases: Array<[number, string, number, boolean]> = [
      [400, 'upstream_client_error', 400, false],
      [401, 'upstream_auth', 401, false],
      [498, 'upstream_auth', 401, false],
      [404, 'upstream_client_error', 404, false],
      [429, 'upstream_rate_limited', 429, true],
      [499, 'upstream_error', 502, true],
      [500, 'upstream_error', 502, true],
      [503, 'upstream_overloaded', 503, true],
      [504, 'upstream_timeout', 504, true],
    ];
    for (const [status, code, clientStatus, retryable] of cases) {
      const e = cohereUpstream.decodeError(status, JSON.stringify({ id: 'e1', message: `m${status}` }), { 'retry-after': '2' }, decodeContext());
      assert.deepEqual([e.code, e.status, e.retryable, e.message, e.retryAfterMs], [code, clientStatus, retryable, `m${status}`, 2000], `status ${status}`);
    }
    assert.equal(cohereUpstream.decodeError(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', {}, decodeContext()).message, '502 Bad Gateway');
  });
});
