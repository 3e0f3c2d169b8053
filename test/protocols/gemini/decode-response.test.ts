import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/core/errors.ts';
import { geminiUpstream } from '../../../src/protocols/gemini/index.ts';
import { decodeContext } from './helpers.ts';

const decode = (body: unknown) => geminiUpstream.decodeResponse(body, decodeContext());

function rejects(body: unknown, code: string, message?: RegExp): void {
  assert.throws(
    () => decode(body),
    (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, code);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('gemini decodeResponse', () => {
  test('text reply with usage (gemini.md §3 example)', () => {
    const resp = decode({
      candidates: [
        { content: { role: 'model', parts: [{ text: '4 °C and clear.' }] }, finishReason: 'STOP', index: 0, safetyRatings: [] },
      ],
      usageMetadata: { promptTokenCount: 40, candidatesTokenCount: 7, thoughtsTokenCount: 118, totalTokenCount: 165, cachedContentTokenCount: 0 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'mKzQaExample',
    });
    assert.deepEqual(resp, {
      id: 'mKzQaExample',
      model: 'gemini-2.5-flash',
      blocks: [{ kind: 'text', text: '4 °C and clear.' }],
      finishReason: 'stop',
      stopSequence: undefined,
      usage: { inputTokens: 40, outputTokens: 125, cacheReadTokens: 0, reasoningTokens: 118 },
    });
  });

  test('thoughts, text and function calls with minted ids and signatures', () => {
    const resp = decode({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Plan: call both.', thought: true },
              { text: 'Looking up.' },
              { functionCall: { name: 'get_forecast', args: { city: 'Oslo' } }, thoughtSignature: 'SIG' },
              { functionCall: { name: 'get_forecast', args: { city: 'Rome' } } },
            ],
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
    });
    assert.equal(resp.finishReason, 'tool-calls');
    assert.equal(resp.blocks.length, 4);
    assert.deepEqual(resp.blocks[0], { kind: 'reasoning', text: 'Plan: call both.' });
    assert.deepEqual(resp.blocks[1], { kind: 'text', text: 'Looking up.' });
    const [a, b] = [resp.blocks[2], resp.blocks[3]];
    assert.ok(a.kind === 'tool-call' && b.kind === 'tool-call');
    if (a.kind !== 'tool-call' || b.kind !== 'tool-call') return;
    assert.match(a.id, /^call_[0-9A-Za-z]{24}$/);
    assert.match(b.id, /^call_[0-9A-Za-z]{24}$/);
    assert.notEqual(a.id, b.id);
    assert.deepEqual({ ...a, id: '' }, { kind: 'tool-call', id: '', name: 'get_forecast', arguments: '{"city":"Oslo"}', signature: 'SIG' });
    assert.deepEqual({ ...b, id: '' }, { kind: 'tool-call', id: '', name: 'get_forecast', arguments: '{"city":"Rome"}', signature: undefined });
  });

  test('MAX_TOKENS and SAFETY', () => {
    const reason = (finishReason: string) =>
      decode({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason, index: 0 }] }).finishReason;
    assert.equal(reason('MAX_TOKENS'), 'length');
    assert.equal(reason('SAFETY'), 'content-filter');
    assert.equal(reason('RECITATION'), 'content-filter');
    assert.equal(reason('MALFORMED_FUNCTION_CALL'), 'stop');
  });

  test('blocked prompt: content filter with no content', () => {
    const resp = decode({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } });
    assert.deepEqual(resp.blocks, []);
    assert.equal(resp.finishReason, 'content-filter');
    assert.deepEqual(resp.usage, { inputTokens: 9, outputTokens: 0 });
  });

  test('a reply without finishReason is still complete', () => {
    const resp = decode({ candidates: [{ content: { parts: [{ text: 'hi' }] }, index: 0 }] });
    assert.equal(resp.finishReason, 'stop');
    assert.deepEqual(resp.blocks, [{ kind: 'text', text: 'hi' }]);
  });

  test('the JSON array form (streaming without alt=sse) folds into one response', () => {
    const resp = decode([
      { candidates: [{ content: { parts: [{ text: 'Hel' }] }, index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 }, responseId: 'arr-1' },
      { candidates: [{ content: { parts: [{ text: 'lo' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2 } },
    ]);
    assert.equal(resp.id, 'arr-1');
    assert.deepEqual(resp.blocks, [{ kind: 'text', text: 'Hello' }]);
    assert.deepEqual(resp.usage, { inputTokens: 3, outputTokens: 2 });
  });

  test('an error-shaped body maps like an HTTP error', () => {
    rejects({ error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } }, 'upstream_rate_limited', /exhausted/);
    rejects([{ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }], 'upstream_overloaded');
  });

  test('malformed bodies', () => {
    rejects('nope', 'upstream_malformed');
    rejects(null, 'upstream_malformed');
    rejects({}, 'upstream_malformed', /neither candidates nor promptFeedback/);
    rejects({ candidates: [{ content: { parts: [{ functionCall: { args: {} } }] }, finishReason: 'STOP' }] }, 'upstream_malformed');
  });
});
