// Anthropic SSE events -> canonical events (anthropic-messages.md §6; quirks ).
// Dispatch is on data.type, falling back to the SSE event name only when type is absent: some
// Anthropic-compatible servers send no `event:` lines. Payloads get narrow hand-written checks
// (no zod per event); anything malformed ends the stream with an 'upstream_malformed' error event.
//
// Upstream block indices pass through unchanged (the normalizer renumbers); blocks sluice cannot
// represent (server-tool use and results) are skipped together with their deltas.

import type { BlockStart, EventSink, FinishReason } from '../../core/events.ts';
import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext, UpstreamStreamDecoder } from '../../core/protocol.ts';
import { splitGluedJson } from '../../sse/glued.ts';
import { streamEventError } from './errors.ts';
import { fromAnthropicStopReason } from './finish-reason.ts';
import { mergeUsageCounts, readUsageCounts, toCanonicalUsage, type UsageCounts } from './usage.ts';
import { malformedEvent } from '../shared/malformed.ts';


type Json = Record<string, unknown>;

/** Per-block state that outlives content_block_start; only tool blocks need any. */
interface ToolBlock {
  /** The input given in content_block_start, as JSON text, when it was not the usual empty {}. */
  startInput?: string;
  sawDelta: boolean;
}

type DecoderState = 'streaming' | 'closed';

