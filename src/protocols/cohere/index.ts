// Cohere v2 chat (`POST /v2/chat`) as a front (the cohere-ai SDK pointed at sluice) and as an
// upstream (provider type `cohere`: Cohere's API root, Bearer key). docs/protocols/cohere.md.

import type { FrontCodec, ProviderType, UpstreamCodec } from '../../core/protocol.ts';
import { sseFraming } from '../../sse/framing.ts';
import type { Protocol } from '../plugin.ts';
import { apiKeyAuth } from '../shared/api-key.ts';
import { cohereConformance } from './conformance.ts';
import { decodeCohereRequest } from './decode-request.ts';
import { decodeCohereResponse } from './decode-response.ts';
import { createCohereStreamDecoder } from './decode-stream.ts';
import { PASTED_SUFFIX, buildCohereRequest } from './encode-request.ts';
import { encodeCohereResponse } from './encode-response.ts';
import { createCohereStreamEncoder } from './encode-stream.ts';
import { decodeCohereError, encodeCohereError } from './errors.ts';
import { cohereMock } from './mock.ts';
import { coherePlayground } from './playground.ts';
import { COHERE } from './wire.ts';

export const cohereFront: FrontCodec = {
  name: COHERE,
  routes: [{ method: 'POST', path: '/v2/chat', op: 'chat' }],
  decodeRequest: (body) => decodeCohereRequest(body),
  createStreamEncoder: createCohereStreamEncoder,
  encodeResponse: encodeCohereResponse,
  encodeError: encodeCohereError,
};

export const cohereUpstream: UpstreamCodec = {
  name: COHERE,
  framing: sseFraming,
  buildRequest: buildCohereRequest,
  createStreamDecoder: createCohereStreamDecoder,
  decodeResponse: decodeCohereResponse,
  decodeError: (status, bodyText, headers) => decodeCohereError(status, bodyText, headers),
};

export const cohereProviderType: ProviderType = {
  type: COHERE,
  defaultBaseUrl: 'https://api.cohere.com',
  pastedSuffix: PASTED_SUFFIX,
  create: (endpoint) => ({ kind: 'http', codecFor: () => cohereUpstream, auth: apiKeyAuth(endpoint, 'authorization') }),
};

export const cohere: Protocol = {
  name: COHERE,
  front: cohereFront,
  upstream: cohereUpstream,
  providerTypes: [cohereProviderType],
  mock: cohereMock,
  conformance: cohereConformance,
  playground: coherePlayground,
};
