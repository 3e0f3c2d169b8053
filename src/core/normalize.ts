// The stream guard between upstream decoders and front encoders. Whatever an upstream sent, what a
// front receives obeys SPEC §4.5: exactly one message-start first; block indices contiguous from 0 in
// the order blocks open; at most one block open at a time and every opened block stopped; a tool stop
// inferred when tool calls were emitted; finish before done; nothing after done or error.
// It costs a switch and an integer compare per event: no allocation on the delta path.

import type { EventSink, FinishReason, StreamEvent } from './events.ts';

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

  const start = (): void => {
    if (!started) {
      started = true;
      next({ type: 'message-start' });
    }
  };
  const closeOpen = (): void => {
    if (openOut >= 0) {
      next({ type: 'block-end', index: openOut });
      indexMap.set(openUpstream, -1);
      openOut = -1;
      openUpstream = -1;
    }
  };
  /** Output index of an open upstream block, or -1 when the delta belongs to nothing open. */
  const route = (upstreamIndex: number): number => (upstreamIndex === openUpstream ? openOut : -1);

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
        closeOpen();
        const out = nextOut++;
        indexMap.set(ev.index, out);
        openUpstream = ev.index;
        openOut = out;
        if (ev.block.kind === 'tool-call') sawToolCall = true;
        next(ev.index === out ? ev : { type: 'block-start', index: out, block: ev.block });
        return;
      }
      case 'text-delta': {
        if (ev.text === '') return; // empty deltas are no-ops
        let out = route(ev.index);
        if (out < 0) {
          // A text delta with no open text block (an upstream that skips block starts): open one.
          start();
          closeOpen();
          out = nextOut++;
          indexMap.set(ev.index, out);
          openUpstream = ev.index;
          openOut = out;
          next({ type: 'block-start', index: out, block: { kind: 'text' } });
        }
        next(ev.index === out ? ev : { type: 'text-delta', index: out, text: ev.text });
        return;
      }
      case 'reasoning-delta': {
        if (ev.text === '') return;
        let out = route(ev.index);
        if (out < 0) {
          start();
          closeOpen();
          out = nextOut++;
          indexMap.set(ev.index, out);
          openUpstream = ev.index;
          openOut = out;
          next({ type: 'block-start', index: out, block: { kind: 'reasoning' } });
        }
        next(ev.index === out ? ev : { type: 'reasoning-delta', index: out, text: ev.text });
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
          // sequential front cannot represent. Corrupt tool input must not reach the client.
          ended = true;
          closeOpen();
          next({
            type: 'error',
            error: interleavedError(),
          });
          return;
        }
        next(ev.index === out ? ev : { type: 'tool-args-delta', index: out, json: ev.json });
        return;
      }
      case 'block-end': {
        if (ev.index !== openUpstream) return; // already closed, or never opened
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
        ended = true;
        closeOpen();
        next(ev);
        return;
    }
  };
}

import { GatewayError } from './errors.ts';

function interleavedError(): GatewayError {
  return new GatewayError(
    'upstream_malformed',
    'upstream interleaved the arguments of several tool calls; set quirk buffer_tool_calls on this provider',
  );
}
