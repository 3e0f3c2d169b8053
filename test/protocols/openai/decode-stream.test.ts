// Recorded OpenAI-compatible upstream streams (src/protocols/openai/__fixtures__) replayed through the
// real SSE decoder into the OpenAI stream decoder: the canonical events, and the finish reason the
// front sees after the normalizer.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StreamEvent } from '../../../src/core/events.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import { openaiUpstream } from '../../../src/protocols/openai/index.ts';
import { decodeContext, normalize, replay, replayBytes } from './helpers.ts';

/** The finish reason (or error code) a front receives after the normalizer. */
function outcome(events: StreamEvent[]): string {
  const last = normalize(events).filter((e) => e.type === 'finish' || e.type === 'error');
  assert.equal(last.length, 1, `expected one finish or error, got ${JSON.stringify(last)}`);
  const ev = last[0]!;
  return ev.type === 'finish' ? ev.reason : ev.type === 'error' ? `error:${ev.error.code}` : '';
}

function errorOf(events: StreamEvent[]): GatewayError {
  const last = events[events.length - 1];
  assert.equal(last?.type, 'error');
  return (last as { type: 'error'; error: GatewayError }).error;
}

const text = (index: number, t: string): StreamEvent => ({ type: 'text-delta', index, text: t });
const start = (index: number, kind: 'text' | 'reasoning'): StreamEvent => ({ type: 'block-start', index, block: { kind } });
const end = (index: number): StreamEvent => ({ type: 'block-end', index });
const tool = (index: number, id: string, name: string): StreamEvent => ({ type: 'block-start', index, block: { kind: 'tool-call', id, name } });
const args = (index: number, json: string): StreamEvent => ({ type: 'tool-args-delta', index, json });

