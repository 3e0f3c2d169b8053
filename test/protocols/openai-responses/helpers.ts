// Replays an upstream SSE body through the real stages (SSE decoder, upstream decoder, normalizer,
// commit gate, front encoder), as the pipeline does, for the openai-responses unit tests.

import { createNormalizer } from '../../../src/core/normalize.ts';
import { ResponseCollector, type ChatResponse } from '../../../src/core/response.ts';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { FrontCodec, UpstreamCodec, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import { createCommitGate } from '../../../src/gateway/commit-gate.ts';
import { withUsageEstimate } from '../../../src/gateway/usage.ts';

export const CLIENT_MODEL = 'client-model';

export function baseRequest(front: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: CLIENT_MODEL,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: true,
    includeUsage: true,
    front: front as ChatRequest['front'],
    raw: {},
    ...extra,
  };
}

export interface Outcome {
  output: string;
  canonical?: ChatResponse;
  failed: boolean;
  committed: boolean;
  events: StreamEvent[];
}

export function replay(
  front: Pick<FrontCodec, 'createStreamEncoder'>,
  upstream: Pick<UpstreamCodec, 'createStreamDecoder'>,
  chunks: Buffer[],
  request: ChatRequest,
  quirks: UpstreamEndpoint['quirks'] = {},
): Outcome {
  const out: string[] = [];
  const events: StreamEvent[] = [];
  const encode = front.createStreamEncoder(
    { requestId: 'r', model: CLIENT_MODEL, created: 1_700_000_000, includeUsage: true, includeReasoning: true, chat: request } as never,
    { write: (s: string) => out.push(s) },
  );
  const collector = new ResponseCollector();
  let failed = false;
  const gate = createCommitGate(encode);
  // As the pipeline does: usage is estimated where the upstream reported none (SPEC §4.4).
  const normalized = createNormalizer(
    withUsageEstimate(request, (ev: StreamEvent) => {
      events.push(ev);
      if (ev.type === 'error') {
        failed = true;
        if (gate.committed) encode(ev);
        return;
      }
      collector.push(ev);
      gate.push(ev);
    }),
  );
  const endpoint: UpstreamEndpoint = { name: 'up', baseUrl: 'http://127.0.0.1:9', headers: {}, quirks };
  const decoder = upstream.createStreamDecoder(normalized, { provider: 'up', endpoint, request });
  const sse = new SseDecoder({ onEvent: (data, event) => decoder.onEvent(data, event) });
  for (const c of chunks) sse.push(c);
  sse.end();
  decoder.end();
  return { output: out.join(''), canonical: failed ? undefined : collector.result(), failed, committed: gate.committed, events };
}
