// OpenAI-compatible upstream, streaming: `chat.completion.chunk` SSE events -> canonical events.
// Tolerates the chunk-shape quirks of OpenAI, Azure, OpenRouter, vLLM, Ollama, llama.cpp, LiteLLM,
// MiniMax … (docs/quirks.md Q-13 … ). Hot path: after JSON.parse only the fields used
// are read, with hand-written checks (no zod), and nothing is allocated per chunk beyond the events.
// Most chunks of a text answer skip even JSON.parse: see ContentShape.

import { heldBytes } from '../../core/held-bytes.ts';
import { Buffer } from 'node:buffer';

import { GatewayError } from '../../core/errors.ts';
import type { EventSink, FinishReason } from '../../core/events.ts';
import { mintId } from '../../core/ids.ts';
import type { DecodeContext, UpstreamStreamDecoder } from '../../core/protocol.ts';
import { splitGluedJson } from '../../sse/glued.ts';
import { errorFromPayload } from './errors.ts';
import { thoughtSignature } from './extra-content.ts';
import { fromOpenAIFinishReason } from './finish-reason.ts';
import { ThinkTagSplitter, type ThinkSink } from './think-tags.ts';
import { fromOpenAIUsage } from './usage.ts';
import { preview } from '../shared/malformed.ts';

const DONE_MARKER = '[DONE]';
const CONTENT_KEY = '"content":';
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Shapes learned per stream at most: an upstream whose chunks all differ (Q-17 ids) stops paying for it. */
const MAX_SHAPES = 4;

/** One tool call of the answer, as its fragments arrive. */
interface ToolCallState {
  /** The upstream's `index` for the call; -1 when it sent none (Gemini's OpenAI compatibility, Q-24). */
  wireIndex: number;
  /** '' until known; minted when the call starts without one. */
  id: string;
  /** '' until known: a call cannot start without its name. */
  name: string;
  signature: string | undefined;
  /** Argument fragments held until the call starts (name unknown yet, or quirk buffer_tool_calls). */
  held: string[];
  /** Canonical block index once started, else -1. */
  block: number;
}

/** The canonical block currently open. Tool blocks carry their call so later fragments route to it. */
type OpenBlock =
  | { kind: 'none' }
  | { kind: 'text'; index: number }
  | { kind: 'reasoning'; index: number }
  | { kind: 'tool'; index: number };

const NONE: OpenBlock = { kind: 'none' };

export function createOpenAIStreamDecoder(emit: EventSink, ctx: DecodeContext): UpstreamStreamDecoder {
  return new OpenAIStreamDecoder(emit, ctx);
}

class OpenAIStreamDecoder implements UpstreamStreamDecoder {
  readonly #emit: EventSink;
  readonly #ctx: DecodeContext;
  /** only for upstreams flagged inline_think_tags. */
  readonly #think: ThinkTagSplitter | undefined;
  /** translation.md §5: hold tool calls and emit each complete at finish (interleaving upstreams). */
  readonly #bufferTools: boolean;
  #started = false;
  #ended = false;
  #finish: FinishReason | undefined;
  #open: OpenBlock = NONE;
  #nextBlock = 0;
  readonly #calls: ToolCallState[] = [];
  /** The call the last fragment belonged to: fragments without index or id continue it. */
  #current: ToolCallState | undefined;
  /** The last plain text chunk's bytes around its content (the fast path), and how many were learned. */
  #shape: ContentShape | undefined;
  #shapes = 0;

