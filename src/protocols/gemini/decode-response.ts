// A complete `generateContent` reply -> ChatResponse. The reply is folded through the same chunk
// reader as the stream (core/response.ts: non-stream = fold of the stream), so ids are minted and
// signatures kept exactly as when streaming. A JSON array of replies (the streaming endpoint without
// alt=sse, gemini.md §1) folds the same way.

import { GatewayError } from '../../core/errors.ts';
import { ResponseCollector, type ChatResponse } from '../../core/response.ts';
import { GeminiChunkReader } from './chunk-reader.ts';
import { errorFromBody, errorMember } from './errors.ts';

export function decodeGeminiResponse(body: unknown): ChatResponse {
  if (typeof body !== 'object' || body === null) {
    throw new GatewayError('upstream_malformed', 'Gemini reply is not a JSON object');
  }
  // An error-shaped 2xx body has not reached the client yet: map it like an HTTP error.
  const error = errorMember(Array.isArray(body) ? body[0] : body);
  if (error !== undefined) throw errorFromBody(error);
  if (!(Array.isArray(body) ? body.some(isReply) : isReply(body))) {
    throw new GatewayError('upstream_malformed', 'Gemini reply has neither candidates nor promptFeedback');
  }

  const collector = new ResponseCollector();
  const reader = new GeminiChunkReader(collector.push);
  reader.read(body);
  // A complete reply that lacks a finishReason is still complete; only an empty one is not.
  reader.end(true);
  return collector.result();
}

function isReply(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as { candidates?: unknown; promptFeedback?: unknown };
  return Array.isArray(r.candidates) || (typeof r.promptFeedback === 'object' && r.promptFeedback !== null);
}
