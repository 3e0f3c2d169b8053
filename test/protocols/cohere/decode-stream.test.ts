import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { collectResponse } from '../../../src/core/response.ts';
import type { StreamEvent } from '../../../src/core/events.ts';
import { fixtureBytes, replay } from './helpers.ts';

function errorOf(events: StreamEvent[]): { code: string; message: string } | undefined {
  const last = events.at(-1);
  return last?.type === 'error' ? { code: last.error.code, message: last.error.message } : undefined;
}

describe('cohere stream decoder', () => {
  test('text with usage: tokens (not billed units) are the canonical counts', () => {
    const events = replay([fixtureBytes('text-usage.sse')]);
    assert.deepEqual(events[0], { type: 'message-start', id: '29f14a5a-11de-4cae-9800-25e4747408ea' });
    const resp = collectResponse(replay([fixtureBytes('text-usage.sse')], true));
    assert.deepEqual(resp.blocks, [{ kind: 'text', text: 'LLMs stand for Large Language Models — naïve 🌧.' }]);
    assert.equal(resp.finishReason, 'stop');
    assert.deepEqual(resp.usage, { inputTokens: 71, outputTokens: 26 });
    assert.equal(events.at(-1)?.type, 'done');
  });

  test('thinking then text; cached tokens become cache reads', () => {
    const resp = collectResponse(replay([fixtureBytes('reasoning-cached-usage.sse')], true));
    assert.deepEqual(resp.blocks, [
      { kind: 'reasoning', text: 'The user asks for 2+2.' },
      { kind: 'text', text: 'The answer is 4.' },
    ]);
    assert.deepEqual(resp.usage, { inputTokens: 1394, outputTokens: 54, cacheReadTokens: 1360 });
  });

  test('tool plan becomes text before the calls; parallel calls keep their arguments', () => {
    const resp = collectResponse(replay([fixtureBytes('tool-plan-parallel-calls.sse')], true));
    assert.equal(resp.finishReason, 'tool-calls');
    assert.deepEqual(resp.blocks.map((b) => b.kind), ['text', 'tool-call', 'tool-call']);
    assert.equal((resp.blocks[0] as { text: string }).text, 'I will search for the weather in Madrid and Brasilia.');
    const calls = resp.blocks.slice(1) as Array<{ id: string; name: string; arguments: string }>;
    assert.deepEqual(calls.map((c) => [c.id, c.name, JSON.parse(c.arguments)]), [
      ['get_weather_p1t92w7gfgq7', 'get_weather', { location: 'Madrid' }],
      ['get_weather_ay6nmvjgp9vn', 'get_weather', { location: 'Brasilia' }],
    ]);
  });

  test('citations are skipped without disturbing the text', () => {
    const resp = collectResponse(replay([fixtureBytes('citations.sse')], true));
    assert.deepEqual(resp.blocks, [{ kind: 'text', text: 'The key benefits are automation of tasks.' }]);
  });

  test('arguments that spell null (split across deltas) become {}', () => {
    const resp = collectResponse(replay([fixtureBytes('null-arguments.sse')], true));
    const call = resp.blocks.find((b) => b.kind === 'tool-call') as { arguments: string };
    assert.equal(call.arguments, '{}');
  });

  test('message-end ERROR is an error event with Cohere\'s message', () => {
    const events = replay([fixtureBytes('mid-stream-error.sse')]);
    assert.deepEqual(errorOf(events), { code: 'upstream_error', message: 'internal server error' });
    assert.ok(!events.some((e) => e.type === 'done' || e.type === 'finish'));
  });

  test('message-end TIMEOUT is a timeout', () => {
    assert.equal(errorOf(replay([fixtureBytes('timeout-before-content.sse')]))?.code, 'upstream_timeout');
  });

  test('EOF before message-end is a truncated stream', () => {
    assert.equal(errorOf(replay([fixtureBytes('truncated.sse')]))?.code, 'stream_truncated');
  });

  test('data-only events (no event: lines) decode the same; MAX_TOKENS is length', () => {
    const resp = collectResponse(replay([fixtureBytes('data-only-max-tokens.sse')], true));
    assert.equal(resp.finishReason, 'length');
    assert.deepEqual(resp.blocks, [{ kind: 'text', text: 'OK.' }]);
    assert.deepEqual(resp.usage, { inputTokens: 500, outputTokens: 5, cacheReadTokens: 448 });
  });

  test('malformed JSON and arguments for an unknown call end the stream as malformed', () => {
    const bad = Buffer.from('data: {"type":"message-start","id":"x"}\n\ndata: {"type":"content-delta","index":0,"delta":\n\n');
    assert.equal(errorOf(replay([bad]))?.code, 'upstream_malformed');
    const stray = Buffer.from('data: {"type":"tool-call-delta","index":3,"delta":{"message":{"tool_calls":{"function":{"arguments":"{"}}}}}\n\n');
    assert.equal(errorOf(replay([stray]))?.code, 'upstream_malformed');
  });

  test('a bare {"message"} event from a relay is an upstream error', () => {
    const events = replay([Buffer.from('data: {"message":"upstream overloaded"}\n\n')]);
    assert.deepEqual(errorOf(events), { code: 'upstream_error', message: 'upstream overloaded' });
  });
});