  constructor(emit: EventSink, ctx: DecodeContext) {
    this.#emit = emit;
    this.#ctx = ctx;
    this.#bufferTools = ctx.endpoint.quirks.bufferToolCalls === true;
    if (ctx.endpoint.quirks.inlineThinkTags) {
      const sink: ThinkSink = { text: (t) => this.#text(t), reasoning: (t) => this.#reasoning(t) };
      this.#think = new ThinkTagSplitter(sink);
    }
  }

  onEvent(data: string, event: string): void {
    if (this.#ended) return;
    if (data === DONE_MARKER) {
      this.#complete();
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      // two events glued together; otherwise the stream is corrupt.
      const pieces = splitGluedJson(data);
      if (pieces === undefined) {
        this.#fail(new GatewayError('upstream_malformed', `upstream sent an event that is not JSON: ${preview(data, 80)}`, { target: this.#ctx.provider }));
        return;
      }
      for (const piece of pieces) {
        if (this.#ended) return;
        if (piece === DONE_MARKER) this.#complete();
        else this.#chunk(JSON.parse(piece), event);
      }
      return;
    }
    this.#chunk(chunk, event);
    // A chunk of the known shape comes here when its event was split across reads: no new shape.
    if (event === '' && this.#shapes < MAX_SHAPES && !this.#ended && this.#shape?.frames(data) !== true) {
      const shape = ContentShape.of(data, chunk);
      if (shape !== undefined) {
        this.#shape = shape;
        this.#shapes++;
      }
    }
  }

  onDataLine(bytes: Buffer, start: number, end: number): boolean {
    if (this.#shape === undefined) return false;
    if (this.#ended) return true;
    const text = this.#shape.textOf(bytes, start, end);
    if (text === undefined) return false;
    this.#content(text);
    return true;
  }

  end(): void {
    if (this.#ended) return;
    // [DONE] is the terminal marker; a finish_reason followed by EOF is accepted leniently. EOF with
    // neither is a truncated stream, never a normal end.
    if (this.#finish !== undefined) this.#complete();
    else this.#fail(new GatewayError('stream_truncated', 'upstream stream ended before it finished', { target: this.#ctx.provider }));
  }

  // -------------------------------------------------------------------------------------------
  // Chunks

  #chunk(value: unknown, event: string): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.#fail(new GatewayError('upstream_malformed', 'upstream sent a chunk that is not a JSON object', { target: this.#ctx.provider }));
      return;
    }
    const c = value as Record<string, unknown>;
    if (!this.#started) {
      this.#started = true;
      // an empty id or model (Azure filter chunks) is no id at all.
      this.#emit({ type: 'message-start', id: nonEmptyString(c.id), model: nonEmptyString(c.model) });
    }
    // OpenAI's final `{"error":{…}}`, and OpenRouter's chunk with a top-level error plus
    // finish_reason "error". Any delta in such a chunk is empty by construction.
    if ((c.error !== undefined && c.error !== null && c.error !== false) || event === 'error') {
      this.#fail(errorFromPayload(c.error ?? c, this.#ctx, 'upstream reported an error mid-stream'));
      return;
    }
    // chunks with empty choices (Azure prompt_filter_results, usage-only chunks) are fine.
    const choices = c.choices;
    if (Array.isArray(choices)) {
      for (let i = 0; i < choices.length; i++) {
        const choice: unknown = choices[i];
        if (typeof choice !== 'object' || choice === null) continue;
        const ch = choice as Record<string, unknown>;
        // The canonical stream has one choice: n > 1 answers are relayed as their first choice only.
        if (ch.index !== undefined && ch.index !== 0) continue;
        this.#choice(ch);
        if (this.#ended) return;
      }
    }
    // usage may come on every chunk (vLLM), after the finish (llama.cpp) or in a final
    // choices:[] chunk (OpenAI); the values are cumulative, so each report replaces the last.
    if (c.usage !== undefined && c.usage !== null) {
      const usage = fromOpenAIUsage(c.usage);
      if (usage !== undefined) this.#emit({ type: 'usage', usage });
    }
  }

  #choice(ch: Record<string, unknown>): void {
    // the delta first, then the finish_reason carried by the same chunk. Q-16: no delta = {}.
    const delta = ch.delta;
    if (typeof delta === 'object' && delta !== null) this.#delta(delta as Record<string, unknown>);
    if (this.#ended) return;
    const finish = ch.finish_reason;
    if (typeof finish === 'string' && finish !== '') this.#finishWith(finish);
  }

  #delta(d: Record<string, unknown>): void {
    // DeepSeek/vLLM/llama.cpp `reasoning_content`, Ollama/gpt-oss hosts `reasoning`. Some servers
    // send both with the same text: one is read, never both. Q-19: empty strings are no-ops.
    const rc = d.reasoning_content;
    const reasoning = typeof rc === 'string' && rc !== '' ? rc : d.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '') this.#reasoning(reasoning);
    const content = d.content;
    if (typeof content === 'string' && content !== '') this.#content(content);
    // A refusal is the answer's text for every other front (translation.md §2).
    const refusal = d.refusal;
    if (typeof refusal === 'string' && refusal !== '') this.#text(refusal);
    const toolCalls = d.tool_calls;
    if (Array.isArray(toolCalls)) {
      for (let i = 0; i < toolCalls.length; i++) {
        const f: unknown = toolCalls[i];
        if (typeof f === 'object' && f !== null) this.#toolFragment(f as Record<string, unknown>);
        if (this.#ended) return;
      }
    }
    // Legacy functions API: one call per answer, without index or id.
    const fc = d.function_call;
    if (typeof fc === 'object' && fc !== null) {
      const fn = fc as Record<string, unknown>;
      this.#toolCall(0, '', stringField(fn.name), argumentsText(fn.arguments), undefined);
    }
  }

  #toolFragment(f: Record<string, unknown>): void {
    const index = typeof f.index === 'number' ? f.index : -1;
    // ids may be "", repeated on every fragment, or numbers.
    const id = typeof f.id === 'string' ? f.id : typeof f.id === 'number' ? String(f.id) : '';
    let name = '';
    let args = '';
    const fn = f.function;
    if (typeof fn === 'object' && fn !== null) {
      const fnr = fn as Record<string, unknown>;
      name = stringField(fnr.name);
      args = argumentsText(fnr.arguments);
    } else if (typeof f.custom === 'object' && f.custom !== null) {
      // OpenAI custom tools stream `custom.input`: relayed as the call's arguments text.
      const custom = f.custom as Record<string, unknown>;
      name = stringField(custom.name);
      args = stringField(custom.input);
    }
    this.#toolCall(index, id, name, args, f.extra_content === undefined ? undefined : thoughtSignature(f.extra_content));
  }

  /** One tool-call fragment: correlate (index first, then non-empty id, else the current call), then start or continue it. */
  #toolCall(index: number, id: string, name: string, args: string, signature: string | undefined): void {
    let call = this.#findCall(index, id, name);
    if (call === undefined) {
      if (id === '' && name === '' && args === '') return; // an empty fragment
      call = { wireIndex: index, id, name, signature, held: [], block: -1 };
      this.#calls.push(call);
    } else {
      if (call.id === '' && id !== '') call.id = id;
      if (call.name === '' && name !== '') call.name = name;
      if (call.signature === undefined && signature !== undefined) call.signature = signature;
    }
    this.#current = call;
    if (call.block < 0) {
      // arguments before the name are held; Q-21: a first fragment may carry them all.
      if (args !== '') call.held.push(args);
      if (!this.#bufferTools && call.name !== '') this.#startCall(call);
      return;
    }
    if (args === '') return;
    // If this call is no longer the open block the upstream interleaved two calls: the normalizer
    // turns the stray fragment into an error (corrupt tool input must not reach the client).
    this.#emit({ type: 'tool-args-delta', index: call.block, json: args });
  }

  #findCall(index: number, id: string, name: string): ToolCallState | undefined {
    const calls = this.#calls;
    if (index >= 0) {
      for (let i = calls.length - 1; i >= 0; i--) {
        const c = calls[i]!;
        if (c.wireIndex !== index) continue;
        // A different id under a known index is a new call from a server that numbers every call 0.
        if (id !== '' && c.id !== '' && c.id !== id) return undefined;
        return c;
      }
      return undefined;
    }
    const current = this.#current;
    if (id !== '') {
      for (let i = calls.length - 1; i >= 0; i--) if (calls[i]!.id === id) return calls[i];
      // A new id starts a new call, unless the current call has not started and had no id yet: its
      // id arrives late (arguments came first, Q-24).
      return current !== undefined && current.id === '' && current.block < 0 ? current : undefined;
    }
    // Without index or id, a new name means a new call.
    if (current !== undefined && name !== '' && current.name !== '' && current.name !== name) return undefined;
    return current;
  }

  #startCall(call: ToolCallState): void {
    if (call.id === '') call.id = mintId('call_');
    this.#closeOpen();
    const index = this.#nextBlock++;
    call.block = index;
    this.#open = { kind: 'tool', index };
    this.#emit({
      type: 'block-start',
      index,
      block: call.signature === undefined
        ? { kind: 'tool-call', id: call.id, name: call.name }
        : { kind: 'tool-call', id: call.id, name: call.name, signature: call.signature },
    });
    if (call.held.length > 0) {
      const json = call.held.length === 1 ? call.held[0]! : call.held.join('');
      call.held.length = 0;
      if (json !== '') this.#emit({ type: 'tool-args-delta', index, json });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Text and reasoning blocks

  /** `delta.content`: the answer's text, or text and reasoning for inline think tags. */
  #content(content: string): void {
    if (this.#think) this.#think.push(content);
    else this.#text(content);
  }

  #text(text: string): void {
    // Text after a tool call (or reasoning) opens a new text block.
    const open = this.#open;
    const index = open.kind === 'text' ? open.index : this.#openBlock('text');
    this.#emit({ type: 'text-delta', index, text });
  }

  #reasoning(text: string): void {
    const open = this.#open;
    const index = open.kind === 'reasoning' ? open.index : this.#openBlock('reasoning');
    this.#emit({ type: 'reasoning-delta', index, text });
  }

