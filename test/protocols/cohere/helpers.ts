// Shared test helpers for the Cohere protocol folder: replay recorded fixtures through the real SSE
// decoder, the Cohere stream decoder and the normalizer; read a front's output as the cohere-ai SDK
// reads it (docs/protocols/cohere.md §6).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { DecodeContext, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { createNormalizer } from '../../../src/core/normalize.ts';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import { cohereUpstream } from '../../../src/protocols/cohere/index.ts';

const FIXTURES = new URL('../../../src/protocols/cohere/__fixtures__/', import.meta.url);

export function fixtureBytes(name: string): Buffer {
  return readFileSync(fileURLToPath(new URL(name, FIXTURES)));
}

export function endpoint(overrides: Partial<UpstreamEndpoint> = {}): UpstreamEndpoint {
  return { name: 'co', baseUrl: 'https://api.cohere.com', apiKey: 'co-secret-key', headers: {}, quirks: {}, ...overrides };
}

export function request(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'command-a',
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

/** Canonical events of `chunks` replayed through SSE decoder -> Cohere decoder (-> normalizer). */
export function replay(chunks: Buffer[], normalize = false): StreamEvent[] {
  const events: StreamEvent[] = [];
  const sink = normalize ? createNormalizer((e) => events.push(e)) : (e: StreamEvent) => events.push(e);
  const decoder = cohereUpstream.createStreamDecoder(sink, decodeContext());
  const sse = new SseDecoder({ onEvent: (data, event) => decoder.onEvent(data, event) });
  for (const c of chunks) sse.push(c);
  sse.end();
  decoder.end();
  return events;
}

/** The SDK's line reader (cohere-ai core/stream/Stream.js iterDataMessages), for a front's output. */
export function sdkEvents(output: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const raw of output.split('\n')) {
    if (!raw.trim()) continue;
    const at = raw.indexOf('data:');
    if (at < 0) continue;
    const line = raw.slice(at + 5);
    if (line.includes('[DONE]')) break;
    out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}
