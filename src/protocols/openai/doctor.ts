// The OpenAI stream grammar as the SDKs need it (openai-chat.md §6–§8, SPEC §4.5): the role chunk
// first and only there, one id and created, every data line JSON, finish_reason then data: [DONE]
// exactly once and last.

import type { DoctorProbe } from '../../doctor/probe.ts';
import type { TimedEvent } from '../../doctor/sse-record.ts';
import type { Check } from '../../doctor/types.ts';
import { cutCheck, GATEWAY, inStreamError, isObj, parseAll, tail, validJson, type Obj, type Parsed, type StreamEnding } from '../../doctor/checks/sequence-common.ts';

export function openaiSequenceChecks(events: TimedEvent[], ending: StreamEnding): Check[] {
  const parsed = parseAll(events, (e) => e.data === '[DONE]');
  const chunks = parsed.filter((p) => p.ok && isObj(p.json) && !('error' in p.json)).map((p) => p.json as Obj);
  return [openaiValidJson(parsed), openaiStart(chunks), openaiIds(chunks), openaiEnd(parsed, chunks, ending)];
}

function openaiValidJson(parsed: Parsed[]): Check {
  const named = parsed.filter((p) => p.event !== '' && p.event !== 'message');
  const base = validJson(parsed, 'data line', 'emit one single-line JSON document per data: line, and only data: [DONE] as the end marker (docs/protocols/sse.md §5)');
  if (base.status !== 'pass' || named.length === 0) return base;
  return {
    name: 'valid-json',
    status: 'warn',
    detail: `${named.length} events carry an event: name ("${named[0]!.event}") on the OpenAI front; openai-node v4 yields them wrapped, not as chunks`,
    culprit: GATEWAY,
    fix: 'send OpenAI chunks as data: lines only, without event: names (docs/protocols/openai-chat.md §8)',
  };
}

function openaiStart(chunks: Obj[]): Check {
  const name = 'stream-start';
  if (chunks.length === 0) return { name, status: 'fail', detail: 'no chat.completion.chunk in the stream', culprit: GATEWAY, fix: 'stream chat.completion.chunk objects (docs/protocols/openai-chat.md §6)' };
  const roleAt: number[] = [];
  chunks.forEach((c, i) => {
    if (firstChoice(c)?.delta && (firstChoice(c)!.delta as Obj).role !== undefined) roleAt.push(i);
  });
  const fix = 'send delta.role "assistant" in the first chunk, and only there (docs/spec.md §4.1)';
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
  const fix = 'one id (chatcmpl-…) and one created for every chunk of a response (docs/spec.md §4.1)';
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
  const fix = 'end with a chunk carrying finish_reason, then data: [DONE] exactly once (docs/spec.md §4.5)';
  if (doneAt.length === 0) return { name, status: 'fail', detail: 'the stream ended cleanly but without data: [DONE]', culprit: GATEWAY, fix };
  if (doneAt.length > 1) return { name, status: 'fail', detail: `data: [DONE] arrived ${doneAt.length} times`, culprit: GATEWAY, fix };
  if (doneAt[0] !== parsed.length - 1) return { name, status: 'fail', detail: `${parsed.length - 1 - doneAt[0]!} events follow data: [DONE]`, culprit: GATEWAY, fix };
  if (finishAt < 0) return { name, status: 'fail', detail: 'no chunk carries finish_reason (openai-node and the AI SDK report an error)', culprit: GATEWAY, fix };
  const reason = String(firstChoice(chunks[finishAt]!)!.finish_reason);
  return tail(ending, { name, status: 'pass', detail: `finish_reason "${reason}", then data: [DONE] exactly once, last` });
}

function firstChoice(chunk: Obj): Obj | undefined {
  const choices = chunk.choices;
  return Array.isArray(choices) && isObj(choices[0]) ? choices[0] : undefined;
}

/** `sluice doctor --protocol openai`: POST /v1/chat/completions with a Bearer key. */
export const openaiDoctor: DoctorProbe = {
  name: 'openai',
  headers: (key): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {}),
  chatRequest: (model, prompt, maxTokens) => ({
    path: '/v1/chat/completions',
    body: JSON.stringify({ model, max_tokens: maxTokens, stream: true, messages: [{ role: 'user', content: prompt }] }),
  }),
  sequenceChecks: openaiSequenceChecks,
  // openai-chat.md §7: {"error":{"message",…}}.
  errorMessage(json) {
    const message = (json as { error?: { message?: unknown } } | null)?.error?.message;
    return typeof message === 'string' ? message : undefined;
  },
};
