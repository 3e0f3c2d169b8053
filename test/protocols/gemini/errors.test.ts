import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { GatewayError } from '../../../src/core/errors.ts';
import { geminiUpstream } from '../../../src/protocols/gemini/index.ts';
import { decodeContext } from './helpers.ts';

const decode = (status: number, body: string, headers: Record<string, string> = {}): GatewayError =>
  geminiUpstream.decodeError(status, body, headers, decodeContext());

const googleError = (code: number, status: string, message: string, details?: unknown[]): string =>
  JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });

describe('gemini decodeError', () => {
  const cases: Array<[number, string, string, number, boolean]> = [
    // http, google status, expected code, expected client status, retryable
    [400, 'INVALID_ARGUMENT', 'upstream_client_error', 400, false],
    [400, 'FAILED_PRECONDITION', 'upstream_client_error', 400, false],
    [401, 'UNAUTHENTICATED', 'upstream_auth', 401, false],
    [403, 'PERMISSION_DENIED', 'upstream_auth', 403, false],
    [404, 'NOT_FOUND', 'upstream_client_error', 404, false],
    [429, 'RESOURCE_EXHAUSTED', 'upstream_rate_limited', 429, true],
    [500, 'INTERNAL', 'upstream_error', 502, true],
    [503, 'UNAVAILABLE', 'upstream_overloaded', 503, true],
    [504, 'DEADLINE_EXCEEDED', 'upstream_timeout', 504, true],
  ];
  for (const [http, name, code, status, retryable] of cases) {
    test(`${http} ${name} -> ${code} ${status}`, () => {
      const err = decode(http, googleError(http, name, `message for ${name}`));
      assert.equal(err.code, code);
      assert.equal(err.status, status);
      assert.equal(err.retryable, retryable);
      assert.equal(err.message, `message for ${name}`);
      assert.equal(err.upstreamType, name);
      assert.equal(err.upstreamStatus, http);
    });
  }

  test('API_KEY_INVALID arrives as 400 INVALID_ARGUMENT and keeps Google\'s message', () => {
    const err = decode(
      400,
      googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
      ]),
    );
    assert.equal(err.code, 'upstream_client_error');
    assert.equal(err.message, 'API key not valid. Please pass a valid API key.');
  });

  test('RetryInfo.retryDelay becomes retryAfterMs; a retry-after header wins', () => {
    const body = googleError(429, 'RESOURCE_EXHAUSTED', 'quota', [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
    ]);
    assert.equal(decode(429, body).retryAfterMs, 7000);
    assert.equal(decode(429, body, { 'retry-after': '2' }).retryAfterMs, 2000);
    const fractional = googleError(429, 'RESOURCE_EXHAUSTED', 'quota', [{ retryDelay: '0.25s' }]);
    assert.equal(decode(429, fractional).retryAfterMs, 250);
    assert.equal(decode(429, googleError(429, 'RESOURCE_EXHAUSTED', 'quota')).retryAfterMs, undefined);
  });

  test('a JSON error body labelled as an SSE event is still read (openclaw#78180)', () => {
    const err = decode(400, `data: ${googleError(400, 'INVALID_ARGUMENT', 'bad thought signature')}\n\n`);
    assert.equal(err.code, 'upstream_client_error');
    assert.equal(err.message, 'bad thought signature');
  });

  test('the array form of an error body', () => {
    const err = decode(503, `[${googleError(503, 'UNAVAILABLE', 'The model is overloaded.')}]`);
    assert.equal(err.code, 'upstream_overloaded');
    assert.equal(err.message, 'The model is overloaded.');
  });

  test('non-JSON bodies become a truncated text message (Q-15)', () => {
    const html = `<html><body>${'x'.repeat(2000)}</body></html>`;
    const err = decode(502, html);
    assert.equal(err.code, 'upstream_error');
    assert.equal(err.status, 502);
    assert.ok(err.message.startsWith('upstream returned HTTP 502: <html><body>xxx'));
    assert.ok(err.message.length < 600);
    assert.equal(decode(500, '').message, 'upstream returned HTTP 500');
  });

  test('unknown status names fall back on the HTTP status', () => {
    assert.equal(decode(429, googleError(429, 'SOMETHING_NEW', 'x')).code, 'upstream_rate_limited');
    const noStatus = decode(404, JSON.stringify({ error: { code: 404, message: 'models/foo is not found' } }));
    assert.equal(noStatus.code, 'upstream_client_error');
    assert.equal(noStatus.status, 404);
  });

  test('a status name that disagrees with the HTTP status keeps a consistent client status', () => {
    const err = decode(400, googleError(400, 'RESOURCE_EXHAUSTED', 'quota'));
    assert.equal(err.code, 'upstream_rate_limited');
    assert.equal(err.status, 429);
  });

  test('a JSON body without a message', () => {
    assert.equal(decode(500, JSON.stringify({ error: { code: 500, status: 'INTERNAL' } })).message, 'upstream returned HTTP 500 INTERNAL');
  });
});
