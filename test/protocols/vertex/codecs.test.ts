import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { DecodeContext, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { modelUrl, publisherOf, vertexHost, type VertexLocation } from '../../../src/protocols/vertex/location.ts';
import { vertexGeminiCodec } from '../../../src/protocols/vertex/gemini-publisher.ts';
import { vertexAnthropicCodec } from '../../../src/protocols/vertex/anthropic-publisher.ts';

const loc: VertexLocation = { baseUrl: 'https://us-east5-aiplatform.googleapis.com', project: 'my-proj', region: 'us-east5' };

function endpoint(over: Partial<UpstreamEndpoint> = {}): UpstreamEndpoint {
  return { name: 'vertex', baseUrl: loc.baseUrl, headers: {}, quirks: {}, ...over } as UpstreamEndpoint;
}

function request(over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'm',
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ],
    stream: true,
    includeUsage: false,
    front: 'openai',
    raw: {},
    maxTokens: 100,
    temperature: 0.5,
    ...over,
  } as ChatRequest;
}

test('hosts: regional, global without prefix (Q-38), multi-region rep hosts', () => {
  assert.equal(vertexHost('us-east5'), 'https://us-east5-aiplatform.googleapis.com');
  assert.equal(vertexHost('europe-west1'), 'https://europe-west1-aiplatform.googleapis.com');
  assert.equal(vertexHost('global'), 'https://aiplatform.googleapis.com');
  assert.equal(vertexHost('us'), 'https://aiplatform.us.rep.googleapis.com');
  assert.equal(vertexHost('eu'), 'https://aiplatform.eu.rep.googleapis.com');
});

test('model paths keep the location equal to the region and the @ of Claude versions', () => {
  assert.equal(
    modelUrl(loc, 'anthropic', 'claude-3-5-haiku@20241022', 'rawPredict'),
    'https://us-east5-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-east5/publishers/anthropic/models/claude-3-5-haiku@20241022:rawPredict',
  );
  assert.equal(publisherOf('claude-sonnet-4-5@20250929'), 'anthropic');
  assert.equal(publisherOf('gemini-2.5-flash'), 'google');
});

test('Gemini publisher: the Gemini body at the Vertex path, alt=sse when streaming, no API key header', () => {
  const codec = vertexGeminiCodec(loc);
  const r = codec.buildRequest(request(), 'gemini-2.5-flash', endpoint({ headers: { 'x-extra': '1' } }), true);
  assert.equal(r.url, 'https://us-east5-aiplatform.googleapis.com/v1beta1/projects/my-proj/locations/us-east5/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  assert.equal(r.headers['x-extra'], '1');
  assert.equal(r.headers['x-goog-api-key'], undefined);
  const body = JSON.parse(String(r.body));
  assert.deepEqual(body.contents, [{ role: 'user', parts: [{ text: 'Hi' }] }]);
  assert.deepEqual(body.systemInstruction, { parts: [{ text: 'Be brief.' }] });
  assert.equal(codec.buildRequest(request(), 'gemini-2.5-flash', endpoint(), false).url.endsWith(':generateContent'), true);
  assert.equal(codec.name, 'gemini');
});

test('Gemini publisher, express mode: an API key selects the path without project and location', () => {
  const codec = vertexGeminiCodec({ ...loc, baseUrl: 'https://aiplatform.googleapis.com' });
  const r = codec.buildRequest(request(), 'gemini-2.5-flash', endpoint({ apiKey: 'k' }), false);
  assert.equal(r.url, 'https://aiplatform.googleapis.com/v1beta1/publishers/google/models/gemini-2.5-flash:generateContent');
  assert.equal(r.headers['x-goog-api-key'], undefined, 'the auth adds the key, not the codec');
});

test('Gemini publisher countTokens: contents, systemInstruction and tools only', () => {
  const codec = vertexGeminiCodec(loc);
  const r = codec.countTokens!.buildRequest(request(), 'gemini-2.5-flash', endpoint());
  assert.match(r.url, /\/publishers\/google\/models\/gemini-2\.5-flash:countTokens$/);
  const body = JSON.parse(String(r.body));
  assert.deepEqual(Object.keys(body).sort(), ['contents', 'generationConfig', 'systemInstruction']);
  assert.equal(codec.countTokens!.decodeResponse({ totalTokens: 12, promptTokensDetails: [] }), 12);
  assert.throws(() => codec.countTokens!.decodeResponse({}));
});

test('Anthropic publisher: anthropic_version vertex-2023-10-16 in the body, no model, stream kept (Q-42)', () => {
  const codec = vertexAnthropicCodec(loc);
  const r = codec.buildRequest(request(), 'claude-sonnet-4-5@20250929', endpoint({ apiKey: 'must-not-leak' }), true);
  assert.equal(r.url, 'https://us-east5-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict');
  const body = JSON.parse(String(r.body));
  assert.equal(body.anthropic_version, 'vertex-2023-10-16');
  assert.equal('model' in body, false);
  assert.equal(body.stream, true);
  assert.equal(body.max_tokens, 100);
  assert.equal(r.headers['x-api-key'], undefined);
  assert.equal(r.headers.authorization, undefined);
  assert.doesNotMatch(JSON.stringify(r), /must-not-leak/);
  const nonStream = codec.buildRequest(request({ stream: false }), 'claude-sonnet-4-5@20250929', endpoint(), false);
  assert.match(nonStream.url, /:rawPredict$/);
  assert.equal(JSON.parse(String(nonStream.body)).stream, false);
  assert.equal(codec.name, 'anthropic');
});

test('Anthropic publisher keeps anthropic-beta as a header for Anthropic-front requests', () => {
  const codec = vertexAnthropicCodec(loc);
  const raw = { model: 'x', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }], stream: true };
  const r = codec.buildRequest(request({ front: 'anthropic', raw, anthropicBeta: 'context-1m-2025-08-07' } as Partial<ChatRequest>), 'claude-sonnet-4-5@20250929', endpoint(), true);
  assert.equal(r.headers['anthropic-beta'], 'context-1m-2025-08-07');
  const body = JSON.parse(String(r.body));
  assert.equal('model' in body, false);
  assert.equal(body.anthropic_version, 'vertex-2023-10-16');
});

