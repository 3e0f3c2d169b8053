// Anthropic Messages (`POST /v1/messages`) as a front (Claude Code, the official SDKs) and as an
// upstream (the Anthropic API, Azure AI Foundry's /anthropic endpoint, MiniMax's Anthropic API),
// with the `anthropic` provider type and its presets.

import type { FrontCodec, ProviderType, UpstreamCodec } from '../../core/protocol.ts';
import { sseFraming } from '../../sse/framing.ts';
import type { Protocol } from '../plugin.ts';
import { apiKeyAuth } from '../shared/api-key.ts';
import { checkTemperatureRange } from '../shared/quirks.ts';
import { anthropicConformance } from './conformance.ts';
import { anthropicCountTokens, decodeAnthropicCountRequest, encodeAnthropicCount } from './count-tokens.ts';
import { decodeAnthropicRequest } from './decode-request.ts';
import { decodeAnthropicResponse } from './decode-response.ts';
import { createAnthropicStreamDecoder } from './decode-stream.ts';
import { anthropicDoctor } from './doctor.ts';
import { buildAnthropicRequest } from './encode-request.ts';
import { encodeAnthropicResponse } from './encode-response.ts';
import { createAnthropicStreamEncoder } from './encode-stream.ts';
import { decodeAnthropicError, encodeAnthropicError } from './errors.ts';
import { anthropicMock } from './mock.ts';
import { anthropicPlayground } from './playground.ts';
import { anthropicPresets } from './presets.ts';
import { anthropicQuirkFields } from './quirks.ts';

export const anthropicFront: FrontCodec = {
  name: 'anthropic',
  routes: [
    // Query strings such as ?beta=true are accepted (SPEC §3): routes match the path only.
    { method: 'POST', path: '/v1/messages', op: 'chat' },
    { method: 'POST', path: '/v1/messages/count_tokens', op: 'count-tokens', variant: 'count' },
  ],
  requestIdHeader: 'request-id',
  // A count request has no max_tokens (count-tokens.ts).
  decodeRequest: (body, info) => (info.variant === 'count' ? decodeAnthropicCountRequest(body, info.headers) : decodeAnthropicRequest(body, info.headers)),
  createStreamEncoder: createAnthropicStreamEncoder,
  encodeResponse: encodeAnthropicResponse,
  encodeError: encodeAnthropicError,
  encodeCount: encodeAnthropicCount,
};

export const anthropicUpstream: UpstreamCodec = {
  name: 'anthropic',
  framing: sseFraming,
  buildRequest: buildAnthropicRequest,
  createStreamDecoder: createAnthropicStreamDecoder,
  decodeResponse: decodeAnthropicResponse,
  decodeError: (status, bodyText, headers) => decodeAnthropicError(status, bodyText, headers),
  countTokens: anthropicCountTokens,
};

export const anthropicProviderType: ProviderType = {
  type: 'anthropic',
  quirkFields: anthropicQuirkFields,
  defaultBaseUrl: 'https://api.anthropic.com',
  pastedSuffix: /\/v1(?:\/messages)?$/i,
  presets: anthropicPresets,
  check: checkTemperatureRange,
  // Azure Foundry takes `api-key` or `x-api-key`; Entra tokens and some relays want Bearer.
  create: (endpoint) => ({ kind: 'http', codecFor: () => anthropicUpstream, auth: apiKeyAuth(endpoint, 'x-api-key') }),
};

export const anthropic: Protocol = {
  name: 'anthropic',
  front: anthropicFront,
  upstream: anthropicUpstream,
  providerTypes: [anthropicProviderType],
  mock: anthropicMock,
  doctor: anthropicDoctor,
  conformance: anthropicConformance,
  playground: anthropicPlayground,
};

export { findNonPortableContent, GEMINI_SIGNATURE_PREFIX } from './decode-request.ts';
export { DEFAULT_MAX_TOKENS, messagesUrl } from './encode-request.ts';
