import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import { anthropicFront, anthropicUpstream } from '../../../src/protocols/anthropic/index.ts';
import { decodeContext } from './helpers.ts';

describe('anthropic front encodeError', () => {
  const render = (err: GatewayError) => {
    const r = anthropicFront.encodeError(err);
    return { status: r.status, body: JSON.parse(r.body), headers: r.headers };
  };

  test('shape, content type and status/type table (translation.md §8)', () => {
    const cases: Array<[GatewayError, number, string]> = [
      [new GatewayError('invalid_request', 'max_tokens: Field required'), 400, 'invalid_request_error'],
      [new GatewayError('unauthorized', 'bad key'), 401, 'authentication_error'],
      [new GatewayError('upstream_client_error', 'billing', { status: 402 }), 402, 'billing_error'],
      [new GatewayError('forbidden', 'no'), 403, 'permission_error'],
      [new GatewayError('model_not_found', 'no model'), 404, 'not_found_error'],
      [new GatewayError('body_too_large', 'big'), 413, 'request_too_large'],
      [new GatewayError('rate_limited', 'slow'), 429, 'rate_limit_error'],
      [new GatewayError('upstream_error', 'boom'), 502, 'api_error'],
      [new GatewayError('internal', 'bug'), 500, 'api_error'],
      [new GatewayError('upstream_timeout', 'slow'), 504, 'timeout_error'],
      [new GatewayError('upstream_overloaded', 'Overloaded'), 529, 'overloaded_error'],
      [new GatewayError('no_targets', 'nothing healthy'), 503, 'api_error'],
      [new GatewayError('upstream_client_error', 'conflict', { status: 409 }), 400, 'invalid_request_error'],
      [new GatewayError('upstream_client_error', 'unprocessable', { status: 422 }), 400, 'invalid_request_error'],
    ];
    for (const [err, status, type] of cases) {
      const r = render(err);
      assert.equal(r.status, status, err.message);
      assert.deepEqual(r.body, { type: 'error', error: { type, message: err.message } });
      assert.equal(r.headers['content-type'], 'application/json');
    }
  });

  test("the request's id goes in the body as request_id, after error (anthropic-messages.md §7)", () => {
    const r = anthropicFront.encodeError(new GatewayError('rate_limited', 'slow'), { requestId: 'req_abc"1' });
    assert.equal(r.body, '{"type":"error","error":{"type":"rate_limit_error","message":"slow"},"request_id":"req_abc\\"1"}');
    assert.deepEqual(JSON.parse(r.body), { type: 'error', error: { type: 'rate_limit_error', message: 'slow' }, request_id: 'req_abc"1' });
  });

  test('retry-after in whole seconds, rounded up', () => {
    assert.equal(render(new GatewayError('upstream_rate_limited', 'slow', { retryAfterMs: 1500 })).headers['retry-after'], '2');
    assert.equal(render(new GatewayError('upstream_rate_limited', 'slow')).headers['retry-after'], undefined);
  });
});

describe('anthropic upstream decodeError', () => {
  const decode = (status: number, body: string, headers: Record<string, string> = {}) =>
    anthropicUpstream.decodeError(status, body, headers, decodeContext());
  const anthropicBody = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_011' });

  test('Anthropic error JSON for each status', () => {
    const cases: Array<[number, string, string, number, boolean]> = [
      [400, 'invalid_request_error', 'upstream_client_error', 400, false],
      [401, 'authentication_error', 'upstream_auth', 401, false],
      [403, 'permission_error', 'upstream_auth', 403, false],
      [404, 'not_found_error', 'upstream_client_error', 404, false],
      [413, 'request_too_large', 'upstream_client_error', 413, false],
      [429, 'rate_limit_error', 'upstream_rate_limited', 429, true],
      [500, 'api_error', 'upstream_error', 502, true],
      [504, 'timeout_error', 'upstream_timeout', 504, true],
      [529, 'overloaded_error', 'upstream_overloaded', 503, true],
    ];
    for (const [status, type, code, clientStatus, retryable] of cases) {
      const err = decode(status, anthropicBody(type, `msg ${status}`));
      assert.equal(err.code, code, `${status}`);
      assert.equal(err.status, clientStatus, `${status}`);
      assert.equal(err.retryable, retryable, `${status}`);
      assert.equal(err.message, `msg ${status}`);
      assert.equal(err.upstreamType, type);
      assert.equal(err.upstreamStatus, status);
    }
  });

  test('overloaded_error type wins over a 500 status; 409 is retried', () => {
    const err = decode(500, anthropicBody('overloaded_error', 'Overloaded'));
    assert.equal(err.code, 'upstream_overloaded');
    assert.equal(err.status, 503);
    assert.equal(decode(409, anthropicBody('invalid_request_error', 'conflict')).retryable, true);
  });

  test('retry-after and retry-after-ms headers', () => {
    assert.equal(decode(429, anthropicBody('rate_limit_error', 'x'), { 'retry-after': '7' }).retryAfterMs, 7000);
    assert.equal(decode(529, anthropicBody('overloaded_error', 'x'), { 'retry-after-ms': '250' }).retryAfterMs, 250);
  });

  test('Azure APIM / Foundry JSON bodies', () => {
    const apim = decode(401, JSON.stringify({ statusCode: 401, message: 'Unauthorized. Access token is missing, invalid, audience is incorrect.' }));
    assert.equal(apim.code, 'upstream_auth');
    assert.match(apim.message, /^Unauthorized\. Access token/);
    const dep = decode(404, JSON.stringify({ error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } }));
    assert.equal(dep.status, 404);
    assert.equal(dep.message, 'The API deployment for this resource does not exist.');
    assert.equal(decode(400, JSON.stringify({ error: 'bad thing' })).message, 'bad thing');
  });

  test('HTML error pages: tags stripped, first 200 characters', () => {
    const html = `<html><head><title>502 Bad Gateway</title><style>body{color:red}</style></head><body><h1>502 Bad Gateway</h1><p>${'x'.repeat(500)}</p></body></html>`;
    const err = decode(502, html);
    assert.equal(err.code, 'upstream_error');
    assert.equal(err.status, 502);
    assert.ok(!err.message.includes('<'));
    assert.ok(!err.message.includes('color:red'));
    assert.match(err.message, /^502 Bad Gateway 502 Bad Gateway x+…$/);
    assert.ok(err.message.length <= 201);
  });

  test('empty body -> a message naming the status', () => {
    assert.equal(decode(503, '').message, 'upstream answered HTTP 503');
    assert.equal(decode(503, '').code, 'upstream_overloaded');
  });
});