test('Anthropic publisher count-tokens: the pseudo-model path, model kept, generation settings dropped', () => {
  const codec = vertexAnthropicCodec(loc);
  const r = codec.countTokens!.buildRequest(request(), 'claude-sonnet-4-5@20250929', endpoint());
  assert.match(r.url, /\/v1\/projects\/my-proj\/locations\/us-east5\/publishers\/anthropic\/models\/count-tokens:rawPredict$/);
  const body = JSON.parse(String(r.body));
  assert.equal(body.model, 'claude-sonnet-4-5@20250929');
  assert.equal(body.anthropic_version, 'vertex-2023-10-16');
  assert.equal(body.max_tokens, undefined);
  assert.equal(body.temperature, undefined);
  assert.equal(body.stream, undefined);
  assert.equal(body.system, 'Be brief.');
  assert.equal(codec.countTokens!.decodeResponse({ input_tokens: 7 }), 7);
});

const ctx = { provider: 'vertex', endpoint: endpoint(), request: request() } as DecodeContext;

test('errors: RESOURCE_EXHAUSTED, also array-wrapped (Q-39), is a retryable 429', () => {
  for (const codec of [vertexGeminiCodec(loc), vertexAnthropicCodec(loc)]) {
    const body = JSON.stringify([{ error: { code: 429, message: 'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model', status: 'RESOURCE_EXHAUSTED' } }]);
    const err = codec.decodeError(429, body, {}, ctx);
    assert.equal(err.code, 'upstream_rate_limited');
    assert.equal(err.status, 429);
    assert.equal(err.retryable, true);
    assert.match(err.message, /Quota exceeded/);
  }
});

test('errors: an expired token is UNAUTHENTICATED upstream_auth; an HTML 404 becomes a short message', () => {
  const codec = vertexGeminiCodec(loc);
  const err = codec.decodeError(401, '{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}', {}, ctx);
  assert.equal(err.code, 'upstream_auth');
  const html = codec.decodeError(404, '<!DOCTYPE html><html><body>Error 404 (Not Found)!!1</body></html>', {}, ctx);
  assert.equal(html.status, 404);
});

test('errors: a Claude model\'s own Anthropic-shaped error goes to the Anthropic reader', () => {
  const codec = vertexAnthropicCodec(loc);
  const err = codec.decodeError(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', {}, ctx);
  assert.equal(err.upstreamType, 'overloaded_error');
  assert.equal(err.retryable, true);
});
