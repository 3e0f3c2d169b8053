// Shared helpers for the Bedrock protocol tests: ConverseStream bodies built as real event-stream
// bytes, replayed through the framing and the codec at any chunking.

import type { StreamEvent } from '../../../src/core/events.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { DecodeContext, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { createNormalizer } from '../../../src/core/normalize.ts';
import { EventStreamDecoder, encodeEvent, encodeException } from '../../../src/protocols/bedrock/event-stream.ts';
import { createBedrockStreamDecoder } from '../../../src/protocols/bedrock/decode-stream.ts';
import type { ModelFamily } from '../../../src/protocols/bedrock/family.ts';

export type Frame = [eventType: string, payload: unknown];

/** Padding like the real service's (`"p":"abcd…"`, random length). */
export function pad(n: number): string {
  return 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.slice(0, n);
}

/** Event-stream bytes for frames; an event type `exception:NAME` becomes an exception message. */
export function streamBytes(frames: Frame[]): Buffer {
  return Buffer.concat(
    frames.map(([type, payload], i) => {
      const json = typeof payload === 'string' ? payload : JSON.stringify({ ...(payload as object), p: pad(3 + ((i * 7) % 40)) });
      return type.startsWith('exception:') ? encodeException(type.slice('exception:'.length), json) : encodeEvent(type, json);
    }),
  );
}

export function endpoint(overrides: Partial<UpstreamEndpoint> = {}): UpstreamEndpoint {
  return { name: 'bedrock', baseUrl: '', headers: {}, quirks: {}, settings: { region: 'us-east-1' }, ...overrides };
}

export function chatRequest(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'claude',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: true,
    includeUsage: true,
    front: 'openai',
    raw: {},
    ...overrides,
  };
}

export function decodeContext(request: ChatRequest = chatRequest()): DecodeContext {
  return { provider: 'bedrock', endpoint: endpoint(), request };
}

/** Replays bytes through the framing, the stream decoder and the normalizer, `chunk` bytes at a time (0 = whole). */
export function replay(bytes: Buffer, chunk = 0, family: ModelFamily = 'anthropic', request?: ChatRequest): StreamEvent[] {
  const events: StreamEvent[] = [];
  const decoder = createBedrockStreamDecoder(createNormalizer((ev) => events.push(ev)), decodeContext(request), family);
  const framing = new EventStreamDecoder({
    onEvent: (data, event) => decoder.onEvent(data, event),
    onError: (err) => events.push({ type: 'error', error: Object.assign(err, { code: 'framing' }) as never }),
  });
  if (chunk <= 0) framing.push(bytes);
  else for (let i = 0; i < bytes.length; i += chunk) framing.push(bytes.subarray(i, i + chunk));
  framing.end();
  decoder.end();
  return events;
}
