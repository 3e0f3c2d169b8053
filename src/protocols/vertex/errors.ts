// Vertex AI error replies -> GatewayError. Vertex's own front end (auth, quota, routing) answers in
// Google's JSON, `{"error":{code,message,status}}` or the same wrapped in a one-element array;
// RESOURCE_EXHAUSTED is a retryable 429. A Claude model's own refusals come in Anthropic's shape
// (`{"type":"error","error":{…}}`) and go to the Anthropic codec's reader.

import type { GatewayError } from '../../core/errors.ts';
import type { ErrorContext, UpstreamCodec } from '../../core/protocol.ts';
import { decodeGeminiError } from '../gemini/errors.ts';

type Headers = Record<string, string | string[] | undefined>;

export function decodeVertexError(status: number, bodyText: string, headers: Headers, ctx: ErrorContext, publisher: UpstreamCodec): GatewayError {
  if (isAnthropicShaped(bodyText)) return publisher.decodeError(status, bodyText, headers, ctx);
  return decodeGeminiError(status, bodyText, headers);
}

/** `{"type":"error", …}` at the top level: Anthropic's error envelope, which Google's never has. */
function isAnthropicShaped(bodyText: string): boolean {
  const text = bodyText.trimStart();
  if (text[0] !== '{' || !text.includes('"type"')) return false;
  try {
    const v = JSON.parse(text) as { type?: unknown };
    return v.type === 'error';
  } catch {
    return false;
  }
}