export function createAnthropicStreamDecoder(emit: EventSink, ctx: DecodeContext): UpstreamStreamDecoder {
  let state: DecoderState = 'streaming';
  let started = false;
  let startCounts: UsageCounts | undefined;
  let finished = false;
  /** Upstream indices of blocks whose content is not forwarded (server tools, unknown types). */
  const skipped = new Set<number>();
  const tools = new Map<number, ToolBlock>();

  const isClosed = (): boolean => state === 'closed';
  const fail = (error: GatewayError): void => {
    state = 'closed';
    emit({ type: 'error', error });
  };
  const malformed = (what: string): void => fail(malformedEvent(ctx.provider, what));
  const ensureStarted = (): void => {
    if (!started) {
      started = true;
      emit({ type: 'message-start' });
    }
  };

  const onMessageStart = (ev: Json): void => {
    if (started) return; // only the first one counts (§8: message_start comes once)
    started = true;
    const message = ev.message;
    const m = typeof message === 'object' && message !== null ? (message as Json) : {};
    startCounts = readUsageCounts(m.usage);
    emit({
      type: 'message-start',
      id: typeof m.id === 'string' ? m.id : undefined,
      model: typeof m.model === 'string' ? m.model : undefined,
      usage: startCounts ? toCanonicalUsage(startCounts) : undefined,
    });
  };

  const onBlockStart = (ev: Json, data: string): void => {
    const index = ev.index;
    const block = ev.content_block;
    if (typeof index !== 'number' || typeof block !== 'object' || block === null) return malformed(data);
    const b = block as Json;
    ensureStarted();
    switch (b.type) {
      case 'text':
        emit({ type: 'block-start', index, block: { kind: 'text' } });
        // Compatible servers sometimes put the first text into the start block itself.
        if (typeof b.text === 'string' && b.text !== '') emit({ type: 'text-delta', index, text: b.text });
        return;
      case 'thinking':
        emit({ type: 'block-start', index, block: { kind: 'reasoning' } });
        if (typeof b.thinking === 'string' && b.thinking !== '') emit({ type: 'reasoning-delta', index, text: b.thinking });
        if (typeof b.signature === 'string' && b.signature !== '') emit({ type: 'signature-delta', index, signature: b.signature });
        return;
      case 'redacted_thinking':
        if (typeof b.data !== 'string') return malformed(data);
        emit({ type: 'block-start', index, block: { kind: 'redacted-reasoning', data: b.data } });
        return;
      case 'tool_use': {
        if (typeof b.id !== 'string' || typeof b.name !== 'string') return malformed(data);
        const start: BlockStart = { kind: 'tool-call', id: b.id, name: b.name };
        const input = b.input;
        const hasInput = typeof input === 'object' && input !== null && Object.keys(input).length > 0;
        tools.set(index, { startInput: hasInput ? JSON.stringify(input) : undefined, sawDelta: false });
        emit({ type: 'block-start', index, block: start });
        return;
      }
      default:
        // server_tool_use, web_search_tool_result, mcp_tool_use, … and future types (§6).
        skipped.add(index);
        return;
    }
  };

  const onBlockDelta = (ev: Json, data: string): void => {
    const index = ev.index;
    const delta = ev.delta;
    if (typeof index !== 'number' || typeof delta !== 'object' || delta === null) return malformed(data);
    if (skipped.has(index)) return;
    const d = delta as Json;
    switch (d.type) {
      case 'text_delta':
        if (typeof d.text !== 'string') return malformed(data);
        emit({ type: 'text-delta', index, text: d.text });
        return;
      case 'input_json_delta': {
        if (typeof d.partial_json !== 'string') return malformed(data);
        const tool = tools.get(index);
        if (tool) tool.sawDelta = true;
        emit({ type: 'tool-args-delta', index, json: d.partial_json });
        return;
      }
      case 'thinking_delta':
        if (typeof d.thinking !== 'string') return malformed(data);
        emit({ type: 'reasoning-delta', index, text: d.thinking });
        return;
      case 'signature_delta':
        if (typeof d.signature !== 'string') return malformed(data);
        emit({ type: 'signature-delta', index, signature: d.signature });
        return;
      default:
        return; // citations_delta and future delta types carry nothing sluice forwards
    }
  };

  const onBlockStop = (ev: Json, data: string): void => {
    const index = ev.index;
    if (typeof index !== 'number') return malformed(data);
    if (skipped.has(index)) return;
    const tool = tools.get(index);
    if (tool) {
      // A complete input in content_block_start and no deltas (some compatible servers): send it whole.
      if (!tool.sawDelta && tool.startInput !== undefined) emit({ type: 'tool-args-delta', index, json: tool.startInput });
      tools.delete(index);
    }
    emit({ type: 'block-end', index });
  };

  const onMessageDelta = (ev: Json): void => {
    ensureStarted();
    const counts = readUsageCounts(ev.usage);
    // Cumulative; fields it lacks (usually input and cache) come from message_start.
    if (counts) emit({ type: 'usage', usage: toCanonicalUsage(mergeUsageCounts(startCounts, counts)) });
    const delta = ev.delta;
    if (typeof delta !== 'object' || delta === null) return;
    const d = delta as Json;
    if (typeof d.stop_reason !== 'string') return;
    finished = true;
    const reason: FinishReason = fromAnthropicStopReason(d.stop_reason);
    if (typeof d.stop_sequence === 'string') emit({ type: 'finish', reason, stopSequence: d.stop_sequence });
    else emit({ type: 'finish', reason });
  };

  const handle = (value: unknown, data: string, eventName: string): void => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed(data);
    const ev = value as Json;
    // type first; the event name only when the payload has none. A bare {"error":…} is an error.
    const type = typeof ev.type === 'string' ? ev.type : ev.error !== undefined ? 'error' : eventName;
    switch (type) {
      case 'content_block_delta':
        return onBlockDelta(ev, data);
      case 'content_block_start':
        return onBlockStart(ev, data);
      case 'content_block_stop':
        return onBlockStop(ev, data);
      case 'message_start':
        return onMessageStart(ev);
      case 'message_delta':
        return onMessageDelta(ev);
      case 'message_stop':
        ensureStarted();
        state = 'closed';
        emit({ type: 'done' });
        return;
      case 'error':
        return fail(streamEventError(ev, ctx.provider));
      default:
        return; // ping and event types added later (§6: ignore unknown ones)
    }
  };

  return {
    onEvent(data: string, event: string): void {
      if (state === 'closed') return;
      let value: unknown;
      try {
        value = JSON.parse(data); // padding inside the JSON is fine for a real parser
      } catch {
        const trimmed = data.trim();
        // `[DONE]` after message_stop (Azure APIM, Copilot-style relays) means nothing here.
        if (trimmed === '' || trimmed === '[DONE]') return;
        // two events glued into one data value (Azure AI Foundry).
        const pieces = splitGluedJson(data);
        if (pieces === undefined) return malformed(trimmed);
        for (const piece of pieces) {
          if (isClosed()) return; // an earlier piece ended the stream
          if (piece !== '[DONE]') handle(JSON.parse(piece), piece, ''); // splitGluedJson returns valid JSON only
        }
        return;
      }
      handle(value, data, event);
    },
    end(): void {
      if (state === 'closed') return;
      state = 'closed';
      // Lenient: a stop_reason was seen, only message_stop is missing.
      if (finished) emit({ type: 'done' });
      else emit({ type: 'error', error: new GatewayError('stream_truncated', `${ctx.provider} stream ended before message_stop`) });
    },
  };
}
