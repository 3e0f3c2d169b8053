// Continuation after the commit point (SPEC §4.6, `continue_on_failure: true` on a model). When the
// upstream of a committed stream drops, stalls past `idle` or sends an error, and what went out so
// far is text, the next target is asked to continue the same answer: the conversation plus the text
// sent so far as an assistant prefix (each dialect's own way: an Anthropic prefill, a trailing
// assistant message for an OpenAI-compatible server that continues it — `supports_prefill`, a
// trailing Gemini model turn — `supports_prefill` too). Its answer is spliced into the same client
// stream: one message, one id, its blocks renumbered after the client's, its first text merged into
// the text block left open, usage summed over every upstream call. docs/continuation.md.
//
// What continues and what does not:
// - only text: a break inside a reasoning block, or once a tool call has started (complete or not),
//   ends the stream with the error as before — a half-made call cannot be finished by another model;
// - only before the finish: a stream that already said why it stopped has nothing to continue;
// - a request carrying content only its own dialect can send (ChatRequest.nonPortable) is not
//   continued, since the continuation is rebuilt from the canonical request.
//
// The seam (docs/continuation.md, "whitespace"): Anthropic refuses a prefill that ends in
// whitespace, and a trailing space in a prefix also changes what most models produce next, so the
// prefix always goes without its trailing whitespace. The client already has that whitespace; the
// continuation's leading whitespace is dropped as far as it repeats it (all of it when it does not
// start with exactly that), so the seam neither doubles nor loses a separator.
//
// Cost when unused: a model without the option pays nothing; with it, each event delivered to the
// client is observed (a switch and, for text, one array push).

import type { BlockStart, StreamEvent, Usage } from '../core/events.ts';
import type { ChatRequest, Message } from '../core/request.ts';
import type { GatewayError } from '../core/errors.ts';
import { estimateUsage } from './usage.ts';

/** What the client has received so far (every event delivered to its encoder). */
export class DeliveredText {
  /** The next block index the client's stream would use. */
  nextIndex = 0;
  open: { index: number; kind: BlockStart['kind'] } | undefined;
  sawToolCall = false;
  finished = false;
  /** Text deltas delivered, in order (joined only when a continuation needs the prefix). */
  private readonly text: string[] = [];
  private textChars = 0;
  /** Characters of output (any kind) of the current upstream call, for a usage estimate. */
  attemptChars = 0;
  /** The last usage the current upstream call reported, as it reported it. */
  attemptUsage: Usage | undefined;

  observe(ev: StreamEvent): void {
    switch (ev.type) {
      case 'text-delta':
        this.text.push(ev.text);
        this.textChars += ev.text.length;
        this.attemptChars += ev.text.length;
        return;
      case 'reasoning-delta':
        this.attemptChars += ev.text.length;
        return;
      case 'tool-args-delta':
        this.attemptChars += ev.json.length;
        return;
      case 'block-start':
        this.open = { index: ev.index, kind: ev.block.kind };
        if (ev.index >= this.nextIndex) this.nextIndex = ev.index + 1;
        if (ev.block.kind === 'tool-call') this.sawToolCall = true;
        return;
      case 'block-end':
        if (this.open?.index === ev.index) this.open = undefined;
        return;
      case 'usage':
        this.attemptUsage = ev.usage;
        return;
      case 'message-start':
        // The input an upstream reports up front (Anthropic) holds even if its stream breaks.
        if (ev.usage) this.attemptUsage ??= ev.usage;
        return;
      case 'finish':
      case 'done':
        this.finished = true;
        return;
    }
  }

  /** Whether the answer so far can be handed to another model to continue (see the file comment). */
  continuable(): boolean {
    return this.textChars > 0 && !this.sawToolCall && !this.finished && (this.open === undefined || this.open.kind === 'text');
  }

  prefix(): string {
    return this.text.join('');
  }
}

/** A continuation under way: the request to send, and how its events join the client's stream. */
export class Continuation {
  /** The error that broke the stream last (reported if no target can continue). */
  cause: GatewayError;
  private readonly chat: ChatRequest;
  private readonly delivered: DeliveredText;
  /** Usage of the upstream calls before the current one, summed. */
  private carried: Usage | undefined;
  private current: ChatRequest;
  /** The whitespace cut off the end of the prefix (the client has it already). */
  private cut = '';
  /** Continuation block index -> client block index, for the current upstream call. */
  private readonly indexMap = new Map<number, number>();
  /** Leading whitespace of the continuation held until its first other character decides the seam. */
  private seam: { pending: string } | undefined;
  /** Whether the current upstream call has sent anything the client received. */
  produced = false;

  constructor(chat: ChatRequest, delivered: DeliveredText, cause: GatewayError) {
    this.chat = chat;
    this.delivered = delivered;
    this.cause = cause;
    this.current = chat;
    this.next(cause);
  }

  /** The request for the next target. */
  get request(): ChatRequest {
    return this.current;
  }

