// Canonical messages -> Gemini `systemInstruction` + `contents` (translation.md §1, §2, §4; gemini.md
// §2, §6). Gemini needs things OpenAI histories do not carry: the function name on every result
// (looked up from the calls in the same request), results as JSON objects, alternating roles, and a
// thought signature on the first call of every step of the current turn.

import type { ContentPart, ImageSource, Message, ToolCallPart, ToolResultPart } from '../../core/request.ts';
import { GatewayError } from '../../core/errors.ts';
import { SKIP_THOUGHT_SIGNATURE, type GeminiContent, type GeminiInlineData, type GeminiPart } from './wire.ts';

export interface ContentsOptions {
  /** Reply 400 to a trailing assistant message meant as a prefill (translation.md §1 Decision). */
  rejectPrefill: boolean;
  /** Find the contents the last cache breakpoint covers (EncodedContents.cacheCut). */
  breakpoints?: boolean;
}

export interface EncodedContents {
  system?: string;
  contents: GeminiContent[];
  /**
   * With `breakpoints`: how many leading contents the last message-level cache breakpoint covers —
   * the content holding the marked part, whole (a content merges neighbouring messages), or for a
   * system message every content before it. Undefined when no message carries one.
   */
  cacheCut?: number;
  /** With `breakpoints`: every system text, in order, with where it stands among the contents. */
  systemTexts?: SystemText[];
}

/**
 * A system text and the shortest cached prefix that holds it (cache-prepare.ts, gemini.md §9): a
 * prefix of `c` contents holds the system texts that stand before the end of its last content, and
 * a prefix of none the leading system prompt. So `from` is 0 for a system message before every
 * content, k + 1 for one before the last message of content k, and contents.length + 1 for one after
 * the last content (a trailing system reminder is in no prefix, so it never changes a cache key).
 */
export interface SystemText {
  text: string;
  from: number;
}

interface CallInfo {
  name: string;
  /** Position among all calls of the request: function responses go back in call order. */
  order: number;
}

export function encodeGeminiContents(messages: readonly Message[], options: ContentsOptions): EncodedContents {
  const calls = indexToolCalls(messages);
  const turnStart = currentTurnStart(messages);
  const encoder = new PartEncoder(calls);
  const systemTexts: string[] = [];
  const contents: GeminiContent[] = [];

  /** Adds a message's parts; false when it had none. */
  const append = (role: GeminiContent['role'], parts: GeminiPart[]): boolean => {
    if (parts.length === 0) return false; // e.g. an assistant turn that held only reasoning
    const last = contents[contents.length - 1];
    // Gemini wants alternating turns: consecutive same-role messages merge (translation.md §1).
    if (last !== undefined && last.role === role) {
      for (const p of parts) last.parts.push(p);
    } else {
      contents.push({ role, parts });
    }
    return true;
  };

  const breakpoints = options.breakpoints === true;
  // With breakpoints: the message index of each system text, and of the last message in each content.
  const systemAt: number[] = [];
  const lastMessageOf: number[] = [];
  let firstMessage = Infinity;
  let cacheCut: number | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (breakpoints && hasBreakpoint(message)) cacheCut = -1;
    if (message.role === 'system') {
      // All system messages, wherever they stand, become one instruction (translation.md §1); a cached
      // request carries those after its cached prefix as user text instead (cache-prepare.ts).
      for (const part of message.content) {
        if (part.type !== 'text' || part.text === '') continue;
        systemTexts.push(part.text);
        if (breakpoints) systemAt.push(i);
      }
    } else {
      const added =
        message.role === 'assistant'
          ? append('model', encoder.parts(message.content, i > turnStart))
          : // user and tool messages: function responses travel in user contents (gemini.md §2).
            append('user', encoder.parts(message.content, false));
      if (breakpoints && added) {
        lastMessageOf[contents.length - 1] = i;
        if (firstMessage === Infinity) firstMessage = i;
      }
    }
    if (cacheCut === -1) cacheCut = contents.length;
  }

  if (options.rejectPrefill) rejectPrefill(messages);
  for (const content of contents) if (content.role === 'user') encoder.orderResponses(content);

  const result: EncodedContents = { contents };
  if (systemTexts.length > 0) result.system = systemTexts.join('\n\n');
  if (cacheCut !== undefined) result.cacheCut = cacheCut;
  if (breakpoints) result.systemTexts = placeSystemTexts(systemTexts, systemAt, lastMessageOf, firstMessage);
  return result;
}