  #openBlock(kind: 'text' | 'reasoning'): number {
    this.#closeOpen();
    const index = this.#nextBlock++;
    this.#open = kind === 'text' ? { kind: 'text', index } : { kind: 'reasoning', index };
    this.#emit({ type: 'block-start', index, block: kind === 'text' ? { kind: 'text' } : { kind: 'reasoning' } });
    return index;
  }

  #closeOpen(): void {
    const open = this.#open;
    if (open.kind === 'none') return;
    this.#open = NONE;
    this.#emit({ type: 'block-end', index: open.index });
  }

  // -------------------------------------------------------------------------------------------
  // Endings

  #finishWith(wireReason: string): void {
    const reason = fromOpenAIFinishReason(wireReason);
    if (reason === 'error') {
      // OpenRouter without a top-level error object.
      this.#fail(errorFromPayload(undefined, this.#ctx, 'upstream ended the stream with finish_reason "error"'));
      return;
    }
    if (this.#finish !== undefined) return;
    this.#settle();
    if (this.#ended) return;
    this.#finish = reason;
    this.#emit({ type: 'finish', reason });
  }

  /** Everything held is released: a think-tag tail, buffered or nameless tool calls; the open block closes. */
  #settle(): void {
    this.#think?.flush();
    for (const call of this.#calls) {
      if (call.block >= 0) continue;
      if (call.name === '') {
        this.#fail(new GatewayError('upstream_malformed', 'upstream sent a tool call without a function name', { target: this.#ctx.provider }));
        return;
      }
      // quirk buffer_tool_calls: each call complete, one after the other (translation.md §5).
      this.#startCall(call);
    }
    this.#closeOpen();
  }

  #complete(): void {
    this.#settle();
    if (this.#ended) return;
    this.#ended = true;
    this.#emit({ type: 'done' });
  }

  #fail(error: GatewayError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#emit({ type: 'error', error });
  }
}

