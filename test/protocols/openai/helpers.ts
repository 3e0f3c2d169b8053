// Shared test helpers for the OpenAI protocol folder: fixture replay through the real SSE decoder
// (optionally at random chunk boundaries), canonical event capture, and SSE output parsing.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StreamEvent } from '../../../src/core/events.ts';
import { createNormalizer } from '../../../src/core/normalize.ts';
import type { DecodeContext, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import { openaiUpstream } from '../../../src/protocols/openai/index.ts';
import { mulberry32 } from '../../helpers/prng.ts';

const FIXTURES = new URL('../../../src/protocols/openai/__fixtures__/', import.meta.url);

export function fixture(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(name, FIXTURES)));
}

export function endpoint(quirks: UpstreamEndpoint['quirks'] = {}, extra: Partial<UpstreamEndpoint> = {}): UpstreamEndpoint {
  return { name: 'local', baseUrl: 'http://127.0.0.1:8000/v1', apiKey: 'sk-test', headers: {}, quirks, ...extra };
}

export function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'fast',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: true,
    includeUsage: false,
    front: 'anthropic',
    raw: {},
    ...overrides,
  };
}

export function decodeContext(quirks: UpstreamEndpoint['quirks'] = {}): DecodeContext {
  return { provider: 'local', endpoint: endpoint(quirks), request: request() };
}

/** mulberry32 (test/helpers/prng.ts). */
export const prng = mulberry32;

/**
 * Feeds `bytes` through the SSE decoder into the OpenAI stream decoder; `seed` splits the bytes at
 * random boundaries (inside multi-byte characters too). Returns the raw canonical events.
 */
export function replayBytes(bytes: Uint8Array, quirks: UpstreamEndpoint['quirks'] = {}, seed?: number): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = openaiUpstream.createStreamDecoder((ev) => events.push(ev), decodeContext(quirks));
  const sse = new SseDecoder({ onEvent: (data, event) => decoder.onEvent(data, event) });
  if (seed === undefined) {
    sse.push(bytes);
  } else {
    const random = prng(seed);
    let pos = 0;
    while (pos < bytes.length) {
      const size = 1 + Math.floor(random() * 40);
      sse.push(bytes.subarray(pos, pos + size));
      pos += size;
    }
  }
  sse.end();
  decoder.end();
  return events;
}

export function replay(name: string, quirks: UpstreamEndpoint['quirks'] = {}, seed?: number): StreamEvent[] {
  return replayBytes(fixture(name), quirks, seed);
}

export function normalize(events: StreamEvent[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  const push = createNormalizer((ev) => out.push(ev));
  for (const ev of events) push(ev);
  return out;
}

/** The `data:` payloads of SSE text written by a front encoder, asserting the writer's framing rules (sse.md §5). */
export function sseData(text: string): string[] {
  if (text === '') return [];
  if (!text.endsWith('\n\n')) throw new Error(`SSE output does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  if (text.includes('\r')) throw new Error('SSE output contains CR');
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((event) => {
      if (!event.startsWith('data: ') || event.includes('\n')) throw new Error(`unexpected SSE event: ${event}`);
      return event.slice('data: '.length);
    });
}
