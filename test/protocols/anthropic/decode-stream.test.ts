import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { StreamEvent } from '../../../src/core/events.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import { collectResponse } from '../../../src/core/response.ts';
import { anthropicUpstream } from '../../../src/protocols/anthropic/index.ts';
import { FIXTURES, decodeContext, encodedEvents, replay, sdkViolation } from './helpers.ts';

const types = (events: StreamEvent[]): string[] => events.map((e) => e.type);
const errorOf = (events: StreamEvent[]): GatewayError => {
  const last = events[events.length - 1];
  assert.equal(last.type, 'error');
  return (last as { error: GatewayError }).error;
};

describe('anthropic upstream stream decoder: fixtures', () => {
  test('text with ping: ping ignored, usage includes cache, finish then done', () => {
    const events = replay('text-with-ping.sse');
    assert.deepEqual(types(events), [
      'message-start',
      'block-start',
      'text-delta',
      'text-delta',
      'block-end',
      'usage',
      'finish',
      'done',
    ]);
    assert.deepEqual(events[0], {
      type: 'message-start',
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-sonnet-4-5-20250929',
      usage: { inputTokens: 1436, outputTokens: 2, cacheReadTokens: 1024, cacheWriteTokens: 0 },
    });
    assert.deepEqual(events[5], {
      type: 'usage',
      usage: { inputTokens: 1436, outputTokens: 15, cacheReadTokens: 1024, cacheWriteTokens: 0 },
    });
    assert.deepEqual(events[6], { type: 'finish', reason: 'stop' });
    const resp = collectResponse(events);
    assert.deepEqual(resp.blocks, [{ kind: 'text', text: 'Hello, wörld 👋' }]);
  });

  test('text survives any chunking of the bytes (split inside multi-byte characters)', () => {
    for (const size of [1, 2, 3, 7, 64]) {
      assert.deepEqual(collectResponse(replay('text-with-ping.sse', size)).blocks, [{ kind: 'text', text: 'Hello, wörld 👋' }]);
    }
  });

  test('thinking with signature, then text', () => {
    const events = replay('thinking-signature-text.sse');
    assert.deepEqual(events[1], { type: 'block-start', index: 0, block: { kind: 'reasoning' } });
    assert.ok(events.some((e) => e.type === 'signature-delta' && e.signature === 'ErUBCkYIBxgCIkB0ZXN0c2lnbmF0dXJl'));
    const resp = collectResponse(events);
    assert.deepEqual(resp.blocks, [
      { kind: 'reasoning', text: '12 squared is 144.', signature: 'ErUBCkYIBxgCIkB0ZXN0c2lnbmF0dXJl' },
      { kind: 'text', text: '144' },
    ]);
    assert.equal(resp.usage?.outputTokens, 30);
  });

  test('tool use: id and name at block start, fragments passed as-is (first is "")', () => {
    const events = replay('tool-use-fragments.sse');
    const start = events.find((e) => e.type === 'block-start' && e.block.kind === 'tool-call');
    assert.deepEqual(start, { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'toolu_01Fq2', name: 'get_forecast' } });
    const fragments = events.flatMap((e) => (e.type === 'tool-args-delta' ? [e.json] : []));
    assert.deepEqual(fragments, ['', '{"city": "Os', 'lo", "da', 'ys": 3}']);
    const resp = collectResponse(events);
    assert.equal(resp.finishReason, 'tool-calls');
    assert.deepEqual(JSON.parse((resp.blocks[1] as { arguments: string }).arguments), { city: 'Oslo', days: 3 });
  });

  test('parallel tool uses keep their own indices and ids', () => {
    const resp = collectResponse(replay('parallel-tool-use.sse'));
    assert.deepEqual(resp.blocks, [
      { kind: 'tool-call', id: 'toolu_01A', name: 'get_weather', arguments: '{"city":"Paris"}', signature: undefined },
      { kind: 'tool-call', id: 'toolu_01B', name: 'get_time', arguments: '{"tz":"Europe/Paris"}', signature: undefined },
    ]);
  });

  test('Q-11: whitespace padding inside the JSON', () => {
    const events = replay('padding.sse');
    assert.equal(events[events.length - 1].type, 'done');
    assert.deepEqual(collectResponse(events).blocks, [{ kind: 'text', text: 'padded' }]);
  });

  test('Q-10: data-only events are dispatched on data.type', () => {
    const events = replay('no-event-lines.sse');
    assert.deepEqual(collectResponse(events).blocks, [{ kind: 'text', text: 'no event names' }]);
    assert.equal(events[events.length - 1].type, 'done');
  });

  test('Q-9: [DONE] after message_stop is ignored', () => {
    const events = replay('done-after-message-stop.sse');
    assert.equal(events.filter((e) => e.type === 'done').length, 1);
    assert.equal(events[events.length - 1].type, 'done');
  });

  test('Q-8: glued events are split and all processed', () => {
    const events = replay('glued-events.sse');
    assert.ok(!events.some((e) => e.type === 'error'), JSON.stringify(events));
    assert.deepEqual(collectResponse(events).blocks, [{ kind: 'text', text: 'glued together {not json} fine' }]);
    // The block-end glued behind the last delta was seen.
    assert.equal(events.filter((e) => e.type === 'block-end').length, 1);
  });

  test('Q-13: overloaded_error mid-stream -> error event upstream_overloaded, message kept, nothing after', () => {
    const events = replay('overloaded-error-midstream.sse');
    const err = errorOf(events);
    assert.equal(err.code, 'upstream_overloaded');
    assert.equal(err.message, 'Overloaded');
    assert.equal(err.upstreamType, 'overloaded_error');
    assert.equal(events.filter((e) => e.type === 'error').length, 1);
  });

  test('Q-26: message_delta input/cache fields win, absent ones come from message_start', () => {
    const events = replay('message-delta-input-tokens.sse');
    const usage = events.filter((e) => e.type === 'usage');
    assert.deepEqual(usage, [
      // input 9 (delta) + cache_creation 2000 (start) + cache_read 1500 (delta)
      { type: 'usage', usage: { inputTokens: 3509, outputTokens: 12, cacheReadTokens: 1500, cacheWriteTokens: 2000 } },
    ]);
  });

  test('Q-14: EOF before any stop -> stream_truncated', () => {
    const events = replay('truncated.sse');
    const err = errorOf(events);
    assert.equal(err.code, 'stream_truncated');
    assert.throws(() => collectResponse(events), GatewayError);
  });

  test('EOF after message_delta with stop_reason but no message_stop -> done (lenient)', () => {
    const events = replay('no-message-stop.sse');
    assert.deepEqual(types(events).slice(-3), ['usage', 'finish', 'done']);
    assert.equal(collectResponse(events).finishReason, 'length');
  });

  test('redacted_thinking becomes a redacted-reasoning block', () => {
    const resp = collectResponse(replay('redacted-thinking.sse'));
    assert.equal(resp.blocks[0].kind, 'redacted-reasoning');
    assert.match((resp.blocks[0] as { data: string }).data, /^EmwKAhgB/);
    assert.deepEqual(resp.blocks[1], { kind: 'text', text: 'Done.' });
  });

  test('server-tool blocks are skipped with their deltas; citations ignored; text around them kept', () => {
    const events = replay('server-tool-use.sse');
    assert.ok(!events.some((e) => e.type === 'tool-args-delta'));
    assert.ok(!events.some((e) => e.type === 'error'));
    assert.deepEqual(collectResponse(events).blocks, [
      { kind: 'text', text: 'Searching.' },
      { kind: 'text', text: 'Found it.' },
    ]);
  });

  test('every fixture re-encodes for an Anthropic client within the SDK rules', () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.sse'));
    assert.ok(files.length >= 12);
    for (const file of files) {
      const out = encodedEvents(replay(file));
      assert.equal(sdkViolation(out), undefined, `${file}: ${sdkViolation(out)}`);
    }
  });
});

