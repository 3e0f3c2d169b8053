// ConverseStream -> canonical events, through the real framing, whole and byte by byte.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectResponse } from '../../../src/core/response.ts';
import type { StreamEvent } from '../../../src/core/events.ts';
import { type Frame, chatRequest, replay, streamBytes } from './helpers.ts';

const TEXT: Frame[] = [
  ['messageStart', { role: 'assistant' }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hello' } }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: ', naïve 🌧' } }],
  ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: ' world.' } }],
  ['contentBlockStop', { contentBlockIndex: 0 }],
  ['messageStop', { stopReason: 'end_turn' }],
  ['metadata', { usage: { inputTokens: 12, outputTokens: 9, totalTokens: 21 }, metrics: { latencyMs: 300 } }],
];

function types(events: StreamEvent[]): string[] {
  return events.map((e) => e.type);
}

test('text: blocks opened by their first delta, usage from metadata, done after messageStop and metadata', () => {
  const bytes = streamBytes(TEXT);
  const events = replay(bytes);
  assert.deepEqual(types(events), ['message-start', 'block-start', 'text-delta', 'text-delta', 'text-delta', 'block-end', 'finish', 'usage', 'done']);
  const resp = collectResponse(events);
  assert.deepEqual(resp.blocks, [{ kind: 'text', text: 'Hello, naïve 🌧 world.' }]);
  assert.equal(resp.finishReason, 'stop');
  assert.deepEqual(resp.usage, { inputTokens: 12, outputTokens: 9 });
  for (const size of [1, 5, 13]) assert.deepEqual(replay(bytes, size), events, `chunks of ${size}`);
});

test('reasoning with a signature, then text at the next index (Anthropic thinking via Converse)', () => {
  const events = replay(
    streamBytes([
      ['messageStart', { role: 'assistant' }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Let me ' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'think.' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: '' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'EqQBCkgIARABGAIiQL' } } }],
      ['contentBlockStop', { contentBlockIndex: 0 }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Four.' } }],
      ['contentBlockStop', { contentBlockIndex: 1 }],
      ['messageStop', { stopReason: 'end_turn' }],
      ['metadata', { usage: { inputTokens: 50, outputTokens: 40, totalTokens: 90 } }],
    ]),
    7,
  );
  const resp = collectResponse(events);
  assert.deepEqual(resp.blocks, [
    { kind: 'reasoning', text: 'Let me think.', signature: 'EqQBCkgIARABGAIiQL' },
    { kind: 'text', text: 'Four.' },
  ]);
});

test('redacted reasoning is gathered and emitted whole when its block stops', () => {
  const events = replay(
    streamBytes([
      ['messageStart', { role: 'assistant' }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: 'AAAA' } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { redactedContent: 'BBBB' } } }],
      ['contentBlockStop', { contentBlockIndex: 0 }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'ok' } }],
      ['contentBlockStop', { contentBlockIndex: 1 }],
      ['messageStop', { stopReason: 'end_turn' }],
      ['metadata', { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }],
    ]),
  );
  assert.deepEqual(collectResponse(events).blocks, [
    { kind: 'redacted-reasoning', data: 'AAAABBBB' },
    { kind: 'text', text: 'ok' },
  ]);
});

test('tool calls: start with id and name, argument fragments; a no-argument tool gets {}', () => {
  const events = replay(
    streamBytes([
      ['messageStart', { role: 'assistant' }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Checking.' } }],
      ['contentBlockStop', { contentBlockIndex: 0 }],
      ['contentBlockStart', { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tooluse_7Qx', name: 'get_forecast' } } }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '' } } }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } }],
      ['contentBlockDelta', { contentBlockIndex: 1, delta: { toolUse: { input: '"Oslo"}' } } }],
      ['contentBlockStop', { contentBlockIndex: 1 }],
      ['contentBlockStart', { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tooluse_8Ab', name: 'now' } } }],
      ['contentBlockDelta', { contentBlockIndex: 2, delta: { toolUse: { input: '' } } }],
      ['contentBlockStop', { contentBlockIndex: 2 }],
      ['messageStop', { stopReason: 'tool_use' }],
      ['metadata', { usage: { inputTokens: 30, outputTokens: 20, totalTokens: 50 } }],
    ]),
    3,
  );
  const resp = collectResponse(events);
  assert.deepEqual(resp.blocks, [
    { kind: 'text', text: 'Checking.' },
    { kind: 'tool-call', id: 'tooluse_7Qx', name: 'get_forecast', arguments: '{"city":"Oslo"}', signature: undefined },
    { kind: 'tool-call', id: 'tooluse_8Ab', name: 'now', arguments: '{}', signature: undefined },
  ]);
  assert.equal(resp.finishReason, 'tool-calls');
});

test('tool names Bedrock cannot take are mapped back to the client\'s names', async () => {
  const { toolNames } = await import('../../../src/protocols/bedrock/tool-names.ts');
  const request = chatRequest({ tools: [{ name: 'fs.read_file', parameters: {} }] });
  const wire = toolNames(request).toWire('fs.read_file');
  assert.match(wire, /^[a-zA-Z0-9_-]{1,64}$/);
  const events = replay(
    streamBytes([
      ['contentBlockStart', { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't1', name: wire } } }],
      ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{}' } } }],
      ['contentBlockStop', { contentBlockIndex: 0 }],
      ['messageStop', { stopReason: 'tool_use' }],
    ]),
    0,
    'anthropic',
    request,
  );
  const call = collectResponse(events).blocks[0];
  assert.equal(call.kind === 'tool-call' && call.name, 'fs.read_file');
});

test('cache tokens: inputTokens excludes them (Anthropic semantics); OpenAI-family models are clamped', () => {
  const frames: Frame[] = [
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }],
    ['contentBlockStop', { contentBlockIndex: 0 }],
    ['messageStop', { stopReason: 'end_turn' }],
    ['metadata', { usage: { inputTokens: 10, outputTokens: 5, totalTokens: 115, cacheReadInputTokens: 100, cacheWriteInputTokens: 5 } }],
  ];
  assert.deepEqual(collectResponse(replay(streamBytes(frames))).usage, {
    inputTokens: 115,
    outputTokens: 5,
    cacheReadTokens: 100,
    cacheWriteTokens: 5,
  });
  // maximhq/bifrost#6942: inputTokens already held the cache write.
  assert.equal(collectResponse(replay(streamBytes(frames), 0, 'openai')).usage?.inputTokens, 110);
});

test('the stop sequence comes from additionalModelResponseFields', () => {
  const resp = collectResponse(
    replay(
      streamBytes([
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'a' } }],
        ['messageStop', { stopReason: 'stop_sequence', additionalModelResponseFields: { stop_sequence: 'END' } }],
        ['metadata', { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }],
      ]),
    ),
  );
  assert.equal(resp.finishReason, 'stop-sequence');
  assert.equal(resp.stopSequence, 'END');
});

