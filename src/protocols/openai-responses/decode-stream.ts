// openai-responses upstream, streaming: Responses SSE events -> canonical events
// (docs/protocols/openai-responses.md §3). Items arrive one after another (`output_item.added`, their
// deltas, `output_item.done`); each message, reasoning, function_call or custom_tool_call item becomes
// one canonical block. Built-in tool items (web_search_call…) run at OpenAI and have no canonical form.
// The terminal event is `response.completed`/`.incomplete` (usage, status) or `response.failed`; a
// mid-stream `error` event (flat or nested shape, Q-13) fails the stream; EOF before a terminal event
// is a truncated stream. The event name is read from `data.type` (the `event:` line is optional).

import { GatewayError } from '../../core/errors.ts';
import type { EventSink, FinishReason } from '../../core/events.ts';
import type { DecodeContext, UpstreamStreamDecoder } from '../../core/protocol.ts';
import { splitGluedJson } from '../../sse/glued.ts';
import { upstreamStreamError } from './errors.ts';
import { fromResponsesOutcome } from './finish-reason.ts';
import { responsesSignature } from './signatures.ts';
import { frontStateOf, type UpstreamItemIds } from './state.ts';
import { fromResponsesUsage } from './usage.ts';

type Kind = 'text' | 'reasoning' | 'call' | 'custom';

interface ItemState {
  kind: Kind;
  block: number;
  /** Characters emitted so far: an item whose text only arrives in `.done` is emitted from there. */
  emitted: number;
  /** Reasoning: the summary part being streamed (a new one is separated by a blank line). */
  summaryIndex: number;
}

export function createResponsesStreamDecoder(emit: EventSink, ctx: DecodeContext): UpstreamStreamDecoder {
  return new ResponsesStreamDecoder(emit, ctx);
}

/** The decoding shared by the stream and a whole Response body (decode-response.ts replays it). */
export class ResponsesStreamDecoder implements UpstreamStreamDecoder {
  readonly #emit: EventSink;
  readonly #ctx: DecodeContext;
  readonly #items = new Map<number, ItemState>();
  #open: ItemState | undefined;
  #nextBlock = 0;
  #started = false;
  #ended = false;
  #sawCalls = false;
  #ids: UpstreamItemIds | undefined;

  constructor(emit: EventSink, ctx: DecodeContext) {
    this.#emit = emit;
    this.#ctx = ctx;
  }

