// The Anthropic stream grammar as the SDKs need it (anthropic-messages.md §6–§8, SPEC §4.5): named
// events whose data type matches, message_start first and once, blocks opened, delta'd and stopped in
// order, message_delta with stop_reason, message_stop exactly once and last.

import type { DoctorProbe } from '../../doctor/probe.ts';
import type { TimedEvent } from '../../doctor/sse-record.ts';
import type { Check } from '../../doctor/types.ts';
import { cutCheck, GATEWAY, inStreamError, isObj, parseAll, tail, validJson, type Obj, type Parsed, type StreamEnding } from '../../doctor/checks/sequence-common.ts';

export function anthropicSequenceChecks(events: TimedEvent[], ending: StreamEnding): Check[] {
  // A trailing data: [DONE] is not Anthropic's, but harmless to its TypeScript SDK (anthropic-messages.md §8).
  const parsed = parseAll(events, (e) => e.data === '[DONE]');
  const typed = parsed.filter((p) => isObj(p.json) && p.event !== 'ping');
  return [anthropicValidJson(parsed), anthropicStart(typed), anthropicBlocks(typed), anthropicEnd(parsed, typed, ending)];
}

function anthropicValidJson(parsed: Parsed[]): Check {
  const base = validJson(parsed, 'event', 'send event: <type> plus one single-line JSON data: line whose type equals the event name (docs/protocols/anthropic-messages.md §6)');
  if (base.status !== 'pass') return base;
  const unnamed = parsed.filter((p) => p.event === '' && p.data !== '[DONE]');
  if (unnamed.length > 0) {
    return {
      name: 'valid-json',
      status: 'fail',
      detail: `${unnamed.length} events have no event: line; the Anthropic SDK silently drops them`,
      culprit: GATEWAY,
      fix: 'name every event (event: message_start, …) as Anthropic does (docs/protocols/anthropic-messages.md §8)',
    };
  }
  const mismatched = parsed.find((p) => p.data !== '[DONE]' && isObj(p.json) && p.json.type !== p.event);
  if (mismatched) {
    return {
      name: 'valid-json',
      status: 'fail',
      detail: `event "${mismatched.event}" carries data of type "${String((mismatched.json as Obj).type)}"`,
      culprit: GATEWAY,
      fix: 'the data type must equal the event name (docs/protocols/anthropic-messages.md §6)',
    };
  }
  if (parsed.some((p) => p.data === '[DONE]')) {
    return { name: 'valid-json', status: 'warn', detail: 'every event is valid JSON, but an OpenAI-style data: [DONE] follows (some Anthropic SDKs choke on it)', culprit: GATEWAY, fix: 'end Anthropic streams with event: message_stop only' };
  }
  return base;
}

function anthropicStart(typed: Parsed[]): Check {
  const name = 'stream-start';
  const fix = 'send exactly one message_start, before anything else but ping (docs/protocols/anthropic-messages.md §8)';
  const starts = typed.filter((p) => p.event === 'message_start').length;
  if (typed.length === 0) return { name, status: 'fail', detail: 'no events in the stream', culprit: GATEWAY, fix };
  if (typed[0]!.event !== 'message_start') {
    return { name, status: 'fail', detail: `first event is ${typed[0]!.event || '(unnamed)'}, not message_start; MessageStream throws "Unexpected event order"`, culprit: GATEWAY, fix };
  }
  if (starts > 1) return { name, status: 'fail', detail: `${starts} message_start events (expected one)`, culprit: GATEWAY, fix };
  const id = (((typed[0]!.json as Obj).message as Obj | undefined)?.id as string | undefined) ?? '';
  if (!id) return { name, status: 'fail', detail: 'message_start carries no message id', culprit: GATEWAY, fix };
  return { name, status: 'pass', detail: `message_start first, once, id ${id}`, data: { id } };
}

