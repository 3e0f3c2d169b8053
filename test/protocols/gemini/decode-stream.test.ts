import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamEvent } from '../../../src/core/events.ts';
import { createNormalizer } from '../../../src/core/normalize.ts';
import { collectResponse } from '../../../src/core/response.ts';
import { geminiUpstream } from '../../../src/protocols/gemini/index.ts';
import { comparable, decodeContext, feed, fixtureBytes, prng, replay, splitAt } from './helpers.ts';

const GEMINI_25 = 'gemini-2.5-flash';

/** Expected canonical events per recorded fixture (ids minted by sluice appear as 'call_*'). */
const EXPECTED: Record<string, unknown[]> = {
  'text-usage.sse': [
    { type: 'message-start', id: 'r-text', model: GEMINI_25 },
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'Oslo is ' },
    { type: 'usage', usage: { inputTokens: 12, outputTokens: 3, cacheReadTokens: 4 } },
    { type: 'text-delta', index: 0, text: 'cold in ' },
    { type: 'usage', usage: { inputTokens: 12, outputTokens: 6, cacheReadTokens: 4 } },
    { type: 'text-delta', index: 0, text: 'January — bring a coat.' },
    { type: 'usage', usage: { inputTokens: 12, outputTokens: 14, cacheReadTokens: 4 } },
    { type: 'block-end', index: 0 },
    { type: 'finish', reason: 'stop' },
    { type: 'done' },
  ],
  'tool-call-gemini3.sse': [
    { type: 'message-start', id: 'r1', model: 'gemini-3-pro-preview' },
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'Checking.' },
    { type: 'usage', usage: { inputTokens: 40, outputTokens: 110, reasoningTokens: 108 } },
    { type: 'block-end', index: 0 },
    { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'call_*', name: 'get_forecast', signature: 'EpEg…' } },
    { type: 'tool-args-delta', index: 1, json: '{"city":"Oslo","days":3}' },
    { type: 'block-end', index: 1 },
    { type: 'usage', usage: { inputTokens: 40, outputTokens: 128, reasoningTokens: 108 } },
    // Gemini says STOP; the turn called a function (gemini.md §4).
    { type: 'finish', reason: 'tool-calls' },
    { type: 'done' },
  ],
  'parallel-calls.sse': [
    { type: 'message-start', id: 'r-par', model: 'gemini-2.5-pro' },
    { type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'call_*', name: 'get_forecast', signature: 'CpoBsig1' } },
    { type: 'tool-args-delta', index: 0, json: '{"city":"Oslo"}' },
    { type: 'block-end', index: 0 },
    { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'call_*', name: 'get_forecast' } },
    { type: 'tool-args-delta', index: 1, json: '{"city":"Bergen"}' },
    { type: 'block-end', index: 1 },
    { type: 'block-start', index: 2, block: { kind: 'tool-call', id: 'call_*', name: 'get_time' } },
    { type: 'tool-args-delta', index: 2, json: '{}' },
    { type: 'block-end', index: 2 },
    { type: 'usage', usage: { inputTokens: 55, outputTokens: 95, reasoningTokens: 64 } },
    { type: 'finish', reason: 'tool-calls' },
    { type: 'done' },
  ],
  'thoughts-then-text.sse': [
    { type: 'message-start', id: 'r-th', model: GEMINI_25 },
    { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
    { type: 'reasoning-delta', index: 0, text: '**Weighing the question**\nThe user wants' },
    { type: 'usage', usage: { inputTokens: 20, outputTokens: 40, reasoningTokens: 40 } },
    { type: 'reasoning-delta', index: 0, text: ' a short answer.' },
    { type: 'usage', usage: { inputTokens: 20, outputTokens: 71, reasoningTokens: 71 } },
    { type: 'block-end', index: 0 },
    { type: 'block-start', index: 1, block: { kind: 'text' } },
    { type: 'text-delta', index: 1, text: 'Seventeen.' },
    { type: 'usage', usage: { inputTokens: 20, outputTokens: 74, reasoningTokens: 71 } },
    // The final empty part's signature has no reasoning block open to land on: ignored.
    { type: 'block-end', index: 1 },
    { type: 'finish', reason: 'stop' },
    { type: 'done' },
  ],
  'max-tokens.sse': [
    { type: 'message-start', id: 'r-max', model: GEMINI_25 },
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'Once upon a time there' },
    { type: 'usage', usage: { inputTokens: 9, outputTokens: 5 } },
    { type: 'text-delta', index: 0, text: ' was a' },
    { type: 'usage', usage: { inputTokens: 9, outputTokens: 8 } },
    { type: 'block-end', index: 0 },
    { type: 'finish', reason: 'length' },
    { type: 'done' },
  ],
  'safety.sse': [
    { type: 'message-start', id: 'r-safe', model: GEMINI_25 },
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'Here is how' },
    { type: 'usage', usage: { inputTokens: 30, outputTokens: 3 } },
    { type: 'usage', usage: { inputTokens: 30, outputTokens: 4 } },
    { type: 'block-end', index: 0 },
    { type: 'finish', reason: 'content-filter' },
    { type: 'done' },
  ],
  'prompt-blocked.sse': [
    { type: 'message-start', id: 'r-block', model: GEMINI_25 },
    { type: 'usage', usage: { inputTokens: 17, outputTokens: 0 } },
    { type: 'finish', reason: 'content-filter' },
    { type: 'done' },
  ],
  'mid-stream-error.sse': [
    { type: 'message-start', id: 'r-err', model: GEMINI_25 },
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'Partial ans' },
    { type: 'usage', usage: { inputTokens: 10, outputTokens: 2 } },
    { type: 'block-end', index: 0 },
    {
      type: 'error',
      code: 'upstream_overloaded',
      message: 'The model is overloaded. Please try again later.',
      status: 503,
      retryable: true,
    },
  ],
  'crlf.sse': [
    { type: 'message-start', id: 'r-crlf', model: GEMINI_25 },
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'Line one\nline two' },
    { type: 'usage', usage: { inputTokens: 5, outputTokens: 4 } },
    { type: 'text-delta', index: 0, text: ' and done.' },
    { type: 'usage', usage: { inputTokens: 5, outputTokens: 8 } },
    { type: 'block-end', index: 0 },
    { type: 'finish', reason: 'stop' },
    { type: 'done' },
  ],
  'truncated.sse': [
    { type: 'message-start', id: 'r-cut', model: GEMINI_25 },
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'The first half' },
    { type: 'usage', usage: { inputTokens: 8, outputTokens: 3 } },
    { type: 'text-delta', index: 0, text: ' of an answer' },
    { type: 'usage', usage: { inputTokens: 8, outputTokens: 6 } },
    { type: 'block-end', index: 0 },
    {
      type: 'error',
      code: 'stream_truncated',
      message: 'Gemini stream ended before a finishReason',
      status: 502,
      retryable: true,
    },
  ],
};