/**
 * The fast path for the chunk that makes up nearly all of a text answer. A chunk that is byte for byte
 * identical, outside its content string, to one already parsed in full and found to carry nothing but
 * text (one choice, index 0, a delta of only `content`, no finish_reason, usage or error) is that
 * chunk with other text: replacing one JSON string literal by another changes nothing else. It is
 * recognised on the upstream's bytes (two memcmp calls, see SseHandler.onDataLine) and only the
 * literal is decoded: as UTF-8 when it holds no escape, else with JSON.parse of the literal alone.
 * Servers whose chunks differ only in their text (vLLM, Ollama, llama.cpp, the mock, many relays)
 * hit it; per-chunk ids or fields (OpenAI's `obfuscation`) miss it and cost one compare.
 * JSON.parse and the UTF-8 decode of each line were the largest items of a same-protocol stream's
 * CPU (bench/RESULTS.md).
 */
class ContentShape {
  readonly #head: Buffer;
  readonly #tail: Buffer;

  private constructor(head: Buffer, tail: Buffer) {
    this.#head = head;
    this.#tail = tail;
  }

  /** The shape of `data` when its parsed `value` is a plain text chunk whose content literal can be located. */
  static of(data: string, value: unknown): ContentShape | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const c = value as Record<string, unknown>;
    if ((c.error !== undefined && c.error !== null) || (c.usage !== undefined && c.usage !== null)) return undefined;
    const choices = c.choices;
    if (!Array.isArray(choices) || choices.length !== 1) return undefined;
    const ch: unknown = choices[0];
    if (typeof ch !== 'object' || ch === null) return undefined;
    const choice = ch as Record<string, unknown>;
    if ((choice.index !== undefined && choice.index !== 0) || (choice.finish_reason !== undefined && choice.finish_reason !== null)) return undefined;
    const delta = choice.delta;
    if (typeof delta !== 'object' || delta === null) return undefined;
    const d = delta as Record<string, unknown>;
    if (typeof d.content !== 'string' || d.content === '') return undefined;
    for (const key in d) if (key !== 'content') return undefined;
    // A raw `"content":` can only be a key (inside a string its quotes are escaped); exactly one
    // means it is the delta's, and the literal follows at once (no whitespace, Q-11 takes the full path).
    const key = data.indexOf(CONTENT_KEY);
    if (key < 0 || data.indexOf(CONTENT_KEY, key + 1) >= 0) return undefined;
    const start = key + CONTENT_KEY.length;
    const end = literalEnd(data, start);
    if (end < 0 || JSON.parse(data.slice(start, end)) !== d.content) return undefined;
    // Head and tail in held bytes, not a slice of Buffer's shared pool, which a held stream would keep
    // whole (core/held-bytes.ts).
    const head = data.slice(0, start);
    const tail = data.slice(end);
    const headBytes = Buffer.byteLength(head, 'utf8');
    const bytes = heldBytes(headBytes + Buffer.byteLength(tail, 'utf8'));
    bytes.write(head, 0, 'utf8');
    bytes.write(tail, headBytes, 'utf8');
    return new ContentShape(bytes.subarray(0, headBytes), bytes.subarray(headBytes));
  }

  /** Whether `data` is framed like this shape (slow path only: decides whether a shape is new). */
  frames(data: string): boolean {
    const bytes = Buffer.from(data, 'utf8');
    const head = this.#head;
    const tail = this.#tail;
    return bytes.length > head.length + tail.length && head.compare(bytes, 0, head.length) === 0 && tail.compare(bytes, bytes.length - tail.length) === 0;
  }

  /** The text of a `data:` value `bytes[start, end)` of this shape, or undefined: another shape, or not a plain literal. */
  textOf(bytes: Buffer, start: number, end: number): string | undefined {
    const head = this.#head;
    const tail = this.#tail;
    const from = start + head.length;
    const to = end - tail.length;
    // At least `"x"`: an empty content is a no-op the full path handles.
    if (to - from < 3 || bytes[from] !== QUOTE || bytes[to - 1] !== QUOTE) return undefined;
    if (head.compare(bytes, start, from) !== 0 || tail.compare(bytes, to, end) !== 0) return undefined;
    let escaped = false;
    let i = from + 1;
    while (i < to - 1) {
      const b = bytes[i]!;
      if (b === BACKSLASH) {
        escaped = true;
        i += 2;
      } else if (b === QUOTE || b < 0x20) {
        // The literal ends before the tail (another shape), or a raw control character (invalid JSON).
        return undefined;
      } else {
        i++;
      }
    }
    if (!escaped) return bytes.toString('utf8', from + 1, to - 1);
    // A backslash right before the closing quote escapes it: the literal does not end there.
    if (i !== to - 1) return undefined;
    try {
      const text: unknown = JSON.parse(bytes.toString('utf8', from, to));
      return typeof text === 'string' ? text : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Index just past the JSON string literal starting at `start`, or -1 if none starts there. */
function literalEnd(data: string, start: number): number {
  if (data.charCodeAt(start) !== QUOTE) return -1;
  for (let i = start + 1; i < data.length; i++) {
    const ch = data.charCodeAt(i);
    if (ch === BACKSLASH) i++;
    else if (ch === QUOTE) return i + 1;
  }
  return -1;
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function stringField(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Arguments are JSON text; a few servers send an object instead. */
function argumentsText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return '';
}
