// The stream's grammar, as the official SDKs need it (openai-chat.md §6–§8, anthropic-messages.md
// §6–§8, SPEC §4.5): start frame first, one id, every data line JSON, the terminal marker exactly once
// and last. Input: the recorded events of one streaming response.

import type { TimedEvent } from '../sse-record.ts';
import type { Check } from '../types.ts';

export interface StreamEnding {
  /** How the body ended (from the HTTP exchange). */
  end: 'complete' | 'cut' | 'timeout' | 'stopped';
  error?: string;
  unterminatedTail: boolean;
  /** Who to blame for a cut stream. */
  hopsText?: string;
}

interface Parsed {
  event: string;
  data: string;
  json: unknown;
  ok: boolean;
}

type Obj = Record<string, unknown>;

const GATEWAY = 'the gateway (or its upstream, passed through unchecked)';

export function openaiSequenceChecks(events: TimedEvent[], ending: StreamEnding): Check[] {
  const parsed = parseAll(events, (e) => e.data === '[DONE]');
  const chunks = parsed.filter((p) => p.ok && isObj(p.json) && !('error' in p.json)).map((p) => p.json as Obj);
  return [openaiValidJson(parsed), openaiStart(chunks), openaiIds(chunks), openaiEnd(parsed, chunks, ending)];
}

function openaiValidJson(parsed: Parsed[]): Check {
  const named = parsed.filter((p) => p.event !== '' && p.event !== 'message');
  const base = validJson(parsed, 'data line', 'emit one single-line JSON document per data: line, and only data: [DONE] as the end marker (sse.md §5)');
  if (base.status !== 'pass' || named.length === 0) return base;
  return {
    name: 'valid-json',
    status: 'warn',
    detail: `${named.length} events carry an event: name ("${named[0]!.event}") on the OpenAI front; openai-node v4 yields them wrapped, not as chunks`,
    culprit: GATEWAY,
    fix: 'send OpenAI chunks as data: lines only, without event: names (openai-chat.md §8)',
  };
}

function openaiStart(chunks: Obj[]): Check {
  const name = 'stream-start';
  if (chunks.length === 0) return { name, status: 'fail', detail: 'no chat.completion.chunk in the stream', culprit: GATEWAY, fix: 'stream chat.completion.chunk objects (openai-chat.md §6)' };
  const roleAt: number[] = [];
  chunks.forEach((c, i) => {
    if (firstChoice(c)?.delta && (firstChoice(c)!.delta as Obj).role !== undefined) roleAt.push(i);
  });
  const fix = 'send delta.role "assistant" in the first chunk, and only there (SPEC §4.1)';
  if (roleAt.length === 0) {
    return { name, status: 'fail', detail: 'no chunk carries delta.role; openai-node ChatCompletionStream fails without it', culprit: GATEWAY, fix };
  }
  if (roleAt[0] !== 0) return { name, status: 'fail', detail: `the role chunk is chunk #${roleAt[0]! + 1}, not the first`, culprit: GATEWAY, fix };
  if (roleAt.length > 1) return { name, status: 'fail', detail: `${roleAt.length} chunks carry delta.role (expected exactly one)`, culprit: GATEWAY, fix };
  return { name, status: 'pass', detail: 'the first chunk carries delta.role "assistant", and only it' };
}

function openaiIds(chunks: Obj[]): Check {
  const name = 'consistent-id';
  const ids = new Set(chunks.map((c) => c.id));
  const created = new Set(chunks.map((c) => c.created));
  const fix = 'one id (chatcmpl-…) and one created for every chunk of a response (SPEC §4.1)';
  if (chunks.length === 0) return { name, status: 'skip', detail: 'no chunks to compare' };
  if (ids.has(undefined) || ids.has('')) return { name, status: 'fail', detail: 'some chunks have no id', culprit: GATEWAY, fix };
  if (ids.size > 1) return { name, status: 'fail', detail: `${ids.size} different ids across ${chunks.length} chunks`, culprit: GATEWAY, fix, data: { ids: [...ids].slice(0, 5) } };
  if (created.size > 1) return { name, status: 'warn', detail: `one id, but ${created.size} different created values`, culprit: GATEWAY, fix };
  return { name, status: 'pass', detail: `one id (${String([...ids][0])}) across ${chunks.length} chunks`, data: { id: [...ids][0] } };
}

function openaiEnd(parsed: Parsed[], chunks: Obj[], ending: StreamEnding): Check {
  const name = 'stream-end';
  const errorChunk = parsed.find((p) => p.ok && isObj(p.json) && 'error' in p.json);
  if (errorChunk) return inStreamError(errorChunk.data);
  const cut = cutCheck(parsed.length, ending, 'data: [DONE]');
  if (cut) return cut;
  const doneAt = parsed.flatMap((p, i) => (p.data === '[DONE]' ? [i] : []));
  const finishAt = chunks.findIndex((c) => {
    const reason = firstChoice(c)?.finish_reason;
    return reason !== null && reason !== undefined;
  });
  const fix = 'end with a chunk carrying finish_reason, then data: [DONE] exactly once (SPEC §4.5)';
  if (doneAt.length === 0) return { name, status: 'fail', detail: 'the stream ended cleanly but without data: [DONE]', culprit: GATEWAY, fix };
  if (doneAt.length > 1) return { name, status: 'fail', detail: `data: [DONE] arrived ${doneAt.length} times`, culprit: GATEWAY, fix };
  if (doneAt[0] !== parsed.length - 1) return { name, status: 'fail', detail: `${parsed.length - 1 - doneAt[0]!} events follow data: [DONE]`, culprit: GATEWAY, fix };
  if (finishAt < 0) return { name, status: 'fail', detail: 'no chunk carries finish_reason (openai-node and the AI SDK report an error)', culprit: GATEWAY, fix };
  const reason = String(firstChoice(chunks[finishAt]!)!.finish_reason);
  return tail(ending, { name, status: 'pass', detail: `finish_reason "${reason}", then data: [DONE] exactly once, last` });
}