  /**
   * Prepares the request for another upstream call from what the client has now (the previous
   * continuation broke too): the usage of the call that just ended is carried over, the prefix is
   * everything delivered so far.
   */
  next(cause: GatewayError): void {
    this.cause = cause;
    const d = this.delivered;
    if (d.attemptChars > 0 || d.attemptUsage) this.carried = addUsage(this.carried, brokenCallUsage(this.chat, d.attemptUsage, d.attemptChars));
    d.attemptChars = 0;
    d.attemptUsage = undefined;
    this.indexMap.clear();
    this.produced = false;
    const prefix = d.prefix();
    const kept = prefix.replace(/\s+$/u, '');
    this.cut = prefix.slice(kept.length);
    this.seam = this.cut === '' ? undefined : { pending: '' };
    this.current = continuationRequest(this.chat, kept, this.carried);
  }

  /** Maps one event of the continuing upstream into the client's stream. */
  splice(ev: StreamEvent, deliver: (ev: StreamEvent) => void): void {
    const d = this.delivered;
    switch (ev.type) {
      case 'message-start':
        return;
      case 'block-start': {
        // The first text block continues the text block the break left open.
        if (ev.block.kind === 'text' && d.open?.kind === 'text' && !this.produced) {
          this.indexMap.set(ev.index, d.open.index);
          this.produced = true;
          return;
        }
        if (d.open !== undefined) deliver({ type: 'block-end', index: d.open.index });
        const index = d.nextIndex;
        this.indexMap.set(ev.index, index);
        this.produced = true;
        deliver({ type: 'block-start', index, block: ev.block });
        return;
      }
      case 'text-delta': {
        const index = this.indexMap.get(ev.index);
        if (index === undefined) return;
        const text = this.seam ? this.acrossSeam(ev.text) : ev.text;
        if (text !== '') deliver({ type: 'text-delta', index, text });
        return;
      }
      case 'reasoning-delta':
      case 'signature-delta':
      case 'tool-args-delta':
      case 'block-end': {
        const index = this.indexMap.get(ev.index);
        if (index !== undefined) deliver({ ...ev, index });
        return;
      }
      case 'usage': {
        const raw = ev.usage;
        deliver({ type: 'usage', usage: addUsage(this.carried, raw)! });
        // What this call reported by itself, for the next continuation's carry.
        d.attemptUsage = raw;
        return;
      }
      case 'finish':
        // A break left the client's text block open and the continuation sent no block of its own.
        if (d.open !== undefined) deliver({ type: 'block-end', index: d.open.index });
        deliver(ev);
        return;
      default:
        deliver(ev);
    }
  }

  /** The continuation's leading whitespace, as far as it repeats what was cut off the prefix. */
  private acrossSeam(text: string): string {
    const seam = this.seam!;
    const lead = /^\s*/u.exec(text)![0];
    seam.pending += lead;
    if (lead.length === text.length) return '';
    this.seam = undefined;
    const rest = text.slice(lead.length);
    return seam.pending.startsWith(this.cut) ? seam.pending.slice(this.cut.length) + rest : rest;
  }
}

/**
 * The request that asks a target to continue: the conversation, the answer so far as a trailing
 * assistant message (merged into the client's own prefill, if it sent one), reasoning off (a prefix
 * continues text; Anthropic would want the thinking block back first), and what is left of
 * max_tokens. `continuation` tells each upstream codec to build from the canonical fields and to
 * treat that message as a prefix to continue.
 */
export function continuationRequest(chat: ChatRequest, prefix: string, used: Usage | undefined): ChatRequest {
  const messages = chat.messages.slice();
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant' && last.content.every((p) => p.type === 'text')) {
    const earlier = last.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    messages[messages.length - 1] = assistantText(earlier + prefix);
  } else if (prefix !== '') {
    messages.push(assistantText(prefix));
  }
  const request: ChatRequest = { ...chat, messages, continuation: true };
  delete request.reasoning;
  if (chat.maxTokens !== undefined) request.maxTokens = Math.max(1, chat.maxTokens - (used?.outputTokens ?? 0));
  return request;
}

function assistantText(text: string): Message {
  return { role: 'assistant', content: text === '' ? [] : [{ type: 'text', text }] };
}

/**
 * What a call that broke used: what it reported (its input count is exact), the output raised to what
 * it actually sent when the last report is behind it, marked estimated then.
 */
function brokenCallUsage(chat: ChatRequest, reported: Usage | undefined, outputChars: number): Usage {
  const estimate = estimateUsage(chat, outputChars);
  if (!reported) return estimate;
  if (reported.outputTokens >= estimate.outputTokens) return reported;
  return { ...reported, outputTokens: estimate.outputTokens, estimated: true };
}

/** The sum of two upstream calls' usage (both billed); estimated if either was. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: Usage = { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
  const sum = (x: number | undefined, y: number | undefined): number | undefined => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const read = sum(a.cacheReadTokens, b.cacheReadTokens);
  const write = sum(a.cacheWriteTokens, b.cacheWriteTokens);
  const reasoning = sum(a.reasoningTokens, b.reasoningTokens);
  if (read !== undefined) out.cacheReadTokens = read;
  if (write !== undefined) out.cacheWriteTokens = write;
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  if (a.estimated || b.estimated) out.estimated = true;
  return out;
}