  onEvent(data: string, _event: string): void {
    if (this.#ended) return;
    if (data === '[DONE]') return;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      // two events glued into one; anything else is a corrupt stream.
      const pieces = splitGluedJson(data);
      if (pieces === undefined) {
        this.fail(new GatewayError('upstream_malformed', `upstream sent an event that is not JSON: ${data.slice(0, 80)}`, { target: this.#ctx.provider }));
        return;
      }
      for (const piece of pieces) {
        if (this.#ended) return;
        if (piece !== '[DONE]') this.#object(JSON.parse(piece));
      }
      return;
    }
    this.#object(value);
  }

  #object(value: unknown): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(new GatewayError('upstream_malformed', 'upstream sent an event that is not a JSON object', { target: this.#ctx.provider }));
      return;
    }
    this.event(value as Record<string, any>);
  }

  end(): void {
    if (this.#ended) return;
    this.fail(new GatewayError('stream_truncated', 'upstream stream ended before response.completed', { target: this.#ctx.provider }));
  }

  /** One parsed event. */
  event(e: Record<string, any>): void {
    if (this.#ended) return;
    switch (e.type) {
      case 'response.created':
      case 'response.in_progress':
      case 'response.queued':
        this.#start(e.response);
        return;
      case 'response.output_item.added':
        this.#start(undefined);
        this.#added(e.output_index, e.item);
        return;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        this.#text(e.output_index, e.delta, 'text');
        return;
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta':
        this.#reasoning(e.output_index, e.delta, typeof e.summary_index === 'number' ? e.summary_index : 0);
        return;
      case 'response.function_call_arguments.delta':
        this.#text(e.output_index, e.delta, 'call');
        return;
      case 'response.custom_tool_call_input.delta':
        this.#customInput(e.output_index, e.delta);
        return;
      case 'response.output_item.done':
        this.#done(e.output_index, e.item);
        return;
      case 'response.completed':
      case 'response.incomplete':
        this.#complete(e.response);
        return;
      case 'response.failed':
        this.fail(upstreamStreamError(e.response?.error, this.#ctx, 'upstream response failed'));
        return;
      case 'error':
        this.fail(upstreamStreamError(e, this.#ctx, 'upstream stream failed'));
        return;
      default:
        // Part/done events repeat what the deltas said; built-in tool progress has no canonical form.
        return;
    }
  }

  fail(error: GatewayError): void {
    if (this.#ended) return;
    this.#close();
    this.#ended = true;
    this.#emit({ type: 'error', error: error.target ? error : error.withTarget(this.#ctx.provider) });
  }

  #start(response: any): void {
    if (this.#started) return;
    this.#started = true;
    const id = typeof response?.id === 'string' && response.id !== '' ? response.id : undefined;
    const model = typeof response?.model === 'string' && response.model !== '' ? response.model : undefined;
    // A Responses client behind sluice sees this upstream's item ids (state.ts).
    const state = frontStateOf(this.#ctx.request.frontState);
    if (state && id !== undefined) {
      this.#ids = { ids: [], phases: [] };
      state.upstreamItems.set(id, this.#ids);
    }
    this.#emit({ type: 'message-start', ...(id !== undefined && { id }), ...(model !== undefined && { model }) });
  }

  #added(outputIndex: unknown, item: any): void {
    if (typeof outputIndex !== 'number' || typeof item !== 'object' || item === null) return;
    let kind: Kind;
    switch (item.type) {
      case 'message':
        kind = 'text';
        break;
      case 'reasoning':
        kind = 'reasoning';
        break;
      case 'function_call':
        kind = 'call';
        break;
      case 'custom_tool_call':
        kind = 'custom';
        break;
      default:
        return;
    }
    if (kind === 'call' || kind === 'custom') {
      if (typeof item.name !== 'string' || item.name === '') {
        this.fail(new GatewayError('upstream_malformed', 'upstream sent a function call without a name', { target: this.#ctx.provider }));
        return;
      }
    }
    this.#close();
    const block = this.#nextBlock++;
    const state: ItemState = { kind, block, emitted: 0, summaryIndex: 0 };
    this.#items.set(outputIndex, state);
    this.#open = state;
    if (this.#ids && typeof item.id === 'string') {
      this.#ids.ids[block] = item.id;
      if (typeof item.phase === 'string') this.#ids.phases[block] = item.phase;
    }
    if (kind === 'text') this.#emit({ type: 'block-start', index: block, block: { kind: 'text' } });
    else if (kind === 'reasoning') this.#emit({ type: 'block-start', index: block, block: { kind: 'reasoning' } });
    else {
      this.#sawCalls = true;
      const callId = typeof item.call_id === 'string' && item.call_id !== '' ? item.call_id : String(item.id ?? `call_${block}`);
      this.#emit({ type: 'block-start', index: block, block: { kind: 'tool-call', id: callId, name: this.#toolName(item) } });
      if (kind === 'custom') this.#emit({ type: 'tool-args-delta', index: block, json: '{"input":"' });
    }
  }

  /** A namespaced function (Codex) is known to the canonical request as `<namespace>__<name>`. */
  #toolName(item: any): string {
    const name = item.name as string;
    if (typeof item.namespace === 'string' && item.namespace !== '') {
      const qualified = `${item.namespace}__${name}`;
      if (this.#ctx.request.tools?.some((t) => t.name === qualified)) return qualified;
    }
    return name;
  }

  #text(outputIndex: unknown, delta: unknown, kind: 'text' | 'call'): void {
    const item = typeof outputIndex === 'number' ? this.#items.get(outputIndex) : undefined;
    if (!item || item.kind !== kind || typeof delta !== 'string' || delta === '') return;
    item.emitted += delta.length;
    if (kind === 'text') this.#emit({ type: 'text-delta', index: item.block, text: delta });
    else this.#emit({ type: 'tool-args-delta', index: item.block, json: delta });
  }

  #reasoning(outputIndex: unknown, delta: unknown, summaryIndex: number): void {
    const item = typeof outputIndex === 'number' ? this.#items.get(outputIndex) : undefined;
    if (!item || item.kind !== 'reasoning' || typeof delta !== 'string' || delta === '') return;
    const text = summaryIndex !== item.summaryIndex && item.emitted > 0 ? `\n\n${delta}` : delta;
    item.summaryIndex = summaryIndex;
    item.emitted += text.length;
    this.#emit({ type: 'reasoning-delta', index: item.block, text });
  }

  /** A custom tool's raw string streams as the JSON string of its canonical `input` argument. */
  #customInput(outputIndex: unknown, delta: unknown): void {
    const item = typeof outputIndex === 'number' ? this.#items.get(outputIndex) : undefined;
    if (!item || item.kind !== 'custom' || typeof delta !== 'string' || delta === '') return;
    item.emitted += delta.length;
    this.#emit({ type: 'tool-args-delta', index: item.block, json: JSON.stringify(delta).slice(1, -1) });
  }

  #done(outputIndex: unknown, item: any): void {
    const state = typeof outputIndex === 'number' ? this.#items.get(outputIndex) : undefined;
    if (!state || typeof item !== 'object' || item === null) return;
    // Whatever the deltas did not carry (an upstream that only fills `.done`) is emitted now.
    switch (state.kind) {
      case 'text': {
        if (state.emitted === 0) {
          const text = messageText(item);
          if (text !== '') this.#emit({ type: 'text-delta', index: state.block, text });
        }
        break;
      }
      case 'reasoning': {
        if (state.emitted === 0) {
          const text = reasoningText(item);
          if (text !== '') this.#emit({ type: 'reasoning-delta', index: state.block, text });
        }
        if (typeof item.id === 'string' && item.id !== '') {
          const enc = typeof item.encrypted_content === 'string' ? item.encrypted_content : undefined;
          this.#emit({ type: 'signature-delta', index: state.block, signature: responsesSignature(item.id, enc) });
        }
        break;
      }
      case 'call':
        if (state.emitted === 0 && typeof item.arguments === 'string' && item.arguments !== '') {
          this.#emit({ type: 'tool-args-delta', index: state.block, json: item.arguments });
        }
        break;
      case 'custom':
        if (state.emitted === 0 && typeof item.input === 'string' && item.input !== '') {
          this.#emit({ type: 'tool-args-delta', index: state.block, json: JSON.stringify(item.input).slice(1, -1) });
        }
        this.#emit({ type: 'tool-args-delta', index: state.block, json: '"}' });
        break;
    }
    if (this.#open === state) this.#open = undefined;
    this.#emit({ type: 'block-end', index: state.block });
  }

  #close(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    // A custom call cut short still closes its JSON; the normalizer judges completeness of others.
    if (open.kind === 'custom') this.#emit({ type: 'tool-args-delta', index: open.block, json: '"}' });
    this.#emit({ type: 'block-end', index: open.block });
  }

  #complete(response: any): void {
    this.#start(response);
    this.#close();
    const usage = fromResponsesUsage(response?.usage);
    if (usage) this.#emit({ type: 'usage', usage });
    const status = typeof response?.status === 'string' ? response.status : 'completed';
    const reason = typeof response?.incomplete_details?.reason === 'string' ? response.incomplete_details.reason : undefined;
    const finish: FinishReason = fromResponsesOutcome(status, reason, this.#sawCalls);
    this.#ended = true;
    this.#emit({ type: 'finish', reason: finish });
    this.#emit({ type: 'done' });
  }
}

function messageText(item: any): string {
  if (!Array.isArray(item.content)) return '';
  let out = '';
  for (const part of item.content) {
    if (part?.type === 'output_text' && typeof part.text === 'string') out += part.text;
    else if (part?.type === 'refusal' && typeof part.refusal === 'string') out += part.refusal;
  }
  return out;
}

function reasoningText(item: any): string {
  const summary = Array.isArray(item.summary) ? item.summary.filter((s: any) => typeof s?.text === 'string').map((s: any) => s.text) : [];
  if (summary.length > 0) return summary.join('\n\n');
  const content = Array.isArray(item.content) ? item.content.filter((c: any) => typeof c?.text === 'string').map((c: any) => c.text) : [];
  return content.join('\n\n');
}
