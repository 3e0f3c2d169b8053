// Cohere v2 chat (`POST /v2/chat`) as a front (the cohere-ai SDK pointed at sluice) and as an
// upstream (provider type `cohere`: Cohere's API root, Bearer key). docs/protocols/cohere.md.

import type { FrontCodec, UpstreamCodec } from '../../core/protocol.ts';
import type { ProtocolName } from '../../core/request.ts';
import { decodeCohereRequest } from './decode-request.ts';
import { decodeCohereResponse } from './decode-response.ts';
import { createCohereStreamDecoder } from './decode-stream.ts';
import { buildCohereRequest } from './encode-request.ts';
import { encodeCohereResponse } from './encode-response.ts';
import { createCohereStreamEncoder } from './encode-stream.ts';
import { decodeCohereError, encodeCohereError } from './errors.ts';
import { COHERE } from './wire.ts';

export const cohereFront: FrontCodec = {
  name: COHERE as ProtocolName,
  decodeRequest: (body) => decodeCohereRequest(body),
  createStreamEncoder: createCohereStreamEncoder,
  encodeResponse: encodeCohereResponse,
  encodeError: encodeCohereError,
};

export const cohereUpstream: UpstreamCodec = {
  name: COHERE as ProtocolName,
  buildRequest: buildCohereRequest,
  createStreamDecoder: createCohereStreamDecoder,
  decodeResponse: decodeCohereResponse,
  decodeError: (status, bodyText, headers) => decodeCohereError(status, bodyText, headers),
};
