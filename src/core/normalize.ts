// The stream guard between upstream decoders and front encoders. Whatever an upstream sent, what a
// front receives obeys SPEC §4.5: exactly one message-start first; block indices contiguous from 0 in
// the order blocks open; at most one block open at a time and every opened block stopped; a tool stop
// inferred when tool calls were emitted; finish before done; nothing after done or error.
// A tool block is only closed implicitly (by the next block) when its arguments are complete JSON:
// otherwise the upstream interleaved calls, and corrupt tool input must not reach the client.
// It costs a switch and an integer compare per event; tool argument fragments are kept as a list
// and joined once, when the block closes.

import type { BlockStart, EventSink, FinishReason, StreamEvent } from './events.ts';
import { GatewayError } from './errors.ts';

export function createNormalizer(next: EventSink): EventSink {
  let started = false;
  let ended = false;
  /** Upstream block index -> output index; -1 once the block is closed. */
  const indexMap = new Map<number, number>();
  let openUpstream = -1;
  let openOut = -1;
  let nextOut = 0;
  let sawToolCall = false;
  let finished: FinishReason | undefined;
  /** Argument fragments of the open tool block (undefined when the open block is not a tool call). */
  let toolArgs: string[] | undefined;

  const start = (): void => {
    if (!started) {
      started = true;
      next({ type: 'message-start' });
    }
  };
  const closeOpen = (): void => {
    toolArgs = undefined;
    if (openOut >= 0) {
      next({ type: 'block-end', index: openOut });
      indexMap.set(openUpstream, -1);
      openOut = -1;
      openUpstream = -1;
    }
  };
  /**
   * Closes the open block so another can open. A tool block whose arguments are not complete JSON
   * cannot be followed by another block: the upstream interleaved calls (translation.md §5).
   */
  const closeForNext = (): boolean => {
    if (toolArgs !== undefined && !completeJson(toolArgs)) {
      fail(interleavedError());
      return false;
    }
    closeOpen();
    return true;
  };
  /** Output index of an open upstream block, or -1 when the delta belongs to nothing open. */
  const route = (upstreamIndex: number): number => (upstreamIndex === openUpstream ? openOut : -1);
  /**
   * For a text or reasoning delta: the open block's output index, or a block opened for it (an
   * upstream that skips block starts). -1 when opening failed (the stream has ended in an error).
   */
  const routeOrOpen = (upstreamIndex: number, block: BlockStart): number => {
    const open = route(upstreamIndex);
    if (open >= 0) return open;
    start();
    if (!closeForNext()) return -1;
    const out = nextOut++;
    indexMap.set(upstreamIndex, out);
    openUpstream = upstreamIndex;
    openOut = out;
    next({ type: 'block-start', index: out, block });
    return out;
  };

  return (ev: StreamEvent): void => {
    if (ended) return;
    switch (ev.type) {
      case 'message-start':
        if (started) return;
        started = true;
        next(ev);
        return;
      case 'block-start': {
        start();
        if (!closeForNext()) return;
        const out = nextOut++;
        indexMap.set(ev.index, out);
        openUpstream = ev.index;
        openOut = out;
        if (ev.block.kind === 'tool-call') {
          sawToolCall = true;
          toolArgs = [];
        }
        next(ev.index === out ? ev : { type: 'block-start', index: out, block: ev.block });
        return;
      }
      case 'text-delta': {
        if (ev.text === '') return; // empty deltas are no-ops
        const out = routeOrOpen(ev.index, TEXT_BLOCK);
        if (out >= 0) next(ev.index === out ? ev : { type: 'text-delta', index: out, text: ev.text });
        return;
      }
      case 'reasoning-delta': {
        if (ev.text === '') return;
        const out = routeOrOpen(ev.index, REASONING_BLOCK);
        if (out >= 0) next(ev.index === out ? ev : { type: 'reasoning-delta', index: out, text: ev.text });
        return;
      }
      case 'signature-delta': {
        const out = route(ev.index);
        if (out < 0) return;
        next(ev.index === out ? ev : { type: 'signature-delta', index: out, signature: ev.signature });
        return;
      }
      case 'tool-args-delta': {
        if (ev.json === '') return;
        const out = route(ev.index);
        if (out < 0) {
          // Arguments for a tool block that is not open: the decoder interleaved calls, which a
          // sequential front cannot represent.
          fail(interleavedError());
          return;
        }
        toolArgs?.push(ev.json);
        next(ev.index === out ? ev : { type: 'tool-args-delta', index: out, json: ev.json });
        return;
      }
      case 'block-end': {
        if (ev.index !== openUpstream) return; // already closed, or never opened
        // A tool call closed with incomplete arguments stays open: if another block follows, the
        // calls were interleaved (an error); if the stream finishes, it was truncated and
        // closes then, as it is.
        if (toolArgs !== undefined && !completeJson(toolArgs)) return;
        closeOpen();
        return;
      }
      case 'usage':
        start();
        next(ev);
        return;
      case 'finish': {
        if (finished !== undefined) return;
        start();
        closeOpen();
        // some upstreams say "stop" although the turn called tools.
        finished = sawToolCall && (ev.reason === 'stop' || ev.reason === 'stop-sequence') ? 'tool-calls' : ev.reason;
        next(finished === ev.reason ? ev : { type: 'finish', reason: finished });
        return;
      }
      case 'done':
        start();
        closeOpen();
        if (finished === undefined) {
          finished = sawToolCall ? 'tool-calls' : 'stop';
          next({ type: 'finish', reason: finished });
        }
        ended = true;
        next(ev);
        return;
      case 'error':
        // No block-end first: like Anthropic's own error events, the error ends the stream as is,
        // so a half-streamed tool call is never presented as complete.
        fail(ev.error);
        return;
    }
  };

  function fail(error: GatewayError): void {
    ended = true;
    next({ type: 'error', error });
  }
}

const TEXT_BLOCK: BlockStart = { kind: 'text' };
const REASONING_BLOCK: BlockStart = { kind: 'reasoning' };

function completeJson(fragments: string[]): boolean {
  if (fragments.length === 0) return true;
  const text = fragments.length === 1 ? fragments[0]! : fragments.join('');
  if (text.trim() === '') return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function interleavedError(): GatewayError {
  return new GatewayError(
    'upstream_malformed',
    'upstream interleaved the arguments of several tool calls; set quirk buffer_tool_calls on this provider',
  );
}
