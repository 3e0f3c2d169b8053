// The openai-responses upstream codec: the request it builds (same dialect: the client's body byte
// for byte; other dialects: stateless, from the canonical request), a whole Response body decoded
// like the stream, and item ids handed to a Responses client unchanged.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { decodeResponsesRequest } from '../../../src/protocols/openai-responses/decode-request.ts';
import { decodeResponsesResponse } from '../../../src/protocols/openai-responses/decode-response.ts';
import { buildResponsesRequest, responsesUrl } from '../../../src/protocols/openai-responses/encode-request.ts';
import { encodeResponsesResponse } from '../../../src/protocols/openai-responses/encode-response.ts';
import { responsesProviderType } from '../../../src/protocols/openai-responses/index.ts';
import { readResponsesSignature, responsesSignature } from '../../../src/protocols/openai-responses/signatures.ts';
import { GatewayError } from '../../../src/core/errors.ts';

const endpoint = (quirks: Record<string, unknown> = {}): UpstreamEndpoint =>
  ({ name: 'oai', baseUrl: 'https://api.openai.com/v1/', apiKey: 'sk-test', headers: { 'OpenAI-Organization': 'org-1' }, quirks }) as UpstreamEndpoint;
const svc = { modelNames: () => [], settings: {}, log: () => undefined };
const info = { headers: {}, params: {}, query: new URLSearchParams() };

function canonical(extra: Partial<ChatRequest>): ChatRequest {
  return { model: 'client', messages: [], stream: true, includeUsage: true, front: 'anthropic', raw: {}, ...extra } as ChatRequest;
}

describe('request', () => {
  test('same dialect: the client body with model and stream, unknown fields and items untouched', async () => {
    const body = {
      model: 'gpt-client',
      input: [
        { type: 'message', id: 'msg_u1', role: 'user', content: [{ type: 'input_text', text: 'q' }] },
        { type: 'reasoning', id: 'rs_abc', summary: [], encrypted_content: 'gAAAA-opaque' },
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'q' } },
      ],
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'thread-9',
      store: true,
      client_metadata: { 'x-codex-window-id': 'w' },
      tools: [{ type: 'web_search' }],
      stream: true,
    };
    const req = await decodeResponsesRequest(body, info as never, svc as never);
    const built = buildResponsesRequest(req, 'gpt-5.2', endpoint(), true);
    assert.equal(built.url, 'https://api.openai.com/v1/responses');
    assert.equal(built.headers.authorization, undefined, 'credentials come from the OutboundAuth');
    const upstream = responsesProviderType.create(endpoint());
    assert.equal(upstream.kind, 'http');
    if (upstream.kind === 'http') await upstream.auth.apply(built, new AbortController().signal);
    assert.equal(built.headers.authorization, 'Bearer sk-test');
    assert.equal(built.headers['openai-organization'], 'org-1');
    assert.deepEqual(JSON.parse(String(built.body)), { ...body, model: 'gpt-5.2', stream: true });
  });

  test('same dialect after previous_response_id: the expanded items instead of the id', async () => {
    const stored = {
      response: { id: 'resp_s', output: [{ id: 'rs_kept', type: 'reasoning', summary: [], encrypted_content: 'ENC' }] },
      input: [{ role: 'user', content: 'first' }],
    };
    const documents = { get: async () => stored, put: async () => undefined, delete: async () => true };
    const req = await decodeResponsesRequest(
      { model: 'm', input: 'second', previous_response_id: 'resp_s', store: false },
      info as never,
      { ...svc, settings: { store: true }, documents } as never,
    );
    const sent = JSON.parse(String(buildResponsesRequest(req, 'gpt', endpoint(), false).body));
    assert.equal(sent.previous_response_id, undefined);
    assert.deepEqual(sent.input, [{ role: 'user', content: 'first' }, stored.response.output[0], { role: 'user', content: 'second' }]);
    assert.equal(sent.store, false);
  });

  test('another dialect: stateless items, flat non-strict tools, developer text, OpenAI reasoning replayed by id', () => {
    const req = canonical({
      maxTokens: 300,
      temperature: 0.2,
      reasoning: { effort: 'high', include: true },
      tools: [{ name: 'get', description: 'Get it', parameters: { type: 'object', properties: { a: { type: 'string' } } } }],
      toolChoice: { type: 'tool', name: 'get' },
      responseFormat: { type: 'json_schema', name: 'o', schema: { type: 'object' }, strict: true },
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' } },
            { type: 'document', mediaType: 'application/pdf', data: 'JVBE', filename: 'r.pdf' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'plan', signature: responsesSignature('rs_1', 'gAAA') },
            { type: 'reasoning', text: 'claude thinking', signature: 'anthropic-sig' },
            { type: 'text', text: 'Calling.' },
            { type: 'tool-call', id: 'toolu_1', name: 'get', arguments: '' },
          ],
        },
        { role: 'user', content: [{ type: 'tool-result', toolCallId: 'toolu_1', content: [{ type: 'text', text: 'got' }] }] },
      ],
    });
    const sent = JSON.parse(String(buildResponsesRequest(req, 'gpt-5.2', endpoint({ reasoningEffort: true }), true).body));
    assert.deepEqual(sent, {
      model: 'gpt-5.2',
      stream: true,
      store: false,
      max_output_tokens: 300,
      temperature: 0.2,
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }] },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'look' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBO', detail: 'auto' },
            { type: 'input_file', file_data: 'data:application/pdf;base64,JVBE', filename: 'r.pdf' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'plan' }], encrypted_content: 'gAAA' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Calling.' }] },
        { type: 'function_call', call_id: 'toolu_1', name: 'get', arguments: '{}' },
        { type: 'function_call_output', call_id: 'toolu_1', output: 'got' },
      ],
      tools: [{ type: 'function', name: 'get', description: 'Get it', parameters: { type: 'object', properties: { a: { type: 'string' } } }, strict: false }],
      tool_choice: { type: 'function', name: 'get' },
      text: { format: { type: 'json_schema', name: 'o', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'high', summary: 'auto' },
      include: ['reasoning.encrypted_content'],
    });
    const plain = JSON.parse(String(buildResponsesRequest(req, 'gpt-4o', endpoint(), true).body));
    assert.equal(plain.reasoning, undefined, 'reasoning only where the provider opts in');
  });

  test('what the Responses API cannot take is a 400, never dropped', () => {
    assert.throws(() => buildResponsesRequest(canonical({ stop: ['END'] }), 'g', endpoint(), true), (e: unknown) => e instanceof GatewayError && /stop sequences/.test(e.message));
    const prefill = canonical({ messages: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }, { role: 'assistant', content: [{ type: 'text', text: '{"' }] }] });
    assert.throws(() => buildResponsesRequest(prefill, 'g', endpoint(), true), /prefill/);
  });

  test('pasted URLs', () => {
    assert.equal(responsesUrl('https://api.openai.com/v1'), 'https://api.openai.com/v1/responses');
    assert.equal(responsesUrl('https://api.openai.com/v1/responses/'), 'https://api.openai.com/v1/responses');
  });
});