/**
 * SystemText.from for each system text, from message positions: `at` of each text, and the index of
 * the last message merged into each content (both in message order).
 */
function placeSystemTexts(texts: readonly string[], at: readonly number[], lastMessageOf: readonly number[], firstMessage: number): SystemText[] {
  const placed: SystemText[] = [];
  let k = 0;
  for (let s = 0; s < texts.length; s++) {
    if (at[s] < firstMessage) {
      placed.push({ text: texts[s], from: 0 });
      continue;
    }
    while (k < lastMessageOf.length && lastMessageOf[k] < at[s]) k++;
    placed.push({ text: texts[s], from: k + 1 });
  }
  return placed;
}

function hasBreakpoint(message: Message): boolean {
  for (const part of message.content) if ('cacheControl' in part && part.cacheControl !== undefined) return true;
  return false;
}

class PartEncoder {
  readonly #calls: ReadonlyMap<string, CallInfo>;
  /** Call order of each functionResponse part built, for orderResponses(). */
  readonly #responseOrder = new Map<GeminiPart, number>();

  constructor(calls: ReadonlyMap<string, CallInfo>) {
    this.#calls = calls;
  }

  /**
   * `currentTurn`: this assistant message is one step of the current turn, so its first call must
   * carry a signature; Google's dummy stands in for calls Gemini did not sign (gemini.md §6).
   */
  parts(content: readonly ContentPart[], currentTurn: boolean): GeminiPart[] {
    const out: GeminiPart[] = [];
    let firstCall = true;
    for (const part of content) {
      switch (part.type) {
        case 'text':
          if (part.text !== '') out.push({ text: part.text });
          break;
        case 'image':
          out.push({ inlineData: inlineImage(part.source) });
          break;
        case 'document':
          out.push({ inlineData: { mimeType: part.mediaType, data: part.data } });
          break;
        case 'reasoning':
          // Gemini thought summaries are not replayed; their signatures live on the calls.
          break;
        case 'tool-call': {
          const signature =
            part.signature !== undefined && part.signature !== ''
              ? part.signature
              : firstCall && currentTurn
                ? SKIP_THOUGHT_SIGNATURE
                : undefined;
          firstCall = false;
          const functionCall = { name: part.name, args: parseArguments(part) };
          out.push(signature === undefined ? { functionCall } : { functionCall, thoughtSignature: signature });
          break;
        }
        case 'tool-result':
          this.#toolResult(part, out);
          break;
      }
    }
    return out;
  }

