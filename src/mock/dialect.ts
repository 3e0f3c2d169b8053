// The contract each wire dialect of the mock fulfils (a protocol folder's mock.ts, listed by the
// protocol registry). Dialects build payload strings; framing.ts
// turns them into bytes (with framing faults) and player.ts writes them with timing.

import type { IncomingHttpHeaders } from 'node:http';
import type { Answer } from './content.ts';
import type { Plan } from './directives.ts';
import type { Framed } from './framing.ts';

export type MockDialect = Dialect;


/** One SSE event before framing. `data` is the exact payload text (already JSON). */
export interface SseEvent {
  name?: string;
  data?: string;
  comment?: string;
  /** The first event that carries the finish reason; early endings happen before it. */
  final?: boolean;
}

/** What the mock needs to know about a request body. */
export interface Inspected {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  messageCount: number;
  lastUserText: string;
  toolNames: string[];
  /**
   * An assistant text the answer continues, when the dialect's rules make the last message a prefix
   * (Anthropic's prefill; vLLM's continue_final_message; a trailing Gemini model turn): the mock then
   * streams the rest of its answer after it, as a model would (content.ts).
   */
  prefill?: string;
  /** Prompt tokens the request takes from a cache resource it names (Gemini `cachedContent`): reported as cache reads. */
  cachedTokens?: number;
}

/** A request the dialect refuses with a status of its own (inspect's answer; a plain string is a 400). */
export interface Refusal {
  status: number;
  message: string;
}

export interface StreamContext {
  requestId: number;
  model: string;
  /** JSON string literal of `model`. */
  modelJson: string;
  created: number;
  includeUsage: boolean;
  plan: Plan;
  answer: Answer;
}

export interface RouteInfo {
  /** Gemini: model from the path and whether the method streams. */
  pathModel?: string;
  pathStream?: boolean;
  /** Stream a JSON array (Gemini streamGenerateContent without alt=sse) instead of SSE. */
  jsonArray?: boolean;
  /** Gemini: the method after the model (`embedContent`, `batchEmbedContents`, …). */
  method?: string;
  /** A token-count endpoint (Anthropic count_tokens, Gemini countTokens): answered by countJson. */
  count?: boolean;
}

/**
 * A path the dialect answers. The mock accepts any prefix before it (`/v1`, `/api/v1`, a deployment
 * path) and directives in the path (directives.ts), so patterns are anchored at the end only. When
 * routes of several dialects match, the longest match wins (a Vertex path ending like a Gemini one).
 */
export interface MockRoute {
  path: RegExp;
  /** For `sluice mock --help`: the endpoint as users write it, and what it is. */
  help: [endpoint: string, what: string];
  /** Facts the path carries (the match of `path`); none by default. */
  info?(match: RegExpExecArray, query: URLSearchParams): RouteInfo;
  /**
   * Whether this request is for the route at all, when its path is shared with another dialect's
   * (Azure's `/openai/v1/chat/completions` is also an OpenAI-compatible base path): false lets the
   * next matching route answer. Body not yet read.
   */
  accepts?(req: MockHttpRequest, ctx: MockContext): boolean;
  /**
   * Checks the request's credentials (or other preconditions the path implies, such as a required
   * query parameter) before anything is answered; a reply refuses it. Body not yet read.
   */
  authorize?(req: MockHttpRequest, ctx: MockContext): MockHttpReply | undefined;
  /**
   * Like `authorize`, over the request exactly as sent, body included, once it was read (a request
   * signature covers the raw path and the body: Bedrock's SigV4). May be async; a reply refuses it.
   */
  verify?(req: MockSignedRequest, ctx: MockContext): Promise<MockHttpReply | undefined> | MockHttpReply | undefined;
}

/** What `verify` sees besides MockHttpRequest: the request target and body as they arrived. */
export interface MockSignedRequest extends MockHttpRequest {
  /** The request target as received: percent-encoded path (directives segment included) and query. */
  target: string;
  rawBody: Buffer;
}

/** A request as a dialect's hooks see it. */
export interface MockHttpRequest {
  method: string;
  /** The path without a `/_mock/…/` directives segment. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body as text ('' for GET, and in `authorize`, which runs before it is read). */
  body: string;
  /** `http://host:port` as the client addressed the mock (a token endpoint's own URL). */
  origin: string;
}

