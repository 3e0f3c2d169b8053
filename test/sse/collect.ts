// Test helpers: run an SseDecoder over chunks and record everything it reports.
import { SseDecoder } from '../../src/sse/index.ts';
import type { SseDecoderOptions } from '../../src/sse/index.ts';
import { mulberry32 } from '../helpers/prng.ts';

export interface DecodedEvent {
  event: string;
  data: string;
  id: string;
}

export interface Decoded {
  events: DecodedEvent[];
  comments: string[];
  retries: number[];
  errors: Error[];
}

export function newDecoded(): Decoded {
  return { events: [], comments: [], retries: [], errors: [] };
}

/** A decoder that records into `out`. */
export function recordingDecoder(out: Decoded, options?: SseDecoderOptions): SseDecoder {
  return new SseDecoder(
    {
      onEvent: (data, event, id) => out.events.push({ event, data, id }),
      onComment: (text) => out.comments.push(text),
      onRetry: (ms) => out.retries.push(ms),
      onError: (err) => out.errors.push(err),
    },
    options,
  );
}

/** Pushes every chunk, then calls end(). */
export function decodeChunks(chunks: Iterable<Uint8Array>, options?: SseDecoderOptions): Decoded {
  const out = newDecoded();
  const decoder = recordingDecoder(out, options);
  for (const chunk of chunks) decoder.push(chunk);
  decoder.end();
  return out;
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Splits `input` at the given offsets (ascending, deduplicated inside). */
export function splitAt(input: Uint8Array, offsets: Iterable<number>): Uint8Array[] {
  const cuts = [...new Set(offsets)].filter((at) => at > 0 && at < input.length).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(input.subarray(start, cut));
    start = cut;
  }
  chunks.push(input.subarray(start));
  return chunks;
}

/** mulberry32 (test/helpers/prng.ts). */
export const seededRandom = mulberry32;