/** The one-id rule is message_start's; for Anthropic the block structure is what SDKs trip over. */
function anthropicBlocks(typed: Parsed[]): Check {
  const name = 'consistent-id';
  const fix = 'open, delta and stop content blocks in order with indices 0, 1, 2… (docs/spec.md §4.5)';
  const open = new Set<number>();
  let next = 0;
  for (const p of typed) {
    const index = (p.json as Obj).index;
    if (p.event === 'content_block_start') {
      if (index !== next) return { name, status: 'fail', detail: `content_block_start index ${String(index)}, expected ${next}`, culprit: GATEWAY, fix };
      open.add(next++);
    } else if (p.event === 'content_block_delta' && !open.has(index as number)) {
      return { name, status: 'fail', detail: `content_block_delta for block ${String(index)}, which is not open`, culprit: GATEWAY, fix };
    } else if (p.event === 'content_block_stop') {
      if (!open.delete(index as number)) return { name, status: 'fail', detail: `content_block_stop for block ${String(index)}, which is not open`, culprit: GATEWAY, fix };
    }
  }
  if (open.size > 0) return { name, status: 'fail', detail: `block ${[...open][0]} was opened but never stopped`, culprit: GATEWAY, fix };
  return { name, status: 'pass', detail: `one message id; ${next} content ${next === 1 ? 'block' : 'blocks'} opened and stopped in order` };
}

function anthropicEnd(parsed: Parsed[], typed: Parsed[], ending: StreamEnding): Check {
  const name = 'stream-end';
  const error = typed.find((p) => p.event === 'error');
  if (error) return inStreamError(error.data);
  const cut = cutCheck(parsed.length, ending, 'message_stop');
  if (cut) return cut;
  const fix = 'end with message_delta (stop_reason, usage.output_tokens), then message_stop exactly once (docs/protocols/anthropic-messages.md §8)';
  const stops = typed.filter((p) => p.event === 'message_stop').length;
  const delta = typed.find((p) => p.event === 'message_delta');
  const last = typed[typed.length - 1];
  if (stops === 0) return { name, status: 'fail', detail: 'the stream ended cleanly but without message_stop', culprit: GATEWAY, fix };
  if (stops > 1) return { name, status: 'fail', detail: `message_stop arrived ${stops} times`, culprit: GATEWAY, fix };
  if (last?.event !== 'message_stop') return { name, status: 'fail', detail: `${last?.event} follows message_stop`, culprit: GATEWAY, fix };
  const reason = ((delta?.json as Obj | undefined)?.delta as Obj | undefined)?.stop_reason;
  if (!delta || reason === undefined || reason === null) return { name, status: 'fail', detail: 'no message_delta with stop_reason before message_stop', culprit: GATEWAY, fix };
  return tail(ending, { name, status: 'pass', detail: `message_delta stop_reason "${String(reason)}", then message_stop exactly once, last` });
}

/** `sluice doctor --protocol anthropic`: POST /v1/messages with x-api-key and a version header. */
export const anthropicDoctor: DoctorProbe = {
  name: 'anthropic',
  // Anthropic clients always send a version; sluice defaults it, a real Anthropic endpoint requires it.
  headers: (key) => ({ 'anthropic-version': '2023-06-01', ...(key ? { 'x-api-key': key } : {}) }),
  chatRequest: (model, prompt, maxTokens) => ({
    path: '/v1/messages',
    body: JSON.stringify({ model, max_tokens: maxTokens, stream: true, messages: [{ role: 'user', content: prompt }] }),
  }),
  sequenceChecks: anthropicSequenceChecks,
  // anthropic-messages.md §7: {"type":"error","error":{"type","message"}}.
  errorMessage(json) {
    const j = json as { type?: unknown; error?: { message?: unknown; type?: unknown } } | null;
    if (j?.type !== 'error' || typeof j.error?.type !== 'string' || typeof j.error.message !== 'string') return undefined;
    return j.error.message;
  },
};
