// Shared test helpers for the Gemini protocol folder: replay recorded SSE fixtures through the real
// SSE decoder and the Gemini stream decoder, and compare canonical events without random ids.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { DecodeContext, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import { geminiUpstream } from '../../../src/protocols/gemini/index.ts';
import { mulberry32 } from '../../helpers/prng.ts';

const FIXTURES = new URL('../../../src/protocols/gemini/__fixtures__/', import.meta.url);

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(name, FIXTURES)));
}

export function endpoint(overrides: Partial<UpstreamEndpoint> = {}): UpstreamEndpoint {
  return {
    name: 'gemini-test',
    baseUrl: 'https://generativelanguage.googleapis.com',
    apiKey: 'AIza-secret-key',
    headers: {},
    quirks: {},
    ...overrides,
  };
}

export function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
    stream: true,
    includeUsage: false,
    front: 'openai',
    raw: {},
    ...overrides,
  };
}

export function decodeContext(): DecodeContext {
  const ep = endpoint();
  return { provider: ep.name, endpoint: ep, request: request() };
}

/** Splits `bytes` into chunks at the given cut points (sorted, deduplicated, within range). */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

/** mulberry32 (test/helpers/prng.ts). */
export const prng = mulberry32;

/** Feeds chunks through SseDecoder -> Gemini stream decoder and returns the canonical events. */
export function replay(chunks: Iterable<Uint8Array>): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = geminiUpstream.createStreamDecoder((ev) => events.push(ev), decodeContext());
  const sse = new SseDecoder({ onEvent: (data, event) => decoder.onEvent(data, event) });
  for (const chunk of chunks) sse.push(chunk);
  sse.end();
  decoder.end();
  return events;
}

/** Feeds raw data payloads (already framed) to the decoder. */
export function feed(payloads: string[], end = true): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = geminiUpstream.createStreamDecoder((ev) => events.push(ev), decodeContext());
  for (const p of payloads) decoder.onEvent(p, '');
  if (end) decoder.end();
  return events;
}

const MINTED_CALL_ID = /^call_[0-9A-Za-z]{24}$/;

/**
 * Events as plain data for deepEqual: minted tool-call ids become 'call_*' (after checking their
 * shape) and errors become {code, message, status, retryable}.
 */
export function comparable(events: StreamEvent[]): unknown[] {
  return events.map((ev) => {
    if (ev.type === 'block-start' && ev.block.kind === 'tool-call' && MINTED_CALL_ID.test(ev.block.id)) {
      return { ...ev, block: { ...ev.block, id: 'call_*' } };
    }
    if (ev.type === 'error') {
      const e = ev.error;
      return { type: 'error', code: e.code, message: e.message, status: e.status, retryable: e.retryable };
    }
    return ev;
  });
}