describe('OpenAI upstream stream fixtures', () => {
  test('plain text with a final usage chunk (OpenAI, include_usage)', () => {
    const events = replay('openai-text-usage.sse');
    assert.deepEqual(events, [
      { type: 'message-start', id: 'chatcmpl-A1b2', model: 'gpt-4.1-2025-04-14' },
      start(0, 'text'),
      text(0, 'It is'),
      text(0, ' 4 °C.'),
      end(0),
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { inputTokens: 52, outputTokens: 6, cacheReadTokens: 32, reasoningTokens: 0 } },
      { type: 'done' },
    ]);
    assert.equal(outcome(events), 'stop');
  });

  test('tool call in OpenAI-style fragments', () => {
    const events = replay('openai-tool-call.sse');
    assert.deepEqual(events, [
      { type: 'message-start', id: 'chatcmpl-T7', model: 'gpt-4.1' },
      tool(0, 'call_q81', 'read_file'),
      args(0, '{"'),
      args(0, 'path'),
      args(0, '":"README.md"}'),
      end(0),
      { type: 'finish', reason: 'tool-calls' },
      { type: 'usage', usage: { inputTokens: 81, outputTokens: 17 } },
      { type: 'done' },
    ]);
    assert.equal(outcome(events), 'tool-calls');
  });

  test('parallel tool calls after text: each new index closes the open block', () => {
    const events = replay('openai-parallel-tool-calls.sse');
    assert.deepEqual(events.slice(1), [
      start(0, 'text'),
      text(0, 'Checking both.'),
      end(0),
      tool(1, 'call_oslo', 'get_forecast'),
      args(1, '{"city": "Oslo"}'),
      end(1),
      tool(2, 'call_bergen', 'get_forecast'),
      args(2, '{"city": '),
      args(2, '"Bergen"}'),
      end(2),
      { type: 'finish', reason: 'tool-calls' },
      { type: 'done' },
    ]);
    assert.equal(outcome(events), 'tool-calls');
  });

  test('Ollama: whole tool call in one chunk, then finish "stop" (Q-21, Q-22)', () => {
    const events = replay('ollama-whole-tool-call.sse');
    assert.deepEqual(events.slice(1), [
      tool(0, 'call_4xk2ab9q', 'get_forecast'),
      args(0, '{"city":"Oslo","days":3}'),
      end(0),
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { inputTokens: 140, outputTokens: 24 } },
      { type: 'done' },
    ]);
    // The normalizer reports the tool turn as such.
    assert.equal(outcome(events), 'tool-calls');
  });

  test('vLLM: finish_reason on the last content chunk, usage on every chunk (Q-18, Q-26)', () => {
    const events = replay('vllm-finish-on-content.sse');
    assert.deepEqual(events.slice(1), [
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 0 } },
      start(0, 'text'),
      text(0, 'Counting: '),
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 3 } },
      // The content of the finishing chunk comes before its finish.
      text(0, '1'),
      end(0),
      { type: 'finish', reason: 'length' },
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 4 } },
      { type: 'usage', usage: { inputTokens: 20, outputTokens: 4 } },
      { type: 'done' },
    ]);
    assert.equal(outcome(events), 'length');
  });

  test('llama.cpp: usage in a chunk after the finish chunk is still read (Q-26)', () => {
    const events = replay('llamacpp-usage-after-finish.sse');
    assert.deepEqual(events.slice(1), [
      start(0, 'text'),
      text(0, 'Hello'),
      text(0, ' there'),
      end(0),
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { inputTokens: 11, outputTokens: 3 } },
      { type: 'done' },
    ]);
    assert.equal(outcome(events), 'stop');
  });

  test('Azure: filter chunks with empty choices and choices without delta are skipped (Q-16)', () => {
    const events = replay('azure-filter-chunks.sse');
    assert.deepEqual(events, [
      // The first chunk has an empty id and model: neither is taken.
      { type: 'message-start', id: undefined, model: undefined },
      start(0, 'text'),
      text(0, 'Safe'),
      text(0, ' text.'),
      end(0),
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ]);
  });

  test('changing and empty chunk ids, empty tool-call id, role "" and null content (Q-17, Q-19, Q-23)', () => {
    const events = replay('changing-ids.sse');
    const toolStart = events[5];
    assert.equal(toolStart?.type, 'block-start');
    const block = (toolStart as Extract<StreamEvent, { type: 'block-start' }>).block;
    assert.equal(block.kind, 'tool-call');
    const id = block.kind === 'tool-call' ? block.id : '';
    assert.match(id, /^call_[A-Za-z0-9]{24}$/, 'an id is minted for the empty one');
    assert.deepEqual(events, [
      { type: 'message-start', id: 'chatcmpl-1', model: 'local' },
      start(0, 'text'),
      text(0, 'Let me'),
      text(0, ' look.'),
      end(0),
      tool(1, id, 'search'),
      args(1, '{"q":"sluice"}'),
      end(1),
      { type: 'finish', reason: 'tool-calls' },
      { type: 'done' },
    ]);
  });

  test('DeepSeek reasoning_content becomes a reasoning block before the text (Q-20)', () => {
    const events = replay('deepseek-reasoning-content.sse');
    assert.deepEqual(events.slice(1), [
      start(0, 'reasoning'),
      { type: 'reasoning-delta', index: 0, text: '9.11 vs 9.9:' },
      { type: 'reasoning-delta', index: 0, text: ' compare tenths.' },
      end(0),
      start(1, 'text'),
      text(1, '9.9 is larger.'),
      end(1),
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { inputTokens: 15, outputTokens: 40, cacheReadTokens: 0, reasoningTokens: 33 } },
      { type: 'done' },
    ]);
  });

  test('MiniMax <think> tags split across chunks become reasoning (Q-20, quirk inline_think_tags)', () => {
    const events = replay('minimax-think-tags.sse', { inlineThinkTags: true });
    assert.deepEqual(events.slice(1), [
      start(0, 'reasoning'),
      { type: 'reasoning-delta', index: 0, text: '\nThe user greets' },
      { type: 'reasoning-delta', index: 0, text: ' me.\n' },
      end(0),
      start(1, 'text'),
      // The blank line after </think> separates reasoning from the answer and is dropped.
      text(1, 'Hello'),
      text(1, ' <b>there</b> 1<2'),
      end(1),
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { inputTokens: 30, outputTokens: 21 } },
      { type: 'done' },
    ]);
  });

  test('without the quirk, <think> tags are ordinary text', () => {
    const events = replay('minimax-think-tags.sse');
    const texts = events.flatMap((e) => (e.type === 'text-delta' ? [e.text] : []));
    assert.equal(texts.join(''), '<think>\nThe user greets me.\n</think>\n\nHello <b>there</b> 1<2');
    assert.ok(!events.some((e) => e.type === 'reasoning-delta'));
  });

  test('OpenRouter mid-stream error chunk (top-level error + finish_reason "error") ends the stream (Q-13)', () => {
    const events = replay('openrouter-midstream-error.sse');
    assert.deepEqual(events.slice(1, -1), [start(0, 'text'), text(0, 'Partial'), text(0, ' answer')]);
    const err = errorOf(events);
    assert.equal(err.code, 'upstream_error');
    assert.equal(err.message, 'Provider disconnected');
    assert.equal(err.target, 'local');
    assert.equal(err.upstreamType, 'server_error');
    // The [DONE] after the error is not turned into a normal end.
    assert.ok(!events.some((e) => e.type === 'done' || e.type === 'finish'));
    assert.equal(outcome(events), 'error:upstream_error');
  });

  test('OpenAI mid-stream {"error":…} then close (Q-13)', () => {
    const events = replay('openai-midstream-error.sse');
    assert.deepEqual(events.slice(1, -1), [start(0, 'text'), text(0, 'Once upon')]);
    const err = errorOf(events);
    assert.equal(err.code, 'upstream_error');
    assert.equal(err.message, 'The server had an error while processing your request. Sorry about that!');
    assert.equal(err.upstreamType, 'server_error');
    assert.equal(outcome(events), 'error:upstream_error');
  });

  test('EOF without finish_reason or [DONE] is a truncated stream, not a normal end (Q-14)', () => {
    const events = replay('truncated.sse');
    assert.deepEqual(events.slice(1, -1), [start(0, 'text'), text(0, 'The answer is')]);
    const err = errorOf(events);
    assert.equal(err.code, 'stream_truncated');
    assert.equal(outcome(events), 'error:stream_truncated');
  });

  test('interleaved tool calls on an unflagged upstream: fragments passed on, the normalizer refuses them', () => {
    const events = replay('interleaved-tool-calls.sse');
    assert.deepEqual(events.slice(1, 10), [
      start(0, 'text'),
      text(0, 'Both at once.'),
      end(0),
      tool(1, 'call_a', 'get_forecast'),
      args(1, '{"city":'),
      end(1),
      tool(2, 'call_b', 'get_time'),
      args(2, '{"tz":'),
      args(1, '"Oslo"}'),
    ]);
    assert.equal(outcome(events), 'error:upstream_malformed');
  });

  test('interleaved tool calls with quirk buffer_tool_calls: text streams, each call emitted whole at finish', () => {
    const events = replay('interleaved-tool-calls.sse', { bufferToolCalls: true });
    assert.deepEqual(events.slice(1), [
      start(0, 'text'),
      text(0, 'Both at once.'),
      end(0),
      tool(1, 'call_a', 'get_forecast'),
      args(1, '{"city":"Oslo"}'),
      end(1),
      tool(2, 'call_b', 'get_time'),
      args(2, '{"tz":"CET"}'),
      end(2),
      { type: 'finish', reason: 'tool-calls' },
      { type: 'usage', usage: { inputTokens: 60, outputTokens: 30 } },
      { type: 'done' },
    ]);
    assert.equal(outcome(events), 'tool-calls');
  });

  test('arguments before the name, no index, late id, thought signature; finish then EOF without [DONE] (Q-24, Q-7)', () => {
    const events = replay('name-after-arguments.sse');
    assert.deepEqual(events.slice(1), [
      { type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'fc_1', name: 'get_forecast', signature: 'c2lnLTE=' } },
      args(0, '{"city":"Oslo"}'),
      end(0),
      tool(1, 'fc_2', 'get_time'),
      args(1, '{}'),
      end(1),
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ]);
    assert.equal(outcome(events), 'tool-calls');
  });

  test('every fixture decodes the same at random chunk boundaries', () => {
    const dir = fileURLToPath(new URL('../../../src/protocols/openai/__fixtures__/', import.meta.url));
    const stable = (events: StreamEvent[]): string =>
      JSON.stringify(events, (_k, v: unknown) => (typeof v === 'string' && /^call_[A-Za-z0-9]{24}$/.test(v) ? 'call_*' : v instanceof Error ? v.message : v));
    for (const name of readdirSync(dir)) {
      const quirks = name.startsWith('minimax') ? { inlineThinkTags: true } : {};
      const whole = stable(replay(name, quirks));
      for (let seed = 1; seed <= 20; seed++) assert.equal(stable(replay(name, quirks, seed)), whole, `${name} seed ${seed}`);
    }
  });
});

