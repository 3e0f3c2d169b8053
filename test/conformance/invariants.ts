// SPEC §4.5 as executable checks: whatever the upstream sent, what a client receives obeys these.
// Each checker parses a front's raw SSE output and returns the answer it carries (text, tool calls,
// finish) so the conformance suite can also check that nothing was lost in translation.

import assert from 'node:assert/strict';
import { SseDecoder } from '../../src/sse/decoder.ts';

export interface WireEvent {
  event: string;
  data: string;
}

export interface FrontAnswer {
  text: string;
  reasoning: string;
  tools: Array<{ id: string; name: string; arguments: string }>;
  finish?: string;
  usage?: Record<string, unknown>;
  error?: { type: string; message: string };
}

export function parseWire(output: string): WireEvent[] {
  const events: WireEvent[] = [];
  const d = new SseDecoder({ onEvent: (data, event) => events.push({ event, data }) });
  d.push(Buffer.from(output));
  d.end();
  // The writer must terminate every event: nothing may be left for EOF salvage.
  assert.ok(output === '' || output.endsWith('\n\n'), 'output ends with a blank line');
  assert.ok(!output.includes('\r'), 'the writer never emits CR');
  return events;
}

const OPENAI_FINISH = new Set(['stop', 'length', 'tool_calls', 'content_filter']);

export function checkOpenAIStream(output: string, model: string, opts: { includeUsage: boolean }): FrontAnswer {
  const events = parseWire(output);
  assert.ok(events.length > 0, 'at least one event');
  const answer: FrontAnswer = { text: '', reasoning: '', tools: [] };
  let id: string | undefined;
  let created: number | undefined;
  let roles = 0;
  let finishes = 0;
  let done = 0;
  let usageChunks = 0;
  const toolsByIndex = new Map<number, { id: string; name: string; arguments: string }>();
  events.forEach((ev, i) => {
    assert.equal(ev.event, '', 'OpenAI front writes data-only events');
    const last = i === events.length - 1;
    if (ev.data === '[DONE]') {
      done++;
      assert.ok(last, '[DONE] is the last event');
      return;
    }
    const chunk = JSON.parse(ev.data) as Record<string, any>;
    if (chunk.error) {
      assert.ok(last, 'an error event is the last event');
      assert.equal(typeof chunk.error.message, 'string');
      assert.equal(typeof chunk.error.type, 'string');
      answer.error = chunk.error;
      return;
    }
    id ??= chunk.id;
    created ??= chunk.created;
    assert.equal(chunk.id, id, 'one id for all chunks');
    assert.match(String(chunk.id), /^chatcmpl-/);
    assert.equal(chunk.created, created, 'one created for all chunks');
    assert.equal(chunk.model, model, 'the model name the client asked for');
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (opts.includeUsage) assert.ok('usage' in chunk, 'usage key on every chunk when include_usage');
    else assert.ok(!('usage' in chunk), 'no usage key unless asked');
    if (chunk.choices.length === 0) {
      usageChunks++;
      assert.ok(opts.includeUsage, 'an empty-choices chunk only carries usage');
      assert.ok(chunk.usage && typeof chunk.usage.prompt_tokens === 'number');
      assert.ok(finishes === 1, 'usage chunk follows the finish chunk');
      answer.usage = chunk.usage;
      return;
    }
    const choice = chunk.choices[0];
    assert.equal(choice.index, 0);
    const delta = choice.delta ?? {};
    if (i === 0) assert.equal(delta.role, 'assistant', 'the first chunk carries the role');
    if (delta.role !== undefined) roles++;
    if (typeof delta.content === 'string') answer.text += delta.content;
    if (typeof delta.reasoning_content === 'string') answer.reasoning += delta.reasoning_content;
    for (const tc of delta.tool_calls ?? []) {
      assert.equal(typeof tc.index, 'number', 'tool-call deltas carry index');
      assert.ok(tc.function && typeof tc.function === 'object', 'tool-call deltas carry a function object');
      let t = toolsByIndex.get(tc.index);
      if (!t) {
        assert.equal(tc.index, toolsByIndex.size, 'tool indices count tool calls only, from 0');
        assert.equal(typeof tc.id, 'string', 'first fragment has an id');
        assert.ok(tc.id.length > 0);
        assert.equal(tc.type, 'function');
        assert.equal(typeof tc.function.name, 'string', 'first fragment has the name');
        t = { id: tc.id, name: tc.function.name, arguments: '' };
        toolsByIndex.set(tc.index, t);
        answer.tools.push(t);
      } else {
        assert.equal(tc.id, undefined, 'only the first fragment has the id');
      }
      if (typeof tc.function.arguments === 'string') t.arguments += tc.function.arguments;
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
      finishes++;
      assert.ok(OPENAI_FINISH.has(choice.finish_reason), `finish_reason ${choice.finish_reason}`);
      answer.finish = choice.finish_reason;
    }
  });
  assert.equal(roles, 1, 'exactly one role chunk');
  if (answer.error) {
    assert.equal(done, 0, 'no [DONE] after an error');
  } else {
    assert.equal(done, 1, 'exactly one [DONE]');
    assert.equal(finishes, 1, 'exactly one finish_reason');
    if (opts.includeUsage) assert.equal(usageChunks, 1, 'one usage chunk');
    if (answer.tools.length > 0) assert.equal(answer.finish, 'tool_calls', 'a turn with tool calls finishes with tool_calls');
  }
  return answer;
}

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
