// Azure OpenAI streams through the OpenAI decoder, with the one Azure rule it lacks: the
// asynchronous content filter sends annotation chunks after the `finish_reason:"stop"` chunk and may
// end a stream whose text was already sent with a late `finish_reason:"content_filter"`. So the
// finish is held until the body's true end (`[DONE]` or EOF) and the last one wins, content_filter
// over an earlier stop. Only the finish waits (behind the annotation tail); content never does.
// The other Azure chunk shapes (Q-16: prompt_filter_results with empty id and choices, choices
// without `delta`) the OpenAI decoder already skips.

import type { EventSink, StreamEvent } from '../../core/events.ts';
import type { DecodeContext, UpstreamStreamDecoder } from '../../core/protocol.ts';
import { createOpenAIStreamDecoder } from '../openai/decode-stream.ts';

/** Quick pre-check: annotation chunks name `content_filter_results` too, so the finish itself is matched below. */
const FILTER_WORD = '"content_filter"';
const LATE_FILTER_FINISH = /"finish_reason"\s*:\s*"content_filter"/;
const CONTENT_FILTER: StreamEvent = { type: 'finish', reason: 'content-filter' };

export function createAzureStreamDecoder(emit: EventSink, ctx: DecodeContext): UpstreamStreamDecoder {
  let held: StreamEvent | undefined;
  const hold: EventSink = (ev: StreamEvent) => {
    if (ev.type === 'finish') {
      held = ev;
      return;
    }
    if (held !== undefined && (ev.type === 'done' || ev.type === 'error')) {
      // An error after the finish still wins: the stream did not end cleanly.
      if (ev.type === 'done') emit(held);
      held = undefined;
    }
    emit(ev);
  };
  const inner = createOpenAIStreamDecoder(hold, ctx);
  const decoder: UpstreamStreamDecoder = {
    onEvent(data, event) {
      inner.onEvent(data, event);
      // The OpenAI decoder keeps the first finish; a later content_filter overrides it here.
      if (held !== undefined && data.includes(FILTER_WORD) && LATE_FILTER_FINISH.test(data)) held = CONTENT_FILTER;
    },
    end() {
      inner.end();
    },
  };
  // Text chunks take the byte fast path unchanged; they never carry a finish.
  if (inner.onDataLine !== undefined) decoder.onDataLine = (bytes, start, end) => inner.onDataLine!(bytes, start, end);
  return decoder;
}