describe('gemini stream decoder: recorded fixtures', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(`${name} in one chunk`, () => {
      assert.deepEqual(comparable(replay([fixtureBytes(name)])), expected);
    });

    test(`${name} at random chunk boundaries`, () => {
      const bytes = fixtureBytes(name);
      const random = prng(name.length * 7919);
      for (let round = 0; round < 25; round++) {
        const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * bytes.length));
        assert.deepEqual(comparable(replay(splitAt(bytes, cuts))), expected, `cuts ${cuts.join(',')}`);
      }
    });

    test(`${name} byte by byte`, () => {
      const bytes = fixtureBytes(name);
      const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
      assert.deepEqual(comparable(replay(chunks)), expected);
    });
  }

  test('the fixtures cover every expected scenario file', async () => {
    const { readdirSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const dir = fileURLToPath(new URL('../../../src/protocols/gemini/__fixtures__/', import.meta.url));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.sse')).sort(), Object.keys(EXPECTED).sort());
  });

  test('CRLF fixture really uses CRLF framing', () => {
    const text = fixtureBytes('crlf.sse').toString('utf8');
    assert.ok(text.includes('}\r\n\r\ndata: '));
    assert.ok(!/[^\r]\n/.test(text));
  });

  test('split between \\r and \\n of the CRLF framing', () => {
    const bytes = fixtureBytes('crlf.sse');
    const cuts: number[] = [];
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0d) cuts.push(i + 1);
    assert.deepEqual(comparable(replay(splitAt(bytes, cuts))), EXPECTED['crlf.sse']);
  });

  test('parallel calls get distinct minted ids', () => {
    const events = replay([fixtureBytes('parallel-calls.sse')]);
    const ids = events.flatMap((ev) => (ev.type === 'block-start' && ev.block.kind === 'tool-call' ? [ev.block.id] : []));
    assert.equal(ids.length, 3);
    assert.equal(new Set(ids).size, 3);
    for (const id of ids) assert.match(id, /^call_[0-9A-Za-z]{24}$/);
  });

  test('the Gemini 3 tool stream folds into a response that keeps the signature', () => {
    const events: StreamEvent[] = [];
    const normalize = createNormalizer((ev) => events.push(ev));
    for (const ev of replay([fixtureBytes('tool-call-gemini3.sse')])) normalize(ev);
    const resp = collectResponse(events);
    assert.equal(resp.finishReason, 'tool-calls');
    assert.equal(resp.blocks.length, 2);
    assert.deepEqual(resp.blocks[0], { kind: 'text', text: 'Checking.' });
    const call = resp.blocks[1];
    assert.equal(call.kind, 'tool-call');
    if (call.kind !== 'tool-call') return;
    assert.equal(call.name, 'get_forecast');
    assert.equal(call.arguments, '{"city":"Oslo","days":3}');
    assert.equal(call.signature, 'EpEg…');
    assert.deepEqual(resp.usage, { inputTokens: 40, outputTokens: 128, reasoningTokens: 108 });
  });

  test('every fixture passes the normalizer unchanged (already well-formed)', () => {
    for (const name of Object.keys(EXPECTED)) {
      const raw = replay([fixtureBytes(name)]);
      const normalized: StreamEvent[] = [];
      const normalize = createNormalizer((ev) => normalized.push(ev));
      for (const ev of raw) normalize(ev);
      assert.deepEqual(normalized, raw, name);
    }
  });
});

