// Shared helpers for the Anthropic protocol tests: fixtures replayed through the real SSE decoder,
// SSE text re-parsed, contexts.

import { readFileSync } from 'node:fs';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { DecodeContext, FrontContext, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { createNormalizer } from '../../../src/core/normalize.ts';
import { anthropicFront, anthropicUpstream } from '../../../src/protocols/anthropic/index.ts';

export const FIXTURES = new URL('../../../src/protocols/anthropic/__fixtures__/', import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export interface SseEvent {
  event: string;
  data: string;
}

/** Frames SSE text into events with the project's decoder, fed in `chunkSize`-byte pieces (0 = whole). */
export function parseSse(text: string, chunkSize = 0): SseEvent[] {
  const events: SseEvent[] = [];
  const decoder = new SseDecoder({ onEvent: (data, event) => events.push({ data, event }) });
  const bytes = Buffer.from(text, 'utf8');
  if (chunkSize <= 0) decoder.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunkSize) decoder.push(bytes.subarray(i, i + chunkSize));
  decoder.end();
  return events;
}

export function endpoint(overrides: Partial<UpstreamEndpoint> = {}): UpstreamEndpoint {
  return { name: 'anthropic', baseUrl: 'https://api.anthropic.com', apiKey: 'sk-test', headers: {}, quirks: {}, ...overrides };
}

export function chatRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'claude-sonnet',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: true,
    includeUsage: false,
    front: 'openai',
    raw: {},
    ...overrides,
  };
}

export function decodeContext(): DecodeContext {
  return { provider: 'anthropic', endpoint: endpoint(), request: chatRequest() };
}

export function frontContext(model = 'claude-sonnet'): FrontContext {
  return { requestId: 'req_1', model, created: 1767225600, includeUsage: false, includeReasoning: false };
}

/** Replays a fixture (optionally in small chunks) through the upstream decoder; returns canonical events. */
export function replay(name: string, chunkSize = 0): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = anthropicUpstream.createStreamDecoder((ev) => events.push(ev), decodeContext());
  for (const ev of parseSse(fixture(name), chunkSize)) decoder.onEvent(ev.data, ev.event);
  decoder.end();
  return events;
}

/** Runs canonical events through the normalizer and the Anthropic front encoder; returns the SSE text. */
export function encode(events: StreamEvent[], model = 'claude-sonnet'): string {
  const writes: string[] = [];
  const encoder = anthropicFront.createStreamEncoder(frontContext(model), { write: (s) => writes.push(s) });
  const normalize = createNormalizer(encoder);
  for (const ev of events) normalize(ev);
  return writes.join('');
}

/** The encoder's output as [event name, parsed data] pairs. */
export function encodedEvents(events: StreamEvent[], model?: string): Array<{ event: string; data: Record<string, any> }> {
  return parseSse(encode(events, model)).map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
}

/**
 * The official SDK's stream requirements (anthropic-messages.md §8, §11), asserted on a parsed
 * encoder output; returns a description of the first violation or undefined.
 */
export function sdkViolation(events: Array<{ event: string; data: Record<string, any> }>): string | undefined {
  if (events.length === 0) return 'no events';
  const errorAt = events.findIndex((e) => e.event === 'error');
  if (errorAt >= 0 && errorAt !== events.length - 1) return 'events after error';
  let open = -1;
  let blocks = 0;
  let sawStart = false;
  for (const [i, e] of events.entries()) {
    if (e.event !== e.data.type) return `event ${i}: name ${e.event} != data.type ${e.data.type}`;
    if (e.event === 'error') continue;
    if (e.event === 'message_start') {
      if (sawStart) return 'second message_start';
      if (i !== 0) return 'message_start not first';
      sawStart = true;
      continue;
    }
    if (!sawStart) return `${e.event} before message_start`;
    switch (e.event) {
      case 'content_block_start':
        if (open >= 0) return `block ${e.data.index} started while ${open} open`;
        if (e.data.index !== blocks) return `index ${e.data.index} != position ${blocks}`;
        open = blocks++;
        break;
      case 'content_block_delta':
        if (e.data.index !== open) return `delta for ${e.data.index} while ${open} open`;
        break;
      case 'content_block_stop':
        if (e.data.index !== open) return `stop for ${e.data.index} while ${open} open`;
        open = -1;
        break;
      case 'message_delta':
        if (open >= 0) return 'message_delta with an open block';
        if (typeof e.data.usage?.output_tokens !== 'number') return 'message_delta without usage.output_tokens';
        break;
      case 'message_stop':
        if (i !== events.length - 1) return 'message_stop not last';
        if (events[i - 1]?.event !== 'message_delta') return 'message_stop not after message_delta';
        break;
      default:
        return `unexpected event ${e.event}`;
    }
  }
  if (open >= 0) return `block ${open} never stopped`;
  if (errorAt < 0 && events[events.length - 1].event !== 'message_stop') return 'no message_stop';
  return undefined;
}
