// openai-responses upstream, non-streaming: a Response object -> canonical ChatResponse
// (docs/protocols/openai-responses.md §2). A whole reply is the stream of its items (core/response.ts:
// non-stream = fold of the stream), so the body is replayed through the stream decoder as the events
// that would have carried it, and both paths map items identically.

import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext } from '../../core/protocol.ts';
import { ResponseCollector, type ChatResponse } from '../../core/response.ts';
import { ResponsesStreamDecoder } from './decode-stream.ts';
import { upstreamStreamError } from './errors.ts';

export function decodeResponsesResponse(body: unknown, ctx: DecodeContext): ChatResponse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GatewayError('upstream_malformed', 'upstream response is not a JSON object', { target: ctx.provider });
  }
  const b = body as Record<string, any>;
  if (b.error !== undefined && b.error !== null) throw upstreamStreamError(b.error, ctx, 'upstream answered with an error');
  if (b.status === 'failed') throw upstreamStreamError(b.error, ctx, 'upstream response failed');
  if (!Array.isArray(b.output)) {
    throw new GatewayError('upstream_malformed', 'upstream response has no output', { target: ctx.provider });
  }
  const collector = new ResponseCollector();
  const decoder = new ResponsesStreamDecoder(collector.push, ctx);
  decoder.event({ type: 'response.created', response: b });
  b.output.forEach((item: unknown, i: number) => {
    decoder.event({ type: 'response.output_item.added', output_index: i, item });
    decoder.event({ type: 'response.output_item.done', output_index: i, item });
  });
  decoder.event({ type: 'response.completed', response: b });
  return collector.result();
}