export interface MockHttpReply {
  status: number;
  /** Default content-type application/json. */
  headers?: Record<string, string>;
  body: string;
}

/** What a dialect's hooks get from the mock server that runs them. */
export interface MockContext {
  /** The mock's wall clock in ms (MockOptions.now, default Date.now): tests move it to expire credentials. */
  now(): number;
  /** MockOptions.dialectOptions[dialect name]: what a test or the CLI configured for this dialect. */
  options: unknown;
  /** A value kept for the server's lifetime, made on first use (issued tokens, generated keys). */
  state<T>(key: string, make: () => T): T;
}

/**
 * A path answered by the dialect itself rather than as a chat answer with faults: a token endpoint,
 * a metadata server, a token count. Matched before the chat routes, on the method and the whole path.
 */
export interface MockEndpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: RegExp;
  handle(req: MockHttpRequest, ctx: MockContext): MockHttpReply;
}

export interface Dialect {
  name: string;
  /** The POST paths this dialect answers (the protocol registry hands dialects to the mock). */
  routes: readonly MockRoute[];
  /** Paths it answers by itself (token endpoints and the like). */
  endpoints?: readonly MockEndpoint[];
  /** Returns the request facts, or a message for a 400 when the body has the wrong shape. */
  inspect(body: unknown, route: RouteInfo): Inspected | string;
  /**
   * After inspect, for dialects whose requests can name resources their endpoints made (Gemini's
   * cachedContents): the facts with what the resource adds (cachedTokens), or a Refusal with its
   * own status when the request cannot use it. `ctx.state` holds the resources.
   */
  resolve?(body: unknown, info: Inspected, ctx: MockContext): Inspected | Refusal;
  streamEvents(ctx: StreamContext): SseEvent[];
  responseJson(ctx: StreamContext): string;
  errorJson(status: number, message: string): string;
  /** The answer of a token-count route: the prompt tokens the answer's usage would report. */
  countJson?(tokens: number): string;
  midStreamError(ctx: StreamContext): SseEvent;
  /** An event whose data is not valid JSON, for fault=malformed. */
  malformedEvent(ctx: StreamContext): SseEvent;
  keepaliveEvent: SseEvent;
  /** The dialect's own stream ends with `data: [DONE]` (fault done_after_stop then adds nothing, Q-9). */
  endsWithDone?: boolean;
  /** Content type of the streamed answer (SSE unless the dialect frames its own way). */
  sseContentType: string;
  requestIdHeader: string;
  /**
   * A dialect whose stream is not SSE (AWS event-stream) frames its events itself, with the faults
   * that apply to its framing; default: framing.ts frameSse.
   */
  frameStream?(events: SseEvent[], plan: Plan, ctx: StreamContext): Framed;
  /** Headers of the dialect's error replies besides the content type (e.g. `x-amzn-ErrorType`). */
  errorHeaders?(status: number): Record<string, string>;
  /** Embeddings (mock/embeddings.ts), for dialects that have them: their paths and answers. */
  embeddings?: {
    routes: readonly MockRoute[];
    /**
     * The JSON answer for a request body (with headers of its own, such as a token count), or a
     * message for a 400 in the dialect's error shape.
     */
    answer(body: unknown, route: RouteInfo): { json: string; headers?: Record<string, string> } | string;
  };
}

/** Text of a message's content: a string or an array of `{type:'text', text}` / `{text}` parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) {
    if (part !== null && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
      out += (out === '' ? '' : '\n') + (part as { text: string }).text;
    }
  }
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Text of the last message whose role is `user` (or has no role, Gemini's default). OpenAI `tool`
 * messages after it are the client's newer turn (what Anthropic and Gemini carry in a user message),
 * so they end the search: a tool round trip gets a plain answer in every dialect, not the same call again.
 */
export function lastUserText(messages: unknown[], textOf: (m: Record<string, unknown>) => unknown, roleDefault?: string): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!isObject(m)) continue;
    const role = m.role ?? roleDefault;
    if (role === 'user') return contentText(textOf(m));
    if (role === 'tool') return '';
  }
  return '';
}
