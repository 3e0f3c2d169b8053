// Cohere v2 chat SSE events -> canonical events (docs/protocols/cohere.md §4–§6). Dispatch is on
// data.type, falling back to the SSE event name; payloads get narrow hand-written checks (no zod per
// event) and anything malformed ends the stream with an 'upstream_malformed' error event.
//
// Cohere numbers content blocks and tool calls separately, and the tool plan has no index at all, so
// the decoder hands out its own block indices (the normalizer renumbers them anyway).

import type { EventSink } from '../../core/events.ts';
import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext, UpstreamStreamDecoder } from '../../core/protocol.ts';
import { splitGluedJson } from '../../sse/glued.ts';
import { cohereStreamError, readErrorMessage } from './errors.ts';
import { fromCohereFinishReason, isFailureFinish } from './finish-reason.ts';
import { readCohereUsage } from './usage.ts';
import { malformedEvent } from '../shared/malformed.ts';

const NULL_ARGS = 'null';

type Json = Record<string, unknown>;

/** The decoder's lifecycle: streaming, or closed (message-end, an error, or end()). */
type State = { kind: 'streaming' } | { kind: 'closed' };

/** A tool call being streamed. `held` keeps fragments that may still spell `null` (§10: becomes {}). */
interface OpenCall {
  index: number;
  held: string | undefined;
}

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);

/** `delta.message` of an event, or undefined. */
function message(ev: Json): Json | undefined {
  return obj(obj(ev.delta)?.message);
}

