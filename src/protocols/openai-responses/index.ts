// The OpenAI Responses API (`POST /v1/responses`) as a front (Codex CLI, the OpenAI Agents SDK, the
// Vercel AI SDK's default OpenAI provider) and as an upstream (the `openai-responses` provider type:
// OpenAI's own /v1/responses), with stored responses for previous_response_id (the `responses:`
// config section). docs/protocols/openai-responses.md is the wire reference.

import type { FrontCodec, ProviderType, UpstreamCodec } from '../../core/protocol.ts';
import { sseFraming } from '../../sse/framing.ts';
import type { Protocol } from '../plugin.ts';
import { apiKeyAuth } from '../shared/api-key.ts';
import { responsesConformance } from './conformance.ts';
import { decodeResponsesRequest, FRONT_NAME } from './decode-request.ts';
import { decodeResponsesResponse } from './decode-response.ts';
import { createResponsesStreamDecoder } from './decode-stream.ts';
import { responsesDoctor } from './doctor.ts';
import { buildResponsesRequest } from './encode-request.ts';
import { encodeResponsesResponse } from './encode-response.ts';
import { createResponsesStreamEncoder } from './encode-stream.ts';
import { decodeResponsesUpstreamError, encodeResponsesError } from './errors.ts';
import { responsesMock } from './mock.ts';
import { responsesPlayground } from './playground.ts';
import { responsesQuirkFields } from './quirks.ts';
import { deleteStoredResponse, getStoredResponse, getStoredInputItems } from './retrieve.ts';
import { responsesSettings } from './store.ts';
// OpenAI's embeddings live beside /responses on the same base URL (docs/embeddings.md).
import { openaiEmbeddingsUpstream } from '../openai/embeddings.ts';

export const responsesFront: FrontCodec = {
  name: FRONT_NAME,
  routes: [
    { method: 'POST', path: '/v1/responses', op: 'chat' },
    { method: 'POST', path: '/responses', op: 'chat' },
    // Stored responses (SPEC §3.1): 404 when unknown, expired, or the store is off.
    { method: 'GET', path: '/v1/responses/{id}', op: 'custom', handle: getStoredResponse },
    { method: 'DELETE', path: '/v1/responses/{id}', op: 'custom', handle: deleteStoredResponse },
    { method: 'GET', path: '/v1/responses/{id}/input_items', op: 'custom', handle: getStoredInputItems },
  ],
  decodeRequest: decodeResponsesRequest,
  createStreamEncoder: createResponsesStreamEncoder,
  encodeResponse: encodeResponsesResponse,
  encodeError: encodeResponsesError,
};

export const responsesUpstream: UpstreamCodec = {
  name: FRONT_NAME,
  framing: sseFraming,
  buildRequest: buildResponsesRequest,
  createStreamDecoder: createResponsesStreamDecoder,
  decodeResponse: decodeResponsesResponse,
  decodeError: decodeResponsesUpstreamError,
  embeddings: openaiEmbeddingsUpstream,
};

export const responsesProviderType: ProviderType = {
  type: 'openai-responses',
  quirkFields: responsesQuirkFields,
  defaultBaseUrl: 'https://api.openai.com/v1',
  // The base keeps its /v1: the codec appends only /responses.
  pastedSuffix: /\/responses$/i,
  create: (endpoint) => ({ kind: 'http', codecFor: () => responsesUpstream, auth: apiKeyAuth(endpoint, 'authorization') }),
};

export const openaiResponses: Protocol = {
  name: FRONT_NAME,
  front: responsesFront,
  upstream: responsesUpstream,
  providerTypes: [responsesProviderType],
  mock: responsesMock,
  doctor: responsesDoctor,
  conformance: responsesConformance,
  playground: responsesPlayground,
  settings: responsesSettings,
};
