// The contract each wire dialect of the mock fulfils (a protocol folder's mock.ts, listed by the
// protocol registry). Dialects build payload strings; framing.ts
// turns them into bytes (with framing faults) and player.ts writes them with timing.

import type { Answer } from './content.ts';
import type { Plan } from './directives.ts';

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
}

/**
 * A path the dialect answers. The mock accepts any prefix before it (`/v1`, `/api/v1`, a deployment
 * path) and directives in the path (directives.ts), so patterns are anchored at the end only.
 */
export interface MockRoute {
  path: RegExp;
  /** For `sluice mock --help`: the endpoint as users write it, and what it is. */
  help: [endpoint: string, what: string];
  /** Facts the path carries (the match of `path`); none by default. */
  info?(match: RegExpExecArray, query: URLSearchParams): RouteInfo;
}

export interface Dialect {
  name: string;
  /** The POST paths this dialect answers (the protocol registry hands dialects to the mock). */
  routes: readonly MockRoute[];
  /** Returns the request facts, or a message for a 400 when the body has the wrong shape. */
  inspect(body: unknown, route: RouteInfo): Inspected | string;
  streamEvents(ctx: StreamContext): SseEvent[];
  responseJson(ctx: StreamContext): string;
  errorJson(status: number, message: string): string;
  midStreamError(ctx: StreamContext): SseEvent;
  /** An event whose data is not valid JSON, for fault=malformed. */
  malformedEvent(ctx: StreamContext): SseEvent;
  keepaliveEvent: SseEvent;
  /** The dialect's own stream ends with `data: [DONE]` (fault done_after_stop then adds nothing, Q-9). */
  endsWithDone?: boolean;
  sseContentType: string;
  requestIdHeader: string;
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
