// The Responses stream grammar as its clients need it (docs/protocols/openai-responses.md §3, SPEC §3.1):
// named events whose data type matches, sequence numbers from 0 without gaps, response.created first,
// one response id, every item added before its deltas and done after them, exactly one terminal
// event, last. Codex reports a turn only when the body ends right after response.completed.

import type { DoctorProbe } from '../../doctor/probe.ts';
import type { TimedEvent } from '../../doctor/sse-record.ts';
import type { Check } from '../../doctor/types.ts';
import { cutCheck, GATEWAY, inStreamError, isObj, parseAll, tail, validJson, type Obj, type Parsed, type StreamEnding } from '../../doctor/checks/sequence-common.ts';

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

export function responsesSequenceChecks(events: TimedEvent[], ending: StreamEnding): Check[] {
  // A trailing data: [DONE] is tolerated by openai-node (openai-responses.md §3).
  const parsed = parseAll(events, (e) => e.data === '[DONE]');
  const typed = parsed.filter((p) => isObj(p.json));
  return [responsesValidJson(parsed), responsesStart(typed), responsesIds(typed), responsesEnd(parsed, typed, ending)];
}

function responsesValidJson(parsed: Parsed[]): Check {
  const base = validJson(parsed, 'event', 'send event: <type> plus one single-line JSON data: line whose type equals the event name (docs/protocols/openai-responses.md §3)');
  if (base.status !== 'pass') return base;
  const mismatched = parsed.find((p) => isObj(p.json) && p.event !== '' && p.json.type !== p.event);
  if (mismatched) {
    return {
      name: 'valid-json',
      status: 'fail',
      detail: `event "${mismatched.event}" carries data of type "${String((mismatched.json as Obj).type)}"`,
      culprit: GATEWAY,
      fix: 'the data type must equal the event name (docs/protocols/openai-responses.md §3)',
    };
  }
  const unnamed = parsed.filter((p) => p.event === '' && p.data !== '[DONE]');
  if (unnamed.length > 0) {
    return { name: 'valid-json', status: 'warn', detail: `${unnamed.length} events have no event: line (openai-node 7 needs event: error to raise mid-stream errors)`, culprit: GATEWAY, fix: 'name every event as OpenAI does' };
  }
  return base;
}

function responsesStart(typed: Parsed[]): Check {
  const name = 'stream-start';
  const fix = 'send response.created, then response.in_progress, before anything else (docs/spec.md §3.1)';
  if (typed.length === 0) return { name, status: 'fail', detail: 'no events in the stream', culprit: GATEWAY, fix };
  const first = (typed[0]!.json as Obj).type;
  if (first !== 'response.created') return { name, status: 'fail', detail: `first event is ${String(first)}, not response.created; SDK accumulators fail without it`, culprit: GATEWAY, fix };
  const id = ((typed[0]!.json as Obj).response as Obj | undefined)?.id;
  if (typeof id !== 'string' || id === '') return { name, status: 'fail', detail: 'response.created carries no response id', culprit: GATEWAY, fix };
  return { name, status: 'pass', detail: `response.created first, id ${id}`, data: { id } };
}

function responsesIds(typed: Parsed[]): Check {
  const name = 'consistent-id';
  const fix = 'number events 0, 1, 2… in sequence_number and keep one response id; add each item before its deltas and close it with output_item.done (docs/spec.md §3.1)';
  let expected = 0;
  const ids = new Set<unknown>();
  const open = new Set<unknown>();
  for (const p of typed) {
    const j = p.json as Obj;
    if (j.sequence_number !== expected) {
      return { name, status: 'fail', detail: `event ${String(j.type)} has sequence_number ${String(j.sequence_number)}, expected ${expected}`, culprit: GATEWAY, fix };
    }
    expected++;
    if (isObj(j.response)) ids.add(j.response.id);
    if (j.type === 'response.output_item.added') open.add(j.output_index);
    if (j.type === 'response.output_item.done' && !open.delete(j.output_index)) {
      return { name, status: 'fail', detail: `output_item.done for item ${String(j.output_index)}, which was not added`, culprit: GATEWAY, fix };
    }
  }
  if (ids.size > 1) return { name, status: 'fail', detail: `${ids.size} different response ids`, culprit: GATEWAY, fix, data: { ids: [...ids].slice(0, 5) } };
  const terminal = typed.some((p) => TERMINAL.has(String((p.json as Obj).type)) && (p.json as Obj).type !== 'response.failed');
  if (terminal && open.size > 0) return { name, status: 'fail', detail: `item ${String([...open][0])} was added but never done`, culprit: GATEWAY, fix };
  return { name, status: 'pass', detail: `one response id; sequence numbers 0…${expected - 1} without gaps; items added and done in order` };
}

function responsesEnd(parsed: Parsed[], typed: Parsed[], ending: StreamEnding): Check {
  const name = 'stream-end';
  const error = typed.find((p) => (p.json as Obj).type === 'error' || (p.json as Obj).type === 'response.failed');
  if (error) return inStreamError(error.data);
  const cut = cutCheck(parsed.length, ending, 'response.completed');
  if (cut) return cut;
  const fix = 'end with exactly one response.completed (or response.incomplete) and close the body right after it (Codex, docs/protocols/openai-responses.md §5)';
  const terminals = typed.filter((p) => TERMINAL.has(String((p.json as Obj).type)));
  if (terminals.length === 0) return { name, status: 'fail', detail: 'the stream ended cleanly but without response.completed (Codex retries the whole request)', culprit: GATEWAY, fix };
  if (terminals.length > 1) return { name, status: 'fail', detail: `${terminals.length} terminal events`, culprit: GATEWAY, fix };
  const last = typed[typed.length - 1]!;
  if (last !== terminals[0]) return { name, status: 'fail', detail: `${String((last.json as Obj).type)} follows ${String((terminals[0]!.json as Obj).type)}`, culprit: GATEWAY, fix };
  const response = (last.json as Obj).response as Obj | undefined;
  return tail(ending, { name, status: 'pass', detail: `${String((last.json as Obj).type)} (status ${String(response?.status)}) exactly once, last` });
}

/** `sluice doctor --protocol responses`: POST /v1/responses with a Bearer key. */
export const responsesDoctor: DoctorProbe = {
  name: 'responses',
  headers: (key): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {}),
  chatRequest: (model, prompt, maxTokens) => ({
    path: '/v1/responses',
    body: JSON.stringify({ model, max_output_tokens: Math.max(16, maxTokens), stream: true, store: false, input: prompt }),
  }),
  sequenceChecks: responsesSequenceChecks,
  // The Chat Completions error shape: {"error":{"message",…}}.
  errorMessage(json) {
    const message = (json as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  },
};
