// The Bedrock Converse upstream codec. One codec per model family: the family decides the
// model-native request fields and the usage rule (family.ts), and `codecFor(model)` hands out the
// codec of the target's family; embedding models' codecs also embed (embeddings.ts).

import type { Framing, UpstreamCodec } from '../../core/protocol.ts';
import { buildCountTokensRequest, decodeCountTokensResponse } from './count-tokens.ts';
import { decodeBedrockResponse } from './decode-response.ts';
import { createBedrockStreamDecoder } from './decode-stream.ts';
import { buildBedrockRequest } from './encode-request.ts';
import { bedrockEmbeddings, type EmbeddingFamily } from './embeddings.ts';
import { decodeBedrockError } from './errors.ts';
import { EventStreamDecoder } from './event-stream.ts';
import type { ModelFamily } from './family.ts';

/**
 * ConverseStream bodies. `sniffJson`: an event stream starts with the high byte of a length (0x00
 * for any message under 16 MiB), so a body starting with `{` is JSON: an error or a 200 that is not a
 * stream, read whole.
 */
export const awsEventStreamFraming: Framing = {
  name: 'aws-event-stream',
  sniffJson: true,
  create: (handler) => new EventStreamDecoder(handler),
};

/**
 * `embed`: the embedding body the model takes (embeddings.ts); only codecs of embedding models have
 * the capability, so `/v1/embeddings` skips a provider's chat models instead of sending them a body
 * they cannot read.
 */
export function bedrockUpstreamCodec(family: ModelFamily, embed?: EmbeddingFamily): UpstreamCodec {
  return {
    name: 'bedrock',
    framing: awsEventStreamFraming,
    buildRequest: buildBedrockRequest,
    createStreamDecoder: (emit, ctx) => createBedrockStreamDecoder(emit, ctx, family),
    decodeResponse: (body, ctx) => decodeBedrockResponse(body, ctx, family),
    decodeError: (status, bodyText, headers) => decodeBedrockError(status, bodyText, headers),
    countTokens: { buildRequest: buildCountTokensRequest, decodeResponse: decodeCountTokensResponse },
    ...(embed !== undefined ? { embeddings: bedrockEmbeddings[embed] } : {}),
  };
}