describe('non-streaming response', () => {
  const body = {
    id: 'resp_up',
    object: 'response',
    status: 'completed',
    model: 'gpt-5.2',
    output: [
      { id: 'rs_up', type: 'reasoning', summary: [{ type: 'summary_text', text: 'think' }], encrypted_content: 'ENC' },
      { id: 'msg_up', type: 'message', status: 'completed', role: 'assistant', phase: 'commentary', content: [{ type: 'output_text', text: 'Hi ', annotations: [] }, { type: 'output_text', text: 'there', annotations: [] }] },
      { id: 'fc_up', type: 'function_call', status: 'completed', call_id: 'call_up', name: 'get', arguments: '{"a":1}' },
      { id: 'ws_1', type: 'web_search_call', status: 'completed' },
    ],
    usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 15 },
  };

  test('decodes like the stream', () => {
    const resp = decodeResponsesResponse(body, { provider: 'oai', endpoint: endpoint(), request: canonical({}) });
    assert.equal(resp.id, 'resp_up');
    assert.equal(resp.finishReason, 'tool-calls');
    assert.deepEqual(resp.usage, { inputTokens: 10, outputTokens: 5, cacheReadTokens: 4, reasoningTokens: 2 });
    assert.deepEqual(readResponsesSignature((resp.blocks[0] as { signature: string }).signature), { id: 'rs_up', encryptedContent: 'ENC' });
    assert.deepEqual(resp.blocks.slice(1), [
      { kind: 'text', text: 'Hi there' },
      { kind: 'tool-call', id: 'call_up', name: 'get', arguments: '{"a":1}', signature: undefined },
    ]);
  });

  test('Responses → Responses: item ids, phase and encrypted_content reach the client byte for byte', async () => {
    const chat = await decodeResponsesRequest({ model: 'client', input: 'q', tools: [{ type: 'function', name: 'get' }] }, info as never, svc as never);
    const resp = decodeResponsesResponse(body, { provider: 'oai', endpoint: endpoint(), request: chat });
    const out = JSON.parse(encodeResponsesResponse(resp, { requestId: 'r', model: 'client', created: 1, includeUsage: true, includeReasoning: true, chat } as never));
    assert.notEqual(out.id, 'resp_up', 'sluice mints its own response ids');
    assert.deepEqual(out.output, [
      { id: 'rs_up', type: 'reasoning', summary: [{ type: 'summary_text', text: 'think' }], encrypted_content: 'ENC' },
      { id: 'msg_up', type: 'message', status: 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hi there' }], role: 'assistant', phase: 'commentary' },
      { id: 'fc_up', type: 'function_call', status: 'completed', arguments: '{"a":1}', call_id: 'call_up', name: 'get' },
    ]);
    assert.deepEqual(out.usage, { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 15 });
  });

  test('failed and error bodies throw the upstream error', () => {
    const ctx = { provider: 'oai', endpoint: endpoint(), request: canonical({}) };
    assert.throws(() => decodeResponsesResponse({ ...body, status: 'failed', error: { code: 'context_length_exceeded', message: 'too long' } }, ctx), (e: unknown) => {
      assert.ok(e instanceof GatewayError);
      assert.equal(e.code, 'upstream_client_error');
      assert.equal(e.upstreamType, 'context_length_exceeded');
      return true;
    });
  });
});