test('exceptions mid-stream end it with their mapped error (Q-34)', () => {
  const head: Frame[] = [
    ['messageStart', { role: 'assistant' }],
    ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'partial' } }],
  ];
  const cases: Array<[string, unknown, string, number]> = [
    ['throttlingException', { message: 'Too many requests, please wait before trying again.' }, 'upstream_rate_limited', 429],
    ['serviceUnavailableException', { message: 'Bedrock is unable to process your request.' }, 'upstream_overloaded', 503],
    ['modelStreamErrorException', { message: 'The model stream failed', originalStatusCode: 500, originalMessage: 'overloaded' }, 'upstream_error', 502],
    ['internalServerException', { message: 'internal' }, 'upstream_error', 502],
    ['validationException', { message: 'bad input' }, 'upstream_client_error', 400],
    ['modelTimeoutException', { message: 'timed out' }, 'upstream_timeout', 504],
  ];
  for (const [type, body, code, status] of cases) {
    const events = replay(streamBytes([...head, [`exception:${type}`, JSON.stringify(body)], ['messageStop', { stopReason: 'end_turn' }]]));
    const last = events[events.length - 1];
    assert.equal(last.type, 'error', type);
    if (last.type !== 'error') continue;
    assert.equal(last.error.code, code, type);
    assert.equal(last.error.status, status, type);
    assert.equal(events.filter((e) => e.type === 'error').length, 1);
  }
  const last = replay(streamBytes([...head, ['exception:modelStreamErrorException', JSON.stringify(cases[2][1])]])).at(-1);
  assert.match(last?.type === 'error' ? last.error.message : '', /The model stream failed: overloaded/);
});

test('EOF before messageStop is truncation; EOF after messageStop without metadata is a clean end', () => {
  const cut = replay(streamBytes(TEXT.slice(0, 4)));
  const last = cut.at(-1);
  assert.equal(last?.type === 'error' && last.error.code, 'stream_truncated');
  const noMetadata = replay(streamBytes(TEXT.slice(0, 6)));
  assert.equal(noMetadata.at(-1)?.type, 'done');
});

test('malformed_model_output / malformed_tool_use are errors, not stops', () => {
  for (const reason of ['malformed_model_output', 'malformed_tool_use']) {
    const events = replay(
      streamBytes([
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }],
        ['messageStop', { stopReason: reason }],
      ]),
    );
    const last = events.at(-1);
    assert.equal(last?.type === 'error' && last.error.code, 'upstream_error', reason);
  }
});

test('guardrail and context-window stop reasons map to content-filter and context-exceeded', () => {
  for (const [reason, finish] of [
    ['guardrail_intervened', 'content-filter'],
    ['content_filtered', 'content-filter'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'context-exceeded'],
  ]) {
    const resp = collectResponse(
      replay(streamBytes([['contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }], ['messageStop', { stopReason: reason }]])),
    );
    assert.equal(resp.finishReason, finish, reason);
  }
});

test('a payload that is not JSON is upstream_malformed', () => {
  const events = replay(streamBytes([['contentBlockDelta', '{"contentBlockIndex":0,"delta":{"text":"brok']]));
  const last = events.at(-1);
  assert.equal(last?.type === 'error' && last.error.code, 'upstream_malformed');
});
