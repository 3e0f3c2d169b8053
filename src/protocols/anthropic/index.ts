// Anthropic Messages (`POST /v1/messages`) as a front (Claude Code, the official SDKs) and as an
// upstream (the Anthropic API, Azure AI Foundry's /anthropic endpoint, MiniMax's Anthropic API).

import type { FrontCodec, UpstreamCodec } from '../../core/protocol.ts';
import { decodeAnthropicRequest } from './decode-request.ts';
import { decodeAnthropicResponse } from './decode-response.ts';
import { createAnthropicStreamDecoder } from './decode-stream.ts';
import { buildAnthropicRequest } from './encode-request.ts';
import { encodeAnthropicResponse } from './encode-response.ts';
import { createAnthropicStreamEncoder } from './encode-stream.ts';
import { decodeAnthropicError, encodeAnthropicError } from './errors.ts';

export const anthropicFront: FrontCodec = {
  name: 'anthropic',
  decodeRequest: decodeAnthropicRequest,
  createStreamEncoder: createAnthropicStreamEncoder,
  encodeResponse: encodeAnthropicResponse,
  encodeError: encodeAnthropicError,
};

export const anthropicUpstream: UpstreamCodec = {
  name: 'anthropic',
  buildRequest: buildAnthropicRequest,
  createStreamDecoder: createAnthropicStreamDecoder,
  decodeResponse: decodeAnthropicResponse,
  decodeError: (status, bodyText, headers) => decodeAnthropicError(status, bodyText, headers),
};

export { findNonPortableContent, GEMINI_SIGNATURE_PREFIX } from './decode-request.ts';
export { DEFAULT_MAX_TOKENS, messagesUrl } from './encode-request.ts';
