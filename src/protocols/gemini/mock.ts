// Gemini generateContent / streamGenerateContent as the mock speaks it (protocols/gemini.md §3–§5):
// data-only chunks, cumulative usageMetadata on every chunk, finishReason on the last, whole
// functionCall parts without ids, no [DONE].

import type { Finish } from '../../mock/directives.ts';
import { MOCK_EMBEDDING_DIMENSIONS, MOCK_MAX_DIMENSIONS, mockEmbedding } from '../../mock/embeddings.ts';
import {
  type Dialect,
  type Inspected,
  type MockContext,
  type Refusal,
  type RouteInfo,
  type SseEvent,
  type StreamContext,
  contentText,
  isObject,
  lastUserText,
} from '../../mock/dialect.ts';
import { cachedContentEndpoints, cachedContentsOf, requireGoogleKey } from './mock-cache.ts';

/**
 * The thoughtSignature this mock issues, and the one the Vertex mock issues instead (vertex/mock.ts).
 * Each refuses the other's with its provider's 400, as Google does (Q-40: a signature is valid only
 * where it was issued).
 */
export const GEMINI_API_SIGNATURE = 'bW9jay10aG91Z2h0LXNpZ25hdHVyZQ==';
export const VERTEX_SIGNATURE = Buffer.from('mock-vertex-thought-signature').toString('base64');
const SIGNATURE_FIELD = `,"thoughtSignature":"${GEMINI_API_SIGNATURE}"`;

/** A 400 when a content part carries `foreign` as its thoughtSignature. */
export function refuseSignature(body: unknown, foreign: string, message: string): Refusal | undefined {
  if (!isObject(body) || !Array.isArray(body.contents)) return undefined;
  for (const content of body.contents) {
    if (!isObject(content) || !Array.isArray(content.parts)) continue;
    for (const part of content.parts) {
      if (isObject(part) && (part.thoughtSignature === foreign || part.thought_signature === foreign)) return { status: 400, message };
    }
  }
  return undefined;
}

/** §3 finishReason for the canonical finish: STOP also ends tool turns. */
const FINISH_REASON: Record<Finish, string> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  content_filter: 'SAFETY',
  tool_calls: 'STOP',
};

/** A part without its closing brace, so a thoughtSignature can still be appended. */
interface Chunk {
  partOpen: string;
  candidates: number;
  thoughts: number;
  call: boolean;
}

function chunks(ctx: StreamContext): Chunk[] {
  const { answer, plan } = ctx;
  const out: Chunk[] = [];
  for (const r of answer.reasoning) out.push({ partOpen: `{"text":${JSON.stringify(r)},"thought":true`, candidates: 0, thoughts: 1, call: false });
  for (let i = 0; i < answer.text.length; i++) {
    out.push({ partOpen: '{"text":' + answer.textJson[i], candidates: 1, thoughts: 0, call: false });
    if (i === 0 && plan.faults.has('empty_deltas')) out.push({ partOpen: '{"text":""', candidates: 0, thoughts: 0, call: false });
  }
  for (const call of answer.toolCalls) {
    out.push({ partOpen: `{"functionCall":{"name":${call.nameJson},"args":${answer.argsJson}}`, candidates: 10, thoughts: 0, call: true });
  }
  // §6: without calls, a thinking model signs the last part — a trailing empty text part.
  if (out.length === 0 || (answer.reasoning.length > 0 && answer.toolCalls.length === 0)) {
    out.push({ partOpen: '{"text":""', candidates: 0, thoughts: 0, call: false });
  }
  return out;
}

/** Index of the part that carries the thoughtSignature, or -1 (only thinking answers sign). */
function signedIndex(ctx: StreamContext, list: Chunk[]): number {
  if (ctx.answer.reasoning.length === 0) return -1;
  const firstCall = list.findIndex((c) => c.call);
  return firstCall >= 0 ? firstCall : list.length - 1;
}

