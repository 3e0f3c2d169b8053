// SPEC §3.1 and §4.5 for the Responses front, as executable checks: whatever the upstream sent, the
// stream a Responses client receives obeys these. Used by the conformance suite, `sluice doctor
// --protocol responses` and the tests. Returns the problems found (empty: conformant) and the answer
// the stream carries, so a caller can also check that nothing was lost in translation.

import assert from 'node:assert/strict';
import { SseDecoder } from '../../sse/decoder.ts';
import type { FrontAnswer, FrontConformance } from '../plugin.ts';

export interface ResponsesAnswer {
  text: string;
  reasoning: string;
  tools: Array<{ id: string; name: string; arguments: string }>;
  /** The terminal event's response.status. */
  status?: string;
  usage?: Record<string, unknown>;
  error?: { code: string; message: string };
  responseId?: string;
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export function checkResponsesStream(output: string): { problems: string[]; answer: ResponsesAnswer } {
  const problems: string[] = [];
  const answer: ResponsesAnswer = { text: '', reasoning: '', tools: [] };
  const problem = (p: string): void => {
    if (!problems.includes(p)) problems.push(p);
  };
  if (output !== '' && !output.endsWith('\n\n')) problem('the stream does not end with a blank line');
  if (output.includes('\r')) problem('the writer emitted a CR');

  const events: Array<{ event: string; data: string }> = [];
  const decoder = new SseDecoder({ onEvent: (data, event) => events.push({ event, data }) });
  decoder.push(Buffer.from(output));
  decoder.end();
  if (events.length === 0) return { problems: ['no events'], answer };

  let expectedSeq = 0;
  let terminals = 0;
  let afterTerminal = false;
  let responseId: string | undefined;
  const added = new Map<number, { id: string; type: string }>();
  const doneItems: unknown[] = [];
  let openIndex = -1;
  const textParts = new Map<string, string>();
  const args = new Map<string, string>();
  let partOpen = new Set<string>();
  let sawError = false;

  events.forEach((ev, i) => {
    let d: Record<string, any>;
    try {
      d = JSON.parse(ev.data) as Record<string, any>;
    } catch {
      problem(`event ${i} is not JSON`);
      return;
    }
    const type = String(d.type);
    if (ev.event !== type) problem(`event ${i}: the event: line (${ev.event || 'none'}) differs from data.type (${type})`);
    if (d.sequence_number !== expectedSeq) problem(`event ${i} (${type}): sequence_number ${d.sequence_number}, expected ${expectedSeq}`);
    expectedSeq = (typeof d.sequence_number === 'number' ? d.sequence_number : expectedSeq) + 1;
    if (afterTerminal) problem(`${type} after the terminal event`);
    if (i === 0 && type !== 'response.created') problem('the first event is not response.created');
    if (i === 1 && type !== 'response.in_progress' && !TERMINAL.has(type) && type !== 'error') problem('the second event is not response.in_progress');
    if (sawError && type !== 'response.failed') problem(`${type} after an error event`);

    switch (type) {
      case 'response.created':
        if (i !== 0) problem('response.created is not first');
        responseId = d.response?.id;
        if (typeof responseId !== 'string' || !responseId.startsWith('resp_')) problem('the response id does not start with resp_');
        if (d.response?.status !== 'in_progress') problem('response.created status is not in_progress');
        break;
      case 'response.output_item.added': {
        const index = d.output_index;
        if (openIndex >= 0) problem(`item ${index} added while item ${openIndex} is open`);
        if (index !== added.size) problem(`output_index ${index} is not the next index (${added.size})`);
        const item = d.item ?? {};
        added.set(index, { id: item.id, type: item.type });
        openIndex = index;
        if (typeof item.id !== 'string' || item.id === '') problem(`item ${index} has no id`);
        if (item.type === 'function_call') {
          if (!String(item.id).startsWith('fc_')) problem(`function_call item id ${item.id} does not start with fc_`);
          if (item.id === item.call_id) problem('a function_call item id equals its call_id');
          args.set(item.id, '');
        }
        if (item.type === 'custom_tool_call') args.set(item.id, '');
        break;
      }
      case 'response.content_part.added':
        if (partOpen.has(d.item_id)) problem(`two content parts open in ${d.item_id}`);
        partOpen.add(d.item_id);
        textParts.set(d.item_id, '');
        break;
      case 'response.output_text.delta':
        if (!partOpen.has(d.item_id)) problem('output_text.delta outside a content part');
        if (added.get(d.output_index)?.id !== d.item_id) problem('output_text.delta names another item than its output_index');
        textParts.set(d.item_id, (textParts.get(d.item_id) ?? '') + d.delta);
        answer.text += d.delta;
        break;
      case 'response.output_text.done':
        if (d.text !== textParts.get(d.item_id)) problem('output_text.done text differs from its deltas');
        break;
      case 'response.content_part.done':
        if (!partOpen.has(d.item_id)) problem('content_part.done without content_part.added');
        partOpen.delete(d.item_id);
        break;
      case 'response.reasoning_summary_text.delta':
        answer.reasoning += d.delta;
        break;
      case 'response.function_call_arguments.delta':
        args.set(d.item_id, (args.get(d.item_id) ?? '') + d.delta);
        break;
      case 'response.function_call_arguments.done':
        if (d.arguments !== args.get(d.item_id)) problem('function_call_arguments.done differs from its deltas');
        if (d.arguments !== '') {
          try {
            JSON.parse(d.arguments);
          } catch {
            problem(`function call arguments are not valid JSON: ${String(d.arguments).slice(0, 60)}`);
          }
        }
        break;
      case 'response.custom_tool_call_input.delta':
        args.set(d.item_id, (args.get(d.item_id) ?? '') + d.delta);
        break;
      case 'response.output_item.done': {
        const index = d.output_index;
        const item = d.item ?? {};
        if (index !== openIndex) problem(`output_item.done for ${index} but ${openIndex} is open`);
        if (added.get(index)?.id !== item.id) problem(`output_item.done id ${item.id} differs from the added item`);
        if (partOpen.has(item.id)) problem(`item ${item.id} done with a content part open`);
        openIndex = -1;
        doneItems[index] = item;
        if (item.type === 'function_call') answer.tools.push({ id: item.call_id, name: item.name, arguments: item.arguments });
        if (item.type === 'custom_tool_call') answer.tools.push({ id: item.call_id, name: item.name, arguments: item.input });
        break;
      }
      case 'error':
        sawError = true;
        if (typeof d.message !== 'string' || typeof d.error?.message !== 'string') problem('the error event lacks message or error.message');
        break;
      default:
        if (TERMINAL.has(type)) {
          terminals++;
          afterTerminal = true;
          const r = d.response ?? {};
          answer.status = r.status;
          answer.responseId = r.id;
          if (r.id !== responseId) problem('the terminal response id differs from response.created');
          const expected = type.slice('response.'.length);
          if (r.status !== (expected === 'completed' ? 'completed' : expected === 'incomplete' ? 'incomplete' : 'failed')) {
            problem(`${type} carries status ${r.status}`);
          }
          if (type === 'response.failed') {
            if (typeof r.error?.message !== 'string') problem('response.failed has no error.message');
            answer.error = { code: String(r.error?.code), message: String(r.error?.message) };
          } else {
            if (openIndex >= 0) problem(`${type} while item ${openIndex} is open`);
            if (JSON.stringify(r.output) !== JSON.stringify(doneItems)) problem(`${type} output differs from the items streamed`);
            const u = r.usage;
            if (u) {
              answer.usage = u;
              if (u.total_tokens !== u.input_tokens + u.output_tokens) problem('usage.total_tokens is not input + output');
              if (typeof u.input_tokens_details?.cached_tokens !== 'number') problem('usage lacks input_tokens_details.cached_tokens');
              if (typeof u.output_tokens_details?.reasoning_tokens !== 'number') problem('usage lacks output_tokens_details.reasoning_tokens');
            }
          }
        }
    }
  });
  if (terminals !== 1) problem(`${terminals} terminal events (exactly one expected)`);
  if (!afterTerminal) problem('the stream does not end with a terminal event');
  partOpen = new Set();
  return { problems, answer };
}

/** Protocol.conformance: the checks above as assertions, and the answer in the suite's shape. */
export const responsesConformance: FrontConformance = {
  check(output) {
    const { problems, answer } = checkResponsesStream(output);
    assert.deepEqual(problems, [], 'the Responses stream obeys docs/spec.md §3.1');
    const out: FrontAnswer = { text: answer.text, reasoning: answer.reasoning, tools: answer.tools };
    if (answer.status !== undefined) out.finish = answer.status;
    if (answer.usage !== undefined) out.usage = answer.usage;
    if (answer.error !== undefined) out.error = { type: answer.error.code, message: answer.error.message };
    return out;
  },
};