  /** Function responses first, in the order of their calls; other parts keep their order after them. */
  orderResponses(content: GeminiContent): void {
    let responses = 0;
    for (const p of content.parts) if (this.#responseOrder.has(p)) responses++;
    if (responses === 0) return;
    const order = this.#responseOrder;
    const indexed = content.parts.map((part, position) => ({ part, position }));
    indexed.sort((a, b) => {
      const oa = order.get(a.part);
      const ob = order.get(b.part);
      if (oa !== undefined && ob !== undefined) return oa - ob || a.position - b.position;
      if (oa !== undefined) return -1;
      if (ob !== undefined) return 1;
      return a.position - b.position;
    });
    content.parts = indexed.map((e) => e.part);
  }

  #toolResult(part: ToolResultPart, out: GeminiPart[]): void {
    const call = this.#calls.get(part.toolCallId);
    const name = part.name !== undefined && part.name !== '' ? part.name : call?.name;
    if (name === undefined) {
      throw new GatewayError(
        'invalid_request',
        `tool result ${JSON.stringify(part.toolCallId)} names no tool and matches no tool call in the conversation`,
        { param: 'messages' },
      );
    }
    const texts: string[] = [];
    const images: GeminiPart[] = [];
    for (const c of part.content) {
      if (c.type === 'text') texts.push(c.text);
      else images.push({ inlineData: inlineImage(c.source) });
    }
    const response: GeminiPart = {
      functionResponse: { name, response: wrapResult(texts.join(''), part.isError === true) },
    };
    // Results whose call is not in the request sort after the known ones.
    this.#responseOrder.set(response, call?.order ?? Number.MAX_SAFE_INTEGER);
    out.push(response);
    // Images returned by a tool ride along in the same user content.
    for (const image of images) out.push(image);
  }
}

/** `response` must be a JSON object: objects pass, anything else is wrapped (translation.md §4). */
function wrapResult(text: string, isError: boolean): Record<string, unknown> {
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // plain text result
  }
  if (isError) return { error: value };
  return isPlainObject(value) ? value : { output: value };
}

/**
 * `args` must be an object. "" means no arguments; invalid JSON in a request history is the
 * client's error (translation.md §4 Decision).
 */
function parseArguments(call: ToolCallPart): Record<string, unknown> {
  const text = call.arguments.trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_request', `invalid tool_call arguments for call ${JSON.stringify(call.id)}: not valid JSON`, {
      param: 'messages',
    });
  }
  if (value === null) return {};
  if (!isPlainObject(value)) {
    throw new GatewayError(
      'invalid_request',
      `invalid tool_call arguments for call ${JSON.stringify(call.id)}: expected a JSON object`,
      { param: 'messages' },
    );
  }
  return value;
}

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)(?:;[^;,]*)*;base64,/i;

/** Gemini cannot fetch http(s) URLs (translation.md §2 Decision: reply 400 rather than download). */
function inlineImage(source: ImageSource): GeminiInlineData {
  if (source.kind === 'base64') return { mimeType: source.mediaType, data: source.data };
  const m = DATA_URL.exec(source.url);
  if (m !== null) return { mimeType: m[1].toLowerCase(), data: source.url.slice(m[0].length) };
  throw new GatewayError('unsupported', 'image URLs are not supported by Gemini upstreams; send base64 data');
}

function indexToolCalls(messages: readonly Message[]): Map<string, CallInfo> {
  const calls = new Map<string, CallInfo>();
  for (const message of messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) {
      if (part.type === 'tool-call' && !calls.has(part.id)) calls.set(part.id, { name: part.name, order: calls.size });
    }
  }
  return calls;
}

/**
 * Index of the last user message with text of its own (not a tool-result carrier): every assistant
 * message after it belongs to the current turn, whose signatures Gemini 3 validates (gemini.md §6).
 * Counting fewer messages as turn starts only adds dummy signatures, which Gemini accepts.
 */
function currentTurnStart(messages: readonly Message[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    let text = false;
    let results = false;
    for (const p of m.content) {
      if (p.type === 'text' && p.text !== '') text = true;
      else if (p.type === 'tool-result') results = true;
    }
    if (text && !results) return i;
  }
  return -1;
}

/** A trailing assistant text message on an Anthropic request is a prefill Gemini cannot continue. */
function rejectPrefill(messages: readonly Message[]): void {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'system') continue;
    if (m.role !== 'assistant') return;
    const hasText = m.content.some((p) => p.type === 'text' && p.text !== '');
    const hasCall = m.content.some((p) => p.type === 'tool-call');
    if (hasText && !hasCall) {
      throw new GatewayError('unsupported', 'assistant prefill is not supported by this upstream');
    }
    return;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
