// SPEC §4.5 for the OpenAI chat front, as an executable check (protocols/plugin.ts FrontConformance):
// parses the raw SSE a client received and returns the answer it carries.

import assert from 'node:assert/strict';
import { parseWire, type FrontAnswer } from '../shared/conformance.ts';
import type { FrontConformance } from '../plugin.ts';

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


export const openaiConformance: FrontConformance = {
  check: (output, opts) => checkOpenAIStream(output, opts.model, opts),
};
