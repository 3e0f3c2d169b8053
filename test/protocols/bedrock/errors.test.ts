// Bedrock error replies -> GatewayError (by type, not status: Q-36), and Converse responses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import { decodeBedrockError } from '../../../src/protocols/bedrock/errors.ts';
import { decodeBedrockResponse } from '../../../src/protocols/bedrock/decode-response.ts';
import { chatRequest, decodeContext } from './helpers.ts';

const coral = (t: string): Record<string, string> => ({ 'x-amzn-errortype': `${t}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

test('error types decide the code and status; the message keeps AWS\'s text', () => {
  const cases: Array<[number, string, string, number, boolean]> = [
    [400, 'ValidationException', 'upstream_client_error', 400, false],
    [400, 'ServiceQuotaExceededException', 'upstream_rate_limited', 429, true],
    [429, 'ThrottlingException', 'upstream_rate_limited', 429, true],
    [429, 'ModelNotReadyException', 'upstream_overloaded', 503, true],
    [403, 'AccessDeniedException', 'upstream_auth', 403, false],
    [404, 'ResourceNotFoundException', 'upstream_client_error', 404, false],
    [408, 'ModelTimeoutException', 'upstream_timeout', 504, true],
    [424, 'ModelErrorException', 'upstream_error', 502, true],
    [500, 'InternalServerException', 'upstream_error', 502, true],
    [503, 'ServiceUnavailableException', 'upstream_overloaded', 503, true],
  ];
  for (const [status, type, code, clientStatus, retryable] of cases) {
    const e = decodeBedrockError(status, '{"message":"Too many requests, please wait before trying again."}', coral(type));
    assert.equal(e.code, code, type);
    assert.equal(e.status, clientStatus, type);
    assert.equal(e.retryable, retryable, type);
    assert.equal(e.upstreamType, type);
    assert.equal(e.message, `Bedrock ${type}: Too many requests, please wait before trying again.`);
  }
});

test('the type may come from the body (__type, code) and the message as Message', () => {
  const e = decodeBedrockError(400, '{"__type":"com.amazonaws.bedrock#ValidationException","Message":"bad"}', {});
  assert.equal(e.upstreamType, 'ValidationException');
  assert.equal(e.message, 'Bedrock ValidationException: bad');
  const sig = decodeBedrockError(403, '{"message":"The request signature we calculated does not match the signature you provided."}', coral('InvalidSignatureException'));
  assert.match(sig.message, /check the secret access key and the region/);
  const plain = decodeBedrockError(502, '<html>bad gateway</html>', {});
  assert.equal(plain.code, 'upstream_error');
  assert.match(plain.message, /HTTP 502/);
});

test('a retry-after header is kept', () => {
  assert.equal(decodeBedrockError(429, '{"message":"slow down"}', { ...coral('ThrottlingException'), 'retry-after': '2' }).retryAfterMs, 2000);
});

test('Converse response: text, reasoning, tools, usage; a 200 UnknownOperationException body is an error (Q-33)', () => {
  const resp = decodeBedrockResponse(
    {
      output: {
        message: {
          role: 'assistant',
          content: [
            { reasoningContent: { reasoningText: { text: 'hmm', signature: 'sig' } } },
            { text: 'Calling.' },
            { toolUse: { toolUseId: 'tooluse_1', name: 'get_forecast', input: { city: 'Oslo' } } },
          ],
        },
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 3, outputTokens: 7, totalTokens: 12, cacheReadInputTokens: 2 },
      metrics: { latencyMs: 100 },
    },
    decodeContext(chatRequest()),
    'anthropic',
  );
  assert.deepEqual(resp, {
    blocks: [
      { kind: 'reasoning', text: 'hmm', signature: 'sig' },
      { kind: 'text', text: 'Calling.' },
      { kind: 'tool-call', id: 'tooluse_1', name: 'get_forecast', arguments: '{"city":"Oslo"}' },
    ],
    finishReason: 'tool-calls',
    usage: { inputTokens: 5, outputTokens: 7, cacheReadTokens: 2 },
  });
  assert.throws(
    () => decodeBedrockResponse({ Output: { __type: 'com.amazon.coral.service#UnknownOperationException' }, Version: '1.0' }, decodeContext()),
    (e: GatewayError) => e.upstreamType === 'UnknownOperationException' && e.status === 404,
  );
  assert.throws(() => decodeBedrockResponse({ stopReason: 'end_turn' }, decodeContext()), (e: GatewayError) => e.code === 'upstream_malformed');
});