export function anthropicSequenceChecks(events: TimedEvent[], ending: StreamEnding): Check[] {
  // A trailing data: [DONE] is not Anthropic's, but harmless to its TypeScript SDK (anthropic-messages.md §8).
  const parsed = parseAll(events, (e) => e.data === '[DONE]');
  const typed = parsed.filter((p) => isObj(p.json) && p.event !== 'ping');
  return [anthropicValidJson(parsed), anthropicStart(typed), anthropicBlocks(typed), anthropicEnd(parsed, typed, ending)];
}

function anthropicValidJson(parsed: Parsed[]): Check {
  const base = validJson(parsed, 'event', 'send event: <type> plus one single-line JSON data: line whose type equals the event name (anthropic-messages.md §6)');
  if (base.status !== 'pass') return base;
  const unnamed = parsed.filter((p) => p.event === '' && p.data !== '[DONE]');
  if (unnamed.length > 0) {
    return {
      name: 'valid-json',
      status: 'fail',
      detail: `${unnamed.length} events have no event: line; the Anthropic SDK silently drops them`,
      culprit: GATEWAY,
      fix: 'name every event (event: message_start, …) as Anthropic does (anthropic-messages.md §8)',
    };
  }
  const mismatched = parsed.find((p) => p.data !== '[DONE]' && isObj(p.json) && p.json.type !== p.event);
  if (mismatched) {
    return {
      name: 'valid-json',
      status: 'fail',
      detail: `event "${mismatched.event}" carries data of type "${String((mismatched.json as Obj).type)}"`,
      culprit: GATEWAY,
      fix: 'the data type must equal the event name (anthropic-messages.md §6)',
    };
  }
  if (parsed.some((p) => p.data === '[DONE]')) {
    return { name: 'valid-json', status: 'warn', detail: 'every event is valid JSON, but an OpenAI-style data: [DONE] follows (some Anthropic SDKs choke on it)', culprit: GATEWAY, fix: 'end Anthropic streams with event: message_stop only' };
  }
  return base;
}

function anthropicStart(typed: Parsed[]): Check {
  const name = 'stream-start';
  const fix = 'send exactly one message_start, before anything else but ping (anthropic-messages.md §8)';
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
  const fix = 'open, delta and stop content blocks in order with indices 0, 1, 2… (SPEC §4.5)';
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
  const fix = 'end with message_delta (stop_reason, usage.output_tokens), then message_stop exactly once (anthropic-messages.md §8)';
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

function parseAll(events: TimedEvent[], isMarker: (e: TimedEvent) => boolean): Parsed[] {
  return events.map((e) => {
    if (isMarker(e)) return { event: e.event, data: e.data, json: undefined, ok: true };
    try {
      return { event: e.event, data: e.data, json: JSON.parse(e.data), ok: true };
    } catch {
      return { event: e.event, data: e.data, json: undefined, ok: false };
    }
  });
}

function validJson(parsed: Parsed[], what: string, fix: string): Check {
  const bad = parsed.filter((p) => !p.ok);
  if (bad.length === 0) return { name: 'valid-json', status: 'pass', detail: `${parsed.length} ${what}s, every one valid JSON` };
  return {
    name: 'valid-json',
    status: 'fail',
    detail: `${bad.length} of ${parsed.length} ${what}s are not JSON, first: ${JSON.stringify(bad[0]!.data.slice(0, 80))}`,
    culprit: GATEWAY,
    fix,
  };
}

function inStreamError(data: string): Check {
  return {
    name: 'stream-end',
    status: 'fail',
    detail: `the stream ended with an in-stream error: ${data.slice(0, 200)}`,
    culprit: 'the upstream model failed mid-stream (the gateway reported it correctly)',
    fix: 'check the gateway log for this request id; try another --model',
  };
}

function cutCheck(events: number, ending: StreamEnding, marker: string): Check | undefined {
  if (ending.end === 'complete' || ending.end === 'stopped') return undefined;
  const how = ending.end === 'timeout' ? 'did not finish in time' : `was cut (${ending.error ?? 'connection closed'})`;
  return {
    name: 'stream-end',
    status: 'fail',
    detail: `the stream ${how} after ${events} events, before ${marker}`,
    culprit: ending.hopsText ? `${ending.hopsText} or the gateway closed the stream` : 'a hop or the gateway closed the stream',
    fix: 'check the proxy and gateway logs for this request; raise proxy read/idle timeouts above the keepalive interval',
  };
}

/** A clean stream whose last event lacked its blank line: tolerated by lenient parsers only. */
function tail(ending: StreamEnding, check: Check): Check {
  if (!ending.unterminatedTail) return check;
  return {
    ...check,
    status: 'warn',
    detail: `${check.detail}, but the last event had no terminating blank line (spec-compliant parsers drop it)`,
    culprit: GATEWAY,
    fix: 'terminate every event with a blank line (sse.md §5)',
  };
}

function firstChoice(chunk: Obj): Obj | undefined {
  const choices = chunk.choices;
  return Array.isArray(choices) && isObj(choices[0]) ? choices[0] : undefined;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
