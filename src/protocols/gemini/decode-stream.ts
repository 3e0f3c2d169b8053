// `streamGenerateContent?alt=sse` events -> canonical events (gemini.md §4). Each SSE event is one
// data-only GenerateContentResponse; there are no event names and no [DONE]: the chunk with a
// finishReason is the terminal marker, and EOF without one is a truncated stream.

import type { EventSink } from '../../core/events.ts';
import { GatewayError } from '../../core/errors.ts';
import type { UpstreamStreamDecoder } from '../../core/protocol.ts';
import { splitGluedJson } from '../../sse/glued.ts';
import { GeminiChunkReader } from './chunk-reader.ts';
import { preview } from '../shared/malformed.ts';


export function createGeminiStreamDecoder(emit: EventSink): UpstreamStreamDecoder {
  const reader = new GeminiChunkReader(emit);
  let ended = false;

  const malformed = (data: string): void => {
    reader.fail(new GatewayError('upstream_malformed', `Gemini sent a chunk that is not JSON: ${preview(data)}`));
  };

  return {
    onEvent(data: string): void {
      if (reader.closed) return;
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        const trimmed = data.trim();
        // a relay's stray [DONE] means nothing here; an empty data field carries nothing.
        if (trimmed === '' || trimmed === '[DONE]') return;
        // two events glued into one data value.
        const pieces = splitGluedJson(data);
        if (pieces === undefined) {
          malformed(trimmed);
          return;
        }
        for (const piece of pieces) {
          if (piece === '[DONE]') continue;
          reader.read(JSON.parse(piece)); // splitGluedJson only returns valid JSON documents
        }
        return;
      }
      reader.read(value);
    },
    end(): void {
      if (ended) return;
      ended = true;
      reader.end(false);
    },
  };
}