const chunk = (parts: unknown[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }] });

describe('gemini stream decoder: edge cases', () => {
  test('a stray [DONE] is ignored (Q-9)', () => {
    const events = feed([chunk([{ text: 'hi' }], { finishReason: 'STOP' }), '[DONE]']);
    assert.deepEqual(comparable(events), [
      { type: 'message-start' },
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: 'hi' },
      { type: 'block-end', index: 0 },
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ]);
  });

  test('[DONE] alone does not end the stream: EOF without finishReason is truncation', () => {
    const events = feed([chunk([{ text: 'hi' }]), '[DONE]']);
    const last = events.at(-1);
    assert.equal(last?.type, 'error');
    if (last?.type === 'error') assert.equal(last.error.code, 'stream_truncated');
  });

  test('an empty stream is truncated', () => {
    assert.deepEqual(comparable(feed([])), [
      { type: 'error', code: 'stream_truncated', message: 'Gemini stream ended without any response', status: 502, retryable: true },
    ]);
  });

  test('two chunks glued into one data value are both processed (Q-8)', () => {
    const glued = `${chunk([{ text: 'a' }])}  data: ${chunk([{ text: 'b' }], { finishReason: 'STOP' })}`;
    const texts = feed([glued]).flatMap((ev) => (ev.type === 'text-delta' ? [ev.text] : []));
    assert.deepEqual(texts, ['a', 'b']);
  });

  test('non-JSON data becomes upstream_malformed and nothing follows', () => {
    const events = feed(['{"candidates": [', chunk([{ text: 'late' }], { finishReason: 'STOP' })]);
    assert.equal(events.length, 1);
    const ev = events[0];
    assert.equal(ev.type, 'error');
    if (ev.type === 'error') {
      assert.equal(ev.error.code, 'upstream_malformed');
      assert.match(ev.error.message, /not JSON/);
    }
  });

  test('a JSON scalar chunk is malformed', () => {
    const ev = feed(['42'])[0];
    assert.equal(ev.type === 'error' && ev.error.code, 'upstream_malformed');
  });

  test('a functionCall without a name is malformed', () => {
    const events = feed([chunk([{ functionCall: { args: {} } }])]);
    const last = events.at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'upstream_malformed');
  });

  test('functionCall.id from Gemini passes through; missing args become {}', () => {
    const events = feed([chunk([{ functionCall: { id: 'fc-7', name: 'now' } }], { finishReason: 'STOP' })]);
    assert.deepEqual(comparable(events).slice(1, 4), [
      { type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'fc-7', name: 'now' } },
      { type: 'tool-args-delta', index: 0, json: '{}' },
      { type: 'block-end', index: 0 },
    ]);
  });

  test('a signature on a non-call part attaches to the open reasoning block', () => {
    const events = feed([
      chunk([{ text: 'thinking', thought: true }]),
      chunk([{ text: '', thoughtSignature: 'SIG-A' }]),
      chunk([{ text: 'answer', thoughtSignature: 'SIG-B' }], { finishReason: 'STOP' }),
    ]);
    assert.deepEqual(comparable(events), [
      { type: 'message-start' },
      { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
      { type: 'reasoning-delta', index: 0, text: 'thinking' },
      { type: 'signature-delta', index: 0, signature: 'SIG-A' },
      // the signature arrives before the part's text, while the reasoning block is still open
      { type: 'signature-delta', index: 0, signature: 'SIG-B' },
      { type: 'block-end', index: 0 },
      { type: 'block-start', index: 1, block: { kind: 'text' } },
      { type: 'text-delta', index: 1, text: 'answer' },
      { type: 'block-end', index: 1 },
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ]);
  });

  test('a thought part carrying its own signature', () => {
    const events = feed([chunk([{ text: 'hmm', thought: true, thoughtSignature: 'S' }], { finishReason: 'STOP' })]);
    assert.deepEqual(comparable(events).slice(1, 5), [
      { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
      { type: 'reasoning-delta', index: 0, text: 'hmm' },
      { type: 'signature-delta', index: 0, signature: 'S' },
      { type: 'block-end', index: 0 },
    ]);
  });

  test('text after a function call opens a new text block', () => {
    const events = feed([
      chunk([{ text: 'a' }, { functionCall: { name: 'f', args: { x: 1 } } }, { text: 'b' }], { finishReason: 'STOP' }),
    ]);
    assert.deepEqual(
      comparable(events).map((e) => (e as { type: string; index?: number }).type + ((e as { index?: number }).index ?? '')),
      ['message-start', 'block-start0', 'text-delta0', 'block-end0', 'block-start1', 'tool-args-delta1', 'block-end1', 'block-start2', 'text-delta2', 'block-end2', 'finish', 'done'],
    );
  });

  test('only candidate 0 is followed', () => {
    const two = JSON.stringify({
      candidates: [
        { content: { parts: [{ text: 'second' }] }, index: 1 },
        { content: { parts: [{ text: 'first' }] }, index: 0, finishReason: 'STOP' },
      ],
    });
    const texts = feed([two]).flatMap((ev) => (ev.type === 'text-delta' ? [ev.text] : []));
    assert.deepEqual(texts, ['first']);
  });

  test('usage after the finish chunk is still reported, then done at EOF', () => {
    const events = feed([
      chunk([{ text: 'x' }], { finishReason: 'STOP' }),
      JSON.stringify({ usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, toolUsePromptTokenCount: 2 } }),
    ]);
    assert.deepEqual(comparable(events).slice(-3), [
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { inputTokens: 5, outputTokens: 1 } },
      { type: 'done' },
    ]);
  });

  test('mid-stream RESOURCE_EXHAUSTED maps to upstream_rate_limited with its retry delay', () => {
    const events = feed([
      JSON.stringify({
        error: {
          code: 429,
          message: 'Quota exceeded',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }],
        },
      }),
    ]);
    assert.equal(events.length, 1);
    const ev = events[0];
    assert.equal(ev.type, 'error');
    if (ev.type !== 'error') return;
    assert.equal(ev.error.code, 'upstream_rate_limited');
    assert.equal(ev.error.message, 'Quota exceeded');
    assert.equal(ev.error.retryAfterMs, 7000);
  });

  test('mid-stream INVALID_ARGUMENT is an upstream_error', () => {
    const ev = feed([JSON.stringify({ error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } })])[0];
    assert.equal(ev.type === 'error' && ev.error.code, 'upstream_error');
  });

  test('a JSON array payload (non-alt=sse form) is folded', () => {
    const arr = JSON.stringify([JSON.parse(chunk([{ text: 'a' }])), JSON.parse(chunk([{ text: 'b' }], { finishReason: 'MAX_TOKENS' }))]);
    const events = feed([arr]);
    assert.deepEqual(
      events.flatMap((ev) => (ev.type === 'text-delta' ? [ev.text] : ev.type === 'finish' ? [ev.reason] : [])),
      ['a', 'b', 'length'],
    );
  });

  test('end() is idempotent and nothing is emitted after done', () => {
    const events: StreamEvent[] = [];
    const decoder = geminiUpstream.createStreamDecoder((ev) => events.push(ev), decodeContext());
    decoder.onEvent(chunk([{ text: 'x' }], { finishReason: 'STOP' }), '');
    decoder.end();
    decoder.end();
    decoder.onEvent(chunk([{ text: 'late' }]), '');
    assert.deepEqual(
      events.map((ev) => ev.type),
      ['message-start', 'block-start', 'text-delta', 'block-end', 'finish', 'done'],
    );
  });

  test('nothing is emitted after an error, not even at end()', () => {
    const events = feed([JSON.stringify({ error: { code: 500, message: 'boom', status: 'INTERNAL' } }), chunk([{ text: 'x' }])]);
    assert.deepEqual(comparable(events), [{ type: 'error', code: 'upstream_error', message: 'boom', status: 502, retryable: true }]);
  });

  test('finish reasons of the safety family and tool-call failures', () => {
    const reasonFor = (r: string, parts: unknown[] = []): unknown =>
      feed([chunk(parts, { finishReason: r })]).find((ev) => ev.type === 'finish');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) {
      assert.deepEqual(reasonFor(r), { type: 'finish', reason: 'content-filter' }, r);
    }
    for (const r of ['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS', 'OTHER', 'LANGUAGE']) {
      assert.deepEqual(reasonFor(r), { type: 'finish', reason: 'stop' }, r);
    }
    assert.deepEqual(reasonFor('MAX_TOKENS', [{ functionCall: { name: 'f', args: {} } }]), { type: 'finish', reason: 'length' });
  });
});
