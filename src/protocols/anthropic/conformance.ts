// SPEC §4.5 for the Anthropic Messages front, as an executable check (protocols/plugin.ts
// FrontConformance): parses the raw SSE a client received and returns the answer it carries.

import assert from 'node:assert/strict';
import { parseWire, type FrontAnswer } from '../shared/conformance.ts';
import type { FrontConformance } from '../plugin.ts';

const ANTHROPIC_STOP = new Set(['end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'pause_turn', 'refusal', 'model_context_window_exceeded']);

export function checkAnthropicStream(output: string, model: string): FrontAnswer {
  const events = parseWire(output);
  assert.ok(events.length > 0);
  const answer: FrontAnswer = { text: '', reasoning: '', tools: [] };
  let starts = 0;
  let stops = 0;
  let open = -1;
  let nextIndex = 0;
  let messageId: string | undefined;
  let sawDelta = false;
  let current: { type: string; tool?: { id: string; name: string; arguments: string } } | undefined;
  events.forEach((ev, i) => {
    assert.notEqual(ev.data, '[DONE]', 'never [DONE] on the Anthropic front');
    const data = JSON.parse(ev.data) as Record<string, any>;
    assert.ok(ev.event !== '', 'every event has an event: line');
    assert.equal(data.type, ev.event, 'event name equals data.type');
    const last = i === events.length - 1;
    if (i === 0 && data.type !== 'error') assert.equal(data.type, 'message_start', 'message_start first');
    switch (data.type) {
      case 'message_start':
        starts++;
        messageId = data.message.id;
        assert.match(messageId!, /^msg_/);
        assert.equal(data.message.model, model);
        assert.equal(data.message.role, 'assistant');
        assert.equal(typeof data.message.usage.input_tokens, 'number');
        break;
      case 'content_block_start':
        assert.equal(open, -1, 'the previous block was stopped');
        assert.equal(data.index, nextIndex, 'block indices contiguous from 0');
        open = nextIndex++;
        current = { type: data.content_block.type };
        if (data.content_block.type === 'tool_use') {
          assert.match(data.content_block.id, /^[a-zA-Z0-9_-]+$/, 'tool_use id pattern');
          current.tool = { id: data.content_block.id, name: data.content_block.name, arguments: '' };
          answer.tools.push(current.tool);
        }
        break;
      case 'content_block_delta':
        assert.equal(data.index, open, 'delta for the open block');
        if (data.delta.type === 'text_delta') answer.text += data.delta.text;
        else if (data.delta.type === 'thinking_delta') answer.reasoning += data.delta.thinking;
        else if (data.delta.type === 'input_json_delta') current!.tool!.arguments += data.delta.partial_json;
        break;
      case 'content_block_stop':
        assert.equal(data.index, open, 'stop for the open block');
        if (current?.tool && current.tool.arguments !== '') {
          // Tool input must be complete, valid JSON when its block stops.
          assert.doesNotThrow(() => JSON.parse(current!.tool!.arguments), `tool input is JSON: ${current.tool.arguments}`);
        }
        open = -1;
        current = undefined;
        break;
      case 'message_delta':
        sawDelta = true;
        assert.equal(open, -1, 'every block stopped before message_delta');
        assert.ok(ANTHROPIC_STOP.has(data.delta.stop_reason), `stop_reason ${data.delta.stop_reason}`);
        assert.equal(typeof data.usage.output_tokens, 'number', 'message_delta carries usage.output_tokens');
        answer.finish = data.delta.stop_reason;
        answer.usage = data.usage;
        break;
      case 'message_stop':
        stops++;
        assert.ok(last, 'message_stop is last');
        assert.ok(sawDelta, 'message_delta before message_stop');
        break;
      case 'error':
        assert.ok(last, 'error is the last event');
        answer.error = data.error;
        break;
      case 'ping':
        break;
      default:
        assert.fail(`unexpected event ${data.type}`);
    }
  });
  assert.ok(starts <= 1, 'at most one message_start');
  if (answer.error) {
    assert.equal(stops, 0, 'no message_stop after an error');
  } else {
    assert.equal(starts, 1, 'exactly one message_start');
    assert.equal(stops, 1, 'exactly one message_stop');
    if (answer.tools.length > 0) assert.equal(answer.finish, 'tool_use', 'a turn with tool calls stops with tool_use');
  }
  return answer;
}

export const anthropicConformance: FrontConformance = {
  check: (output, opts) => checkAnthropicStream(output, opts.model),
};
