// The stream guard (SPEC §4.5): whatever a decoder emits, the front sees a well-formed stream.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNormalizer } from '../../src/core/normalize.ts';
import type { StreamEvent } from '../../src/core/events.ts';
import { GatewayError } from '../../src/core/errors.ts';

function run(events: StreamEvent[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  const n = createNormalizer((ev) => out.push(ev));
  for (const ev of events) n(ev);
  return out;
}
const types = (evs: StreamEvent[]) => evs.map((e) => (e.type === 'block-start' ? `start:${e.index}:${e.block.kind}` : 'index' in e ? `${e.type}:${e.index}` : e.type));

test('one message-start first, blocks renumbered from 0, opened implicitly, closed before the next', () => {
  const out = run([
    { type: 'text-delta', index: 5, text: 'a' },
    { type: 'message-start', id: 'x' },
    { type: 'block-start', index: 9, block: { kind: 'tool-call', id: 'c', name: 'f' } },
    { type: 'tool-args-delta', index: 9, json: '{}' },
    { type: 'reasoning-delta', index: 2, text: 'hm' },
    { type: 'finish', reason: 'stop' },
    { type: 'done' },
    { type: 'text-delta', index: 0, text: 'after the end' },
  ]);
  assert.deepEqual(types(out), [
    'message-start',
    'start:0:text',
    'text-delta:0',
    'block-end:0',
    'start:1:tool-call',
    'tool-args-delta:1',
    'block-end:1',
    'start:2:reasoning',
    'reasoning-delta:2',
    'block-end:2',
    'finish',
    'done',
  ]);
  // a turn that called tools finishes with tool-calls even when the upstream said stop.
  assert.deepEqual(out.find((e) => e.type === 'finish'), { type: 'finish', reason: 'tool-calls' });
});

test('empty deltas are no-ops and done without finish gets one', () => {
  const out = run([{ type: 'text-delta', index: 0, text: '' }, { type: 'done' }]);
  assert.deepEqual(types(out), ['message-start', 'finish', 'done']);
});

test('interleaved tool arguments end the stream with an error, never a closed block of broken JSON', () => {
  const out = run([
    { type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'a', name: 'f' } },
    { type: 'tool-args-delta', index: 0, json: '{"x":' },
    { type: 'block-end', index: 0 },
    { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'b', name: 'g' } },
    { type: 'tool-args-delta', index: 0, json: '1}' },
  ]);
  assert.deepEqual(types(out), ['message-start', 'start:0:tool-call', 'tool-args-delta:0', 'error']);
  assert.equal((out.at(-1) as { error: GatewayError }).error.code, 'upstream_malformed');
});

test('a tool call truncated by the length limit closes as is at finish (Q-25)', () => {
  const out = run([
    { type: 'block-start', index: 0, block: { kind: 'tool-call', id: 'a', name: 'f' } },
    { type: 'tool-args-delta', index: 0, json: '{"x":' },
    { type: 'block-end', index: 0 },
    { type: 'finish', reason: 'length' },
    { type: 'done' },
  ]);
  assert.deepEqual(types(out), ['message-start', 'start:0:tool-call', 'tool-args-delta:0', 'block-end:0', 'finish', 'done']);
  assert.deepEqual(out.find((e) => e.type === 'finish'), { type: 'finish', reason: 'length' });
});

test('an error ends the stream as is; nothing follows', () => {
  const error = new GatewayError('upstream_overloaded', 'Overloaded');
  const out = run([
    { type: 'block-start', index: 0, block: { kind: 'text' } },
    { type: 'text-delta', index: 0, text: 'a' },
    { type: 'error', error },
    { type: 'text-delta', index: 0, text: 'b' },
    { type: 'done' },
  ]);
  assert.deepEqual(types(out), ['message-start', 'start:0:text', 'text-delta:0', 'error']);
});