export function createCohereStreamDecoder(emit: EventSink, ctx: DecodeContext): UpstreamStreamDecoder {
  let state: State = { kind: 'streaming' };
  let started = false;
  let nextIndex = 0;
  /** Cohere content index -> sluice block index. */
  const content = new Map<number, number>();
  /** Block index of the tool plan while it streams, else -1. */
  let plan = -1;
  const calls = new Map<number, OpenCall>();

  const fail = (error: GatewayError): void => {
    state = { kind: 'closed' };
    emit({ type: 'error', error });
  };
  const malformed = (what: string): void => fail(malformedEvent(ctx.provider, what));
  const ensureStarted = (): void => {
    if (!started) {
      started = true;
      emit({ type: 'message-start' });
    }
  };
  const closePlan = (): void => {
    if (plan >= 0) {
      emit({ type: 'block-end', index: plan });
      plan = -1;
    }
  };

  const onContentStart = (ev: Json, data: string): void => {
    const index = ev.index;
    if (typeof index !== 'number') return malformed(data);
    ensureStarted();
    closePlan();
    const c = obj(message(ev)?.content);
    const thinking = c?.type === 'thinking';
    const block = nextIndex++;
    content.set(index, block);
    emit({ type: 'block-start', index: block, block: { kind: thinking ? 'reasoning' : 'text' } });
    // The start event carries an empty string in practice; a non-empty one is content too.
    const first = thinking ? c?.thinking : c?.text;
    if (typeof first === 'string' && first !== '') emit({ type: thinking ? 'reasoning-delta' : 'text-delta', index: block, text: first });
  };

  const onContentDelta = (ev: Json, data: string): void => {
    const index = ev.index;
    const c = obj(message(ev)?.content);
    if (typeof index !== 'number' || c === undefined) return malformed(data);
    let block = content.get(index);
    if (block === undefined) {
      // No content-start seen: the normalizer opens a block for the first delta.
      block = nextIndex++;
      content.set(index, block);
      closePlan();
    }
    if (typeof c.text === 'string') emit({ type: 'text-delta', index: block, text: c.text });
    else if (typeof c.thinking === 'string') emit({ type: 'reasoning-delta', index: block, text: c.thinking });
    else malformed(data);
  };

  const onContentEnd = (ev: Json, data: string): void => {
    const index = ev.index;
    if (typeof index !== 'number') return malformed(data);
    const block = content.get(index);
    if (block !== undefined) emit({ type: 'block-end', index: block });
  };

  const onToolPlanDelta = (ev: Json, data: string): void => {
    const text = message(ev)?.tool_plan;
    if (typeof text !== 'string') return malformed(data);
    ensureStarted();
    if (plan < 0) {
      plan = nextIndex++;
      emit({ type: 'block-start', index: plan, block: { kind: 'text' } });
    }
    emit({ type: 'text-delta', index: plan, text });
  };

  const onToolCallStart = (ev: Json, data: string): void => {
    const index = ev.index;
    const call = obj(message(ev)?.tool_calls);
    const fn = obj(call?.function);
    if (typeof index !== 'number' || typeof call?.id !== 'string' || typeof fn?.name !== 'string') return malformed(data);
    ensureStarted();
    closePlan();
    const open: OpenCall = { index: nextIndex++, held: '' };
    calls.set(index, open);
    emit({ type: 'block-start', index: open.index, block: { kind: 'tool-call', id: call.id, name: fn.name } });
    if (typeof fn.arguments === 'string' && fn.arguments !== '') pushArgs(open, fn.arguments);
  };

  const pushArgs = (call: OpenCall, fragment: string): void => {
    if (call.held === undefined) {
      emit({ type: 'tool-args-delta', index: call.index, json: fragment });
      return;
    }
    const so = call.held + fragment;
    if (NULL_ARGS.startsWith(so)) {
      call.held = so;
      return;
    }
    call.held = undefined;
    emit({ type: 'tool-args-delta', index: call.index, json: so });
  };

  const onToolCallDelta = (ev: Json, data: string): void => {
    const index = ev.index;
    const args = obj(obj(message(ev)?.tool_calls)?.function)?.arguments;
    if (typeof index !== 'number' || typeof args !== 'string') return malformed(data);
    const call = calls.get(index);
    if (call === undefined) return malformed(data); // arguments for a call that never started
    pushArgs(call, args);
  };

  const onToolCallEnd = (ev: Json, data: string): void => {
    const index = ev.index;
    if (typeof index !== 'number') return malformed(data);
    const call = calls.get(index);
    if (call === undefined) return;
    calls.delete(index);
    if (call.held !== undefined && call.held !== '') {
      emit({ type: 'tool-args-delta', index: call.index, json: call.held === NULL_ARGS ? '{}' : call.held });
    }
    emit({ type: 'block-end', index: call.index });
  };

  const onMessageEnd = (ev: Json): void => {
    ensureStarted();
    const delta = obj(ev.delta);
    const reason = delta?.finish_reason;
    const error = delta?.error;
    if ((typeof reason === 'string' && isFailureFinish(reason)) || (typeof error === 'string' && error !== '')) {
      return fail(
        cohereStreamError(typeof reason === 'string' ? reason : undefined, typeof error === 'string' && error !== '' ? error : undefined, ctx.provider),
      );
    }
    closePlan();
    const usage = readCohereUsage(delta?.usage);
    if (usage) emit({ type: 'usage', usage });
    emit({ type: 'finish', reason: fromCohereFinishReason(typeof reason === 'string' ? reason : 'COMPLETE') });
    // message-end is Cohere's only terminal event (§4): the answer is complete here.
    state = { kind: 'closed' };
    emit({ type: 'done' });
  };

  const handle = (value: unknown, data: string, eventName: string): void => {
    const ev = obj(value);
    if (ev === undefined) return malformed(data);
    const type = typeof ev.type === 'string' ? ev.type : eventName;
    switch (type) {
      case 'content-delta':
        return onContentDelta(ev, data);
      case 'tool-call-delta':
        return onToolCallDelta(ev, data);
      case 'tool-plan-delta':
        return onToolPlanDelta(ev, data);
      case 'content-start':
        return onContentStart(ev, data);
      case 'content-end':
        return onContentEnd(ev, data);
      case 'tool-call-start':
        return onToolCallStart(ev, data);
      case 'tool-call-end':
        return onToolCallEnd(ev, data);
      case 'message-start':
        if (started) return;
        started = true;
        emit({ type: 'message-start', id: typeof ev.id === 'string' ? ev.id : undefined });
        return;
      case 'message-end':
        return onMessageEnd(ev);
      case 'citation-start':
      case 'citation-end':
      case 'debug':
        return; // citations have no canonical form (§10)
      default: {
        // A bare error body mid-stream (`{"message": …}` from a relay) ends the stream.
        const text = readErrorMessage(ev);
        if (ev.type === undefined && text !== undefined) return fail(cohereStreamError(undefined, text, ctx.provider));
        return; // event types added later
      }
    }
  };

  return {
    onEvent(data: string, event: string): void {
      if (state.kind !== 'streaming') return;
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        const trimmed = data.trim();
        if (trimmed === '' || trimmed === '[DONE]') return; // a relay's [DONE] means nothing here
        const pieces = splitGluedJson(data);
        if (pieces === undefined) return malformed(trimmed);
        for (const piece of pieces) {
          if (state.kind !== 'streaming') return;
          if (piece !== '[DONE]') handle(JSON.parse(piece), piece, '');
        }
        return;
      }
      handle(value, data, event);
    },
    end(): void {
      if (state.kind === 'closed') return;
      state = { kind: 'closed' };
      emit({ type: 'error', error: new GatewayError('stream_truncated', `${ctx.provider} stream ended before message-end`) });
    },
  };
}