/** §3 usageMetadata: promptTokenCount includes the cached tokens (cached=), candidates exclude thoughts. */
function usageJson(input: number, candidates: number, thoughts: number, withThoughts: boolean, cached = 0): string {
  return (
    `{"promptTokenCount":${input},"candidatesTokenCount":${candidates},"totalTokenCount":${input + candidates + thoughts}` +
    (cached > 0 ? `,"cachedContentTokenCount":${cached}` : '') +
    (withThoughts ? `,"thoughtsTokenCount":${thoughts}}` : '}')
  );
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  const { answer } = ctx;
  const usage = answer.usage;
  const list = chunks(ctx);
  const signed = signedIndex(ctx, list);
  const withThoughts = answer.reasoning.length > 0;
  const tail = `,"modelVersion":${ctx.modelJson},"responseId":"mock${ctx.requestId}"}`;
  const finish = `,"finishReason":"${FINISH_REASON[answer.finish]}"`;
  const events: SseEvent[] = [];
  let candidates = 0;
  let thoughts = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    candidates += c.candidates;
    thoughts += c.thoughts;
    const last = i === list.length - 1;
    const data =
      '{"candidates":[{"content":{"role":"model","parts":[' +
      c.partOpen +
      (i === signed ? SIGNATURE_FIELD : '') +
      '}]}' +
      (last ? finish : '') +
      ',"index":0}]' +
      (usage ? `,"usageMetadata":${usageJson(usage.input, candidates, thoughts, withThoughts, usage.cacheRead)}` : '') +
      tail;
    events.push(last ? { data, final: true } : { data });
  }
  return events;
}

function responseJson(ctx: StreamContext): string {
  const { answer } = ctx;
  const parts: string[] = [];
  if (answer.reasoning.length > 0) parts.push(`{"text":${JSON.stringify(answer.reasoning.join(''))},"thought":true`);
  if (answer.text.length > 0) parts.push(`{"text":${JSON.stringify(answer.text.join(''))}`);
  const firstCall = parts.length;
  for (const call of answer.toolCalls) parts.push(`{"functionCall":{"name":${call.nameJson},"args":${answer.argsJson}}`);
  if (parts.length === 0) parts.push('{"text":""');
  if (answer.reasoning.length > 0) {
    const at = answer.toolCalls.length > 0 ? firstCall : parts.length - 1;
    parts[at] += SIGNATURE_FIELD;
  }
  const usage = answer.usage;
  const candidates = usage ? usage.output - usage.reasoning : 0;
  return (
    '{"candidates":[{"content":{"role":"model","parts":[' +
    parts.map((p) => p + '}').join(',') +
    `]},"finishReason":"${FINISH_REASON[answer.finish]}","index":0}]` +
    (usage ? `,"usageMetadata":${usageJson(usage.input, candidates, usage.reasoning, usage.reasoning > 0, usage.cacheRead)}` : '') +
    `,"modelVersion":${ctx.modelJson},"responseId":"mock${ctx.requestId}"}`
  );
}

/** §5 status string by HTTP status. */
function statusName(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 500:
      return 'INTERNAL';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
  }
  return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
}

function errorJson(status: number, message: string): string {
  return JSON.stringify({ error: { code: status, message, status: statusName(status) } });
}

function midStreamError(): SseEvent {
  // §5: errors can arrive inside the stream as a data payload.
  return { data: '{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}' };
}

function malformedEvent(): SseEvent {
  return { data: '{"candidates":[{"content":{"role":"model","parts":[{"text":"brok' };
}

function inspect(raw: unknown, route: RouteInfo): Inspected | string {
  if (!isObject(raw)) return 'request body must be a JSON object';
  // countTokens takes {contents} or {generateContentRequest: {model, contents, …}} (gemini.md §8.1).
  const body = route.count === true && isObject(raw.generateContentRequest) ? raw.generateContentRequest : raw;
  if (!Array.isArray(body.contents)) return '* GenerateContentRequest.contents: contents is not specified';
  const toolNames: string[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      if (!isObject(t)) continue;
      const decls = t.functionDeclarations ?? t.function_declarations;
      if (!Array.isArray(decls)) continue;
      for (const d of decls) if (isObject(d) && typeof d.name === 'string') toolNames.push(d.name);
    }
  }
  // A trailing model turn: the model continues it.
  const last = body.contents[body.contents.length - 1];
  const prefill = isObject(last) && last.role === 'model' ? contentText(last.parts) : undefined;
  return {
    model: route.pathModel ?? 'mock-model',
    stream: route.count !== true && route.pathStream === true,
    includeUsage: true,
    messageCount: body.contents.length,
    lastUserText: lastUserText(body.contents, (m) => m.parts, 'user'),
    toolNames,
    prefill,
  };
}

/** A request naming a cachedContents resource gets its tokens as cache reads, or Google's refusal (mock-cache.ts). */
export function resolveCachedContent(body: unknown, info: Inspected, ctx: MockContext): Inspected | Refusal {
  if (!isObject(body) || (body.cachedContent === undefined && body.cached_content === undefined)) return info;
  return cachedContentsOf(ctx).use(body, info, info.model);
}

