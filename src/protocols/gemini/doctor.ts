// `sluice doctor --protocol gemini`: the Gemini stream grammar as Google's SDK and Gemini CLI need it
// (gemini.md §4, §8.4; SPEC §4.5): data-only events, every one a GenerateContentResponse with one
// candidate, one responseId, and a last chunk with finishReason and usageMetadata — Gemini CLI
// silently retries a stream that ends without a finishReason.

import type { DoctorProbe } from '../../doctor/probe.ts';
import type { TimedEvent } from '../../doctor/sse-record.ts';
import type { Check } from '../../doctor/types.ts';
import { cutCheck, GATEWAY, inStreamError, isObj, parseAll, tail, validJson, type Obj, type Parsed, type StreamEnding } from '../../doctor/checks/sequence-common.ts';

export function geminiSequenceChecks(events: TimedEvent[], ending: StreamEnding): Check[] {
  const parsed = parseAll(events, () => false);
  return [geminiValidJson(parsed), geminiStart(parsed), geminiIds(parsed), geminiEnd(parsed, ending)];
}

function geminiValidJson(parsed: Parsed[]): Check {
  const base = validJson(parsed, 'event', 'send each GenerateContentResponse as one single-line data: event (docs/protocols/gemini.md §4)');
  if (base.status !== 'pass') return base;
  const named = parsed.find((p) => p.event !== '');
  if (named) return { name: 'valid-json', status: 'warn', detail: `events carry event: lines ("${named.event}"); Gemini streams are data-only`, culprit: GATEWAY, fix: 'send data: lines only (docs/protocols/gemini.md §4)' };
  return base;
}

function candidate(p: Parsed): Obj | undefined {
  const c = isObj(p.json) && Array.isArray((p.json as Obj).candidates) ? ((p.json as Obj).candidates as unknown[])[0] : undefined;
  return isObj(c) ? c : undefined;
}

function geminiStart(parsed: Parsed[]): Check {
  const name = 'stream-start';
  const fix = 'every chunk is a GenerateContentResponse: candidates[0].content.role "model" with parts (docs/protocols/gemini.md §3)';
  if (parsed.length === 0) return { name, status: 'fail', detail: 'no events in the stream', culprit: GATEWAY, fix };
  const first = parsed[0]!;
  if (isObj(first.json) && (first.json as Obj).error !== undefined) return { name, status: 'fail', detail: `the first event is an error: ${first.data.slice(0, 200)}`, culprit: GATEWAY, fix };
  const bad = parsed.find((p) => !(isObj(p.json) && (p.json as Obj).error !== undefined) && (candidate(p)?.content as Obj | undefined)?.role !== 'model');
  if (bad) return { name, status: 'fail', detail: `a chunk is not a model candidate: ${bad.data.slice(0, 120)}`, culprit: GATEWAY, fix };
  return { name, status: 'pass', detail: `${parsed.length} chunks, each a GenerateContentResponse` };
}

function geminiIds(parsed: Parsed[]): Check {
  const name = 'consistent-id';
  const ids = new Set(parsed.filter((p) => isObj(p.json) && (p.json as Obj).error === undefined).map((p) => (p.json as Obj).responseId));
  if (ids.size > 1) return { name, status: 'fail', detail: `${ids.size} different responseIds in one stream`, culprit: GATEWAY, fix: 'keep one responseId for the whole stream (docs/protocols/gemini.md §8.4)' };
  const [id] = [...ids];
  return { name, status: 'pass', detail: id === undefined ? 'no responseId (optional)' : `one responseId ${String(id)}` };
}

function geminiEnd(parsed: Parsed[], ending: StreamEnding): Check {
  const name = 'stream-end';
  const last = parsed[parsed.length - 1];
  if (last && isObj(last.json) && (last.json as Obj).error !== undefined) return inStreamError(last.data);
  const cut = cutCheck(parsed.length, ending, 'a chunk with finishReason');
  if (cut) return cut;
  const fix = 'end with a chunk carrying finishReason and usageMetadata; Gemini CLI retries a stream without one (docs/protocols/gemini.md §8.3)';
  const finishes = parsed.filter((p) => typeof candidate(p)?.finishReason === 'string');
  if (finishes.length === 0 || !last) return { name, status: 'fail', detail: 'the stream ended without a finishReason', culprit: GATEWAY, fix };
  if (finishes[finishes.length - 1] !== last) return { name, status: 'fail', detail: 'chunks follow the one with finishReason', culprit: GATEWAY, fix };
  if (!isObj((last.json as Obj).usageMetadata)) return { name, status: 'warn', detail: 'the last chunk has no usageMetadata', culprit: GATEWAY, fix };
  return tail(ending, { name, status: 'pass', detail: `finishReason "${String(candidate(last)!.finishReason)}" with usageMetadata, last` });
}

export const geminiDoctor: DoctorProbe = {
  name: 'gemini',
  headers: (key): Record<string, string> => (key ? { 'x-goog-api-key': key } : {}),
  chatRequest: (model, prompt, maxTokens) => ({
    path: `/v1beta/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`,
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: prompt }] }], generationConfig: { maxOutputTokens: maxTokens } }),
  }),
  sequenceChecks: geminiSequenceChecks,
  // gemini.md §5: {"error":{"code","message","status"}}.
  errorMessage(json) {
    const e = (json as { error?: { message?: unknown; status?: unknown } } | null)?.error;
    return typeof e?.message === 'string' && typeof e.status === 'string' ? e.message : undefined;
  },
};
