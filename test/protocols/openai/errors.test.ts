// Errors both ways: sluice's GatewayErrors rendered for OpenAI clients (before the commit point), and
// OpenAI-compatible upstream error bodies mapped to GatewayErrors (translation.md §8).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError, type ErrorCode } from '../../../src/core/errors.ts';
import { openaiFront, openaiUpstream } from '../../../src/protocols/openai/index.ts';
import { decodeContext } from './helpers.ts';

describe('OpenAI front: encodeError', () => {
  const render = (err: GatewayError) => {
    const r = openaiFront.encodeError(err);
    return { ...r, json: JSON.parse(r.body) };
  };

  test('body shape, param, content type', () => {
    const r = render(new GatewayError('invalid_request', "Invalid 'temperature': expected a value <= 2, but got 3 instead.", { param: 'temperature' }));
    assert.equal(r.status, 400);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(r.json, {
      error: { message: "Invalid 'temperature': expected a value <= 2, but got 3 instead.", type: 'invalid_request_error', param: 'temperature', code: 'invalid_request' },
    });
  });

  test('status -> type/code per translation.md §8', () => {
    const cases: Array<[ErrorCode, number, string, string, number?]> = [
      ['unauthorized', 401, 'authentication_error', 'invalid_api_key'],
      ['forbidden', 403, 'permission_error', 'forbidden'],
      ['model_not_found', 404, 'not_found_error', 'model_not_found'],
      ['body_too_large', 413, 'invalid_request_error', 'request_too_large'],
      ['rate_limited', 429, 'rate_limit_error', 'rate_limit_exceeded'],
      ['upstream_rate_limited', 429, 'rate_limit_error', 'rate_limit_exceeded'],
      ['upstream_error', 502, 'server_error', 'upstream_error'],
      ['upstream_unreachable', 502, 'server_error', 'upstream_unreachable'],
      ['upstream_overloaded', 503, 'server_error', 'overloaded'],
      ['upstream_timeout', 504, 'timeout', 'upstream_timeout'],
      ['first_byte_timeout', 504, 'timeout', 'first_byte_timeout'],
      ['internal', 500, 'server_error', 'internal'],
      ['upstream_client_error', 409, 'invalid_request_error', 'upstream_client_error', 409],
      ['upstream_client_error', 422, 'invalid_request_error', 'upstream_client_error', 422],
      ['upstream_client_error', 402, 'insufficient_quota', 'upstream_client_error', 402],
      ['upstream_client_error', 404, 'not_found_error', 'upstream_client_error', 404],
    ];
    for (const [code, status, type, wireCode, explicit] of cases) {
      const r = render(new GatewayError(code, 'm', explicit === undefined ? {} : { status: explicit }));
      assert.equal(r.status, status, code);
      assert.equal(r.json.error.type, type, code);
      assert.equal(r.json.error.code, wireCode, code);
      assert.equal(r.json.error.param, null);
    }
  });

  test('retry-after in whole seconds, rounded up', () => {
    assert.equal(render(new GatewayError('upstream_rate_limited', 'slow', { retryAfterMs: 1500 })).headers['retry-after'], '2');
    assert.equal(render(new GatewayError('upstream_rate_limited', 'slow')).headers['retry-after'], undefined);
  });
});

describe('OpenAI upstream: decodeError', () => {
  const ctx = decodeContext();
  const decode = (status: number, body: string, headers: Record<string, string> = {}) => openaiUpstream.decodeError(status, body, headers, ctx);

  test('OpenAI shape per status', () => {
    const cases: Array<[number, ErrorCode, number]> = [
      [400, 'upstream_client_error', 400],
      [401, 'upstream_auth', 401],
      [403, 'upstream_auth', 403],
      [404, 'upstream_client_error', 404],
      [408, 'upstream_timeout', 504],
      [409, 'upstream_client_error', 409],
      [422, 'upstream_client_error', 422],
      [429, 'upstream_rate_limited', 429],
      [500, 'upstream_error', 502],
      [502, 'upstream_error', 502],
      [503, 'upstream_overloaded', 503],
      [504, 'upstream_timeout', 504],
      [529, 'upstream_overloaded', 503],
    ];
    for (const [status, code, clientStatus] of cases) {
      const err = decode(status, JSON.stringify({ error: { message: `failed ${status}`, type: 'invalid_request_error', param: 'messages', code: 'x' } }));
      assert.equal(err.code, code, String(status));
      assert.equal(err.status, clientStatus, String(status));
      assert.equal(err.message, `failed ${status}`, 'the upstream message, no prefix');
      assert.equal(err.upstreamStatus, status);
      assert.equal(err.upstreamType, 'invalid_request_error');
      assert.equal(err.param, 'messages');
      assert.equal(err.target, 'local');
    }
  });

  test('retry-after headers (seconds and ms), x-should-retry, insufficient_quota', () => {
    assert.equal(decode(429, '{"error":{"message":"slow"}}', { 'retry-after': '3' }).retryAfterMs, 3000);
    assert.equal(decode(429, '{"error":{"message":"slow"}}', { 'retry-after-ms': '250' }).retryAfterMs, 250);
    assert.equal(decode(429, '{"error":{"message":"slow"}}').retryable, true);
    assert.equal(decode(429, '{"error":{"message":"pay","type":"insufficient_quota","code":"insufficient_quota"}}').retryable, false);
    assert.equal(decode(500, '{"error":{"message":"x"}}', { 'x-should-retry': 'false' }).retryable, false);
  });

  test('other servers: OpenRouter numeric code, Ollama string error, vLLM top-level message, FastAPI detail', () => {
    assert.equal(decode(402, '{"error":{"code":402,"message":"Insufficient credits","metadata":{}}}').message, 'Insufficient credits');
    assert.equal(decode(404, '{"error":"model \\"llama9\\" not found, try pulling it first"}').message, 'model "llama9" not found, try pulling it first');
    const vllm = decode(400, '{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}');
    assert.equal(vllm.message, 'max_tokens is too large');
    assert.equal(vllm.upstreamType, 'BadRequestError');
    assert.equal(decode(422, '{"detail":"Field required"}').message, 'Field required');
    assert.equal(decode(422, '{"detail":[{"loc":["body","model"],"msg":"Field required"}]}').message, '[{"loc":["body","model"],"msg":"Field required"}]');
  });

  test('HTML error pages become a short text message (Q-15)', () => {
    const html = `<!DOCTYPE html><html><head><title>example.com | 524: A timeout occurred</title><style>body{color:red}</style><script>var x = 1;</script></head><body><h1>A timeout occurred</h1>${'<p>detail</p>'.repeat(100)}</body></html>`;
    const err = decode(524, html);
    assert.equal(err.code, 'upstream_error');
    assert.equal(err.status, 502);
    assert.ok(err.message.startsWith('example.com | 524: A timeout occurred A timeout occurred'), err.message);
    assert.ok(!err.message.includes('<'));
    assert.ok(!err.message.includes('color:red'));
    assert.ok(err.message.length <= 200);
  });

  test('plain text and empty bodies', () => {
    assert.equal(decode(502, 'Bad Gateway\n').message, 'Bad Gateway');
    assert.equal(decode(503, '').message, 'HTTP 503');
    assert.equal(decode(500, '{not json').message, '{not json');
  });
});