describe('anthropic upstream stream decoder: edge cases', () => {
  const run = (feed: Array<[string, string?]>): StreamEvent[] => {
    const events: StreamEvent[] = [];
    const d = anthropicUpstream.createStreamDecoder((e) => events.push(e), decodeContext());
    for (const [data, name] of feed) d.onEvent(data, name ?? '');
    d.end();
    return events;
  };

  test('the SSE event name is used only when data has no type', () => {
    const events = run([
      ['{"message":{"id":"m","model":"x"}}', 'message_start'],
      ['{"type":"ping"}', 'message_stop'],
      ['{}', 'message_stop'],
    ]);
    assert.deepEqual(types(events), ['message-start', 'done']);
  });

  test('unknown event types are ignored', () => {
    const events = run([['{"type":"message_start","message":{}}'], ['{"type":"future_event","x":1}'], ['{"type":"message_stop"}']]);
    assert.deepEqual(types(events), ['message-start', 'done']);
  });

  test('not JSON -> upstream_malformed error, and the stream stops there', () => {
    const events = run([['{"type":"message_start","message":{}}'], ['{oops'], ['{"type":"message_stop"}']]);
    assert.deepEqual(types(events), ['message-start', 'error']);
    assert.equal(errorOf(events).code, 'upstream_malformed');
  });

  test('a delta without index -> upstream_malformed', () => {
    const events = run([['{"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}']]);
    assert.equal(errorOf(events).code, 'upstream_malformed');
  });

  test('error event types map to codes: rate limit, api_error, bare {"error":…}', () => {
    assert.equal(errorOf(run([['{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}']])).code, 'upstream_rate_limited');
    const api = errorOf(run([['{"type":"error","error":{"type":"api_error","message":"Overloaded"}}', 'error']]));
    assert.equal(api.code, 'upstream_error');
    assert.equal(api.message, 'Overloaded');
    assert.equal(errorOf(run([['{"error":{"type":"overloaded_error","message":"busy"}}']])).code, 'upstream_overloaded');
  });

  test('a tool_use whose full input arrives in content_block_start (no deltas) is forwarded whole', () => {
    const events = run([
      ['{"type":"message_start","message":{}}'],
      ['{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}}'],
      ['{"type":"content_block_stop","index":0}'],
      ['{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":3}}'],
      ['{"type":"message_stop"}'],
    ]);
    const resp = collectResponse(events);
    assert.deepEqual(resp.blocks, [{ kind: 'tool-call', id: 't1', name: 'f', arguments: '{"a":1}', signature: undefined }]);
  });

  test('stop_sequence is carried on finish', () => {
    const events = run([
      ['{"type":"message_start","message":{}}'],
      ['{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"###"},"usage":{"output_tokens":3}}'],
      ['{"type":"message_stop"}'],
    ]);
    assert.ok(events.some((e) => e.type === 'finish' && e.reason === 'stop-sequence' && e.stopSequence === '###'));
  });

  test('end() is idempotent and nothing is emitted after done', () => {
    const events: StreamEvent[] = [];
    const d = anthropicUpstream.createStreamDecoder((e) => events.push(e), decodeContext());
    d.onEvent('{"type":"message_start","message":{}}', 'message_start');
    d.onEvent('{"type":"message_stop"}', 'message_stop');
    d.onEvent('{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}', '');
    d.end();
    d.end();
    assert.deepEqual(types(events), ['message-start', 'done']);
  });
});