export const geminiMock: Dialect = {
  name: 'gemini',
  routes: [
    {
      path: /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/,
      help: ['POST …/models/M:streamGenerateContent?alt=sse', 'Gemini (also :generateContent; without alt=sse: a streamed JSON array)'],
      info(match, query) {
        const stream = match[2] === 'streamGenerateContent';
        let model = match[1]!;
        try {
          model = decodeURIComponent(model);
        } catch {
          // keep the raw segment
        }
        return { pathModel: model, pathStream: stream, jsonArray: stream && query.get('alt') !== 'sse' };
      },
    },
    {
      path: /\/models\/([^/:]+):countTokens$/,
      help: ['POST …/models/M:countTokens', 'Gemini token count ({contents} or {generateContentRequest}): {"totalTokens": N}'],
      info(match) {
        let model = match[1]!;
        try {
          model = decodeURIComponent(model);
        } catch {
          // keep the raw segment
        }
        return { pathModel: model, count: true };
      },
    },
  ],
  // The Gemini API's cachedContents (gemini.md §9), keyed like every Gemini API call.
  endpoints: cachedContentEndpoints({
    collection: /\/v1(?:beta|alpha)?\/()cachedContents$/,
    resource: /\/v1(?:beta|alpha)?\/(cachedContents\/[^/]+)$/,
    modelOk: (model) => /^models\/[^/]+$/.test(model),
    authorize: requireGoogleKey,
  }),
  embeddings: {
    routes: [
      {
        path: /\/models\/([^/:]+):(embedContent|batchEmbedContents)$/,
        help: ['POST …/models/M:embedContent, …:batchEmbedContents', 'Gemini embeddings: deterministic vectors'],
        info(match) {
          let model = match[1]!;
          try {
            model = decodeURIComponent(model);
          } catch {
            // keep the raw segment
          }
          return { pathModel: model, method: match[2] };
        },
      },
    ],
    answer: embeddingsAnswer,
  },
  countJson: (tokens) => `{"totalTokens":${tokens}}`,
  inspect,
  resolve: (body, info, ctx) => refuseSignature(body, VERTEX_SIGNATURE, 'Corrupted thought signature.') ?? resolveCachedContent(body, info, ctx),
  streamEvents,
  responseJson,
  errorJson,
  midStreamError,
  malformedEvent,
  keepaliveEvent: { comment: 'keepalive' },
  sseContentType: 'text/event-stream',
  requestIdHeader: 'x-request-id',
};

/** Text of a Gemini `content` (its text parts joined). */
function contentTextOf(content: unknown): string | undefined {
  if (!isObject(content) || !Array.isArray(content.parts)) return undefined;
  let text = '';
  for (const p of content.parts) if (isObject(p) && typeof p.text === 'string') text += p.text;
  return text;
}

/** `:embedContent` → `{embedding:{values}}`; `:batchEmbedContents` → `{embeddings:[{values}]}`. No usage: Gemini reports none. */
function embeddingsAnswer(body: unknown, route: RouteInfo): { json: string } | string {
  if (!isObject(body)) return 'sluice mock: body must be a JSON object';
  const one = (r: unknown): { values: number[] } | string => {
    if (!isObject(r)) return 'sluice mock: each request must be an object';
    const text = contentTextOf(r.content);
    if (text === undefined || text === '') return 'sluice mock: content.parts must hold text';
    const dims = r.outputDimensionality;
    if (dims !== undefined && (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MOCK_MAX_DIMENSIONS)) {
      return `sluice mock: outputDimensionality must be 1..${MOCK_MAX_DIMENSIONS}`;
    }
    return { values: Array.from(mockEmbedding(text, typeof dims === 'number' ? dims : MOCK_EMBEDDING_DIMENSIONS)) };
  };
  if (route.method === 'embedContent') {
    const e = one(body);
    return typeof e === 'string' ? e : { json: JSON.stringify({ embedding: e }) };
  }
  if (!Array.isArray(body.requests) || body.requests.length === 0) return 'sluice mock: requests must be a non-empty list';
  const embeddings = [];
  for (const r of body.requests) {
    if (isObject(r) && r.model !== `models/${route.pathModel}`) return `sluice mock: requests[].model must be models/${route.pathModel}`;
    const e = one(r);
    if (typeof e === 'string') return e;
    embeddings.push(e);
  }
  return { json: JSON.stringify({ embeddings }) };
}