describe('OpenAI upstream stream decoder, edge cases', () => {
  const decode = (lines: string[], quirks = {}): StreamEvent[] => {
    const events: StreamEvent[] = [];
    const d = openaiUpstream.createStreamDecoder((e) => events.push(e), decodeContext(quirks));
    for (const line of lines) d.onEvent(line, '');
    d.end();
    return events;
  };
  const chunk = (delta: unknown, finish: string | null = null, extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra });

  test('[DONE] without any finish_reason is a normal end; the normalizer adds finish "stop"', () => {
    const events = decode([chunk({ content: 'hi' }), '[DONE]']);
    assert.equal(events[events.length - 1]?.type, 'done');
    assert.ok(!events.some((e) => e.type === 'finish'));
    assert.equal(outcome(events), 'stop');
  });

  test('finish then EOF (no [DONE]) is accepted leniently', () => {
    const events = decode([chunk({ content: 'hi' }, 'stop')]);
    assert.deepEqual(events.slice(-2), [{ type: 'finish', reason: 'stop' }, { type: 'done' }]);
  });

  test('end() is idempotent and nothing is emitted after done', () => {
    const events: StreamEvent[] = [];
    const d = openaiUpstream.createStreamDecoder((e) => events.push(e), decodeContext());
    d.onEvent(chunk({ content: 'a' }, 'stop'), '');
    d.onEvent('[DONE]', '');
    d.onEvent(chunk({ content: 'late' }), '');
    d.end();
    d.end();
    assert.equal(events.filter((e) => e.type === 'done').length, 1);
    assert.ok(!events.some((e) => e.type === 'text-delta' && e.text === 'late'));
  });

  test('a non-JSON event is an upstream_malformed error, not an exception', () => {
    const events = decode([chunk({ content: 'a' }), 'not json at all']);
    const err = errorOf(events);
    assert.equal(err.code, 'upstream_malformed');
    assert.match(err.message, /not JSON/);
  });

  test('a JSON value that is not an object is malformed', () => {
    assert.equal(errorOf(decode(['42'])).code, 'upstream_malformed');
  });

  test('two chunks glued into one data value are both processed (Q-8)', () => {
    const events = decode([`${chunk({ content: 'a' })}${chunk({ content: 'b' }, 'stop')}`, '[DONE]']);
    assert.deepEqual(
      events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text),
      ['a', 'b'],
    );
    assert.equal(events[events.length - 1]?.type, 'done');
  });

  test('finish_reason "error" without an error object is an upstream error', () => {
    const err = errorOf(decode([chunk({ content: 'a' }), chunk({}, 'error')]));
    assert.equal(err.code, 'upstream_error');
  });

  test('OpenRouter numeric error codes classify like statuses (429 -> rate limited, 503 -> overloaded)', () => {
    const rate = errorOf(decode([JSON.stringify({ error: { code: 429, message: 'Rate limit exceeded' } })]));
    assert.equal(rate.code, 'upstream_rate_limited');
    assert.equal(rate.message, 'Rate limit exceeded');
    const busy = errorOf(decode([JSON.stringify({ error: { code: 503, message: 'No capacity' } })]));
    assert.equal(busy.code, 'upstream_overloaded');
    const overloaded = errorOf(decode([JSON.stringify({ error: { type: 'overloaded_error', message: 'Overloaded' } })]));
    assert.equal(overloaded.code, 'upstream_overloaded');
  });

  test('an SSE event named "error" is an error even without a top-level error key', () => {
    const events: StreamEvent[] = [];
    const d = openaiUpstream.createStreamDecoder((e) => events.push(e), decodeContext());
    d.onEvent(JSON.stringify({ message: 'boom', type: 'server_error' }), 'error');
    assert.equal(errorOf(events).message, 'boom');
  });

  test('reasoning then text then tool then text: each change opens a new block', () => {
    const events = decode([
      chunk({ reasoning: 'think' }),
      chunk({ content: 'say' }),
      chunk({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({ content: 'more' }),
      chunk({}, 'stop'),
      '[DONE]',
    ]);
    assert.deepEqual(events.slice(1), [
      start(0, 'reasoning'),
      { type: 'reasoning-delta', index: 0, text: 'think' },
      end(0),
      start(1, 'text'),
      text(1, 'say'),
      end(1),
      tool(2, 'c1', 'f'),
      args(2, '{}'),
      end(2),
      start(3, 'text'),
      text(3, 'more'),
      end(3),
      { type: 'finish', reason: 'stop' },
      { type: 'done' },
    ]);
  });

  test('reasoning_content and reasoning carrying the same text are read once', () => {
    const events = decode([chunk({ reasoning_content: 'r', reasoning: 'r' }, 'stop')]);
    assert.equal(events.filter((e) => e.type === 'reasoning-delta').length, 1);
  });

  test('ids repeated on every fragment (LiteLLM) and numeric ids (Q-23)', () => {
    const events = decode([
      chunk({ tool_calls: [{ index: 0, id: 7, type: 'function', function: { name: 'f', arguments: '{"a"' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 7, type: 'function', function: { arguments: ':1}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(events.slice(1, 5), [tool(0, '7', 'f'), args(0, '{"a"'), args(0, ':1}'), end(0)]);
  });

  test('a server that numbers every call 0 but gives each its own id gets separate calls', () => {
    const events = decode([
      chunk({ tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.deepEqual(events.slice(1, 7), [tool(0, 'a', 'f'), args(0, '{}'), end(0), tool(1, 'b', 'g'), args(1, '{}'), end(1)]);
  });

  test('a tool call that never gets a name is malformed at finish', () => {
    const err = errorOf(decode([chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }), chunk({}, 'tool_calls')]));
    assert.equal(err.code, 'upstream_malformed');
  });

  test('arguments sent as an object are serialised', () => {
    const events = decode([chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: { a: 1 } } }] }, 'tool_calls')]);
    assert.ok(events.some((e) => e.type === 'tool-args-delta' && e.json === '{"a":1}'));
  });

  test('legacy delta.function_call becomes a tool call', () => {
    const events = decode([chunk({ function_call: { name: 'f', arguments: '' } }), chunk({ function_call: { arguments: '{}' } }), chunk({}, 'function_call')]);
    const block = events[1];
    assert.equal(block?.type, 'block-start');
    assert.ok(events.some((e) => e.type === 'tool-args-delta' && e.json === '{}'));
    assert.ok(events.some((e) => e.type === 'finish' && e.reason === 'tool-calls'));
  });

  test('only choice 0 is relayed; refusal text is text; usage {} is ignored', () => {
    const events = decode([
      JSON.stringify({ choices: [{ index: 1, delta: { content: 'other' } }, { index: 0, delta: { refusal: 'No.' } }], usage: {} }),
      chunk({}, 'stop'),
    ]);
    assert.deepEqual(
      events.filter((e) => e.type === 'text-delta' || e.type === 'usage'),
      [text(0, 'No.')],
    );
  });

  test('finish reasons map per translation.md §6', () => {
    const reasonOf = (wire: string): string => {
      const events = decode([chunk({ content: 'x' }, wire)]);
      const f = events.find((e) => e.type === 'finish');
      return f?.type === 'finish' ? f.reason : '';
    };
    assert.equal(reasonOf('stop'), 'stop');
    assert.equal(reasonOf('length'), 'length');
    assert.equal(reasonOf('tool_calls'), 'tool-calls');
    assert.equal(reasonOf('content_filter'), 'content-filter');
    assert.equal(reasonOf('eos'), 'stop');
  });

  test('a duplicated finish_reason is reported once', () => {
    const events = decode([chunk({ content: 'x' }, 'stop'), chunk({}, 'stop'), '[DONE]']);
    assert.equal(events.filter((e) => e.type === 'finish').length, 1);
  });

  test('UTF-8 split inside a multi-byte character across network chunks decodes intact', () => {
    const bytes = Buffer.from(`data: ${chunk({ content: 'Grüße 😀' }, 'stop')}\n\ndata: [DONE]\n\n`);
    for (let seed = 1; seed <= 30; seed++) {
      const events = replayBytes(bytes, {}, seed);
      assert.ok(events.some((e) => e.type === 'text-delta' && e.text === 'Grüße 😀'), `seed ${seed}`);
    }
  });
});
