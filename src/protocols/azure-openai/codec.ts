// Azure OpenAI Chat Completions: the openai folder's codec (request, response, errors — Azure's
// string error codes and missing type/param are already read leniently, Q-44), at Azure's URLs,
// without the OpenAI key header (the provider's auth adds `api-key` or an Entra token), with
// `stream_options` only where the api-version takes it, and the content-filter finish rule
// of decode-stream.ts.

import type { UpstreamCodec, UpstreamEndpoint } from '../../core/protocol.ts';
import { openaiUpstream } from '../openai/index.ts';
import { responsesUpstream } from '../openai-responses/index.ts';
import { openaiEmbeddingsUpstream } from '../openai/embeddings.ts';
import { createAzureStreamDecoder } from './decode-stream.ts';
import { acceptsStreamOptions, chatCompletionsUrl, embeddingsUrl, responsesUrl, type AzureResource } from './endpoint.ts';

export function azureChatCodec(resource: AzureResource): UpstreamCodec {
  const streamOptions = acceptsStreamOptions(resource.apiVersion);
  return {
    ...openaiUpstream,
    buildRequest(req, model, endpoint, stream) {
      const inner = openaiUpstream.buildRequest(req, model, withoutKey(endpoint), stream);
      let body = inner.body;
      if (stream && !streamOptions) {
        const parsed = JSON.parse(String(body)) as Record<string, unknown>;
        delete parsed.stream_options;
        body = JSON.stringify(parsed);
      }
      return { ...inner, url: chatCompletionsUrl(resource, model), body };
    },
    createStreamDecoder: createAzureStreamDecoder,
    embeddings: azureEmbeddings(resource),
  };
}

/**
 * Embeddings (docs/embeddings.md): OpenAI's request and answer at Azure's `/openai/v1/embeddings`, or
 * the deployment's `/embeddings?api-version=…` (azure-openai.md), whichever API the provider uses.
 */
function azureEmbeddings(resource: AzureResource): NonNullable<UpstreamCodec['embeddings']> {
  return {
    buildRequest(req, model, endpoint) {
      return { ...openaiEmbeddingsUpstream.buildRequest(req, model, withoutKey(endpoint)), url: embeddingsUrl(resource, model) };
    },
    decodeResponse: openaiEmbeddingsUpstream.decodeResponse,
  };
}

/**
 * Azure OpenAI Responses (`api: responses`): the openai-responses folder's codec at Azure's
 * `/openai/responses?api-version=…` or `/openai/v1/responses`, the deployment name as `model`. Azure
 * keeps OpenAI's Responses shapes (docs/cloud-providers.md); sluice's canonical requests go out with
 * `store: false` and the whole history, so no item id has to exist in Azure's store.
 */
export function azureResponsesCodec(resource: AzureResource): UpstreamCodec {
  const url = responsesUrl(resource);
  return {
    ...responsesUpstream,
    buildRequest(req, model, endpoint, stream) {
      return { ...responsesUpstream.buildRequest(req, model, withoutKey(endpoint), stream), url };
    },
    embeddings: azureEmbeddings(resource),
  };
}

/** The OpenAI codec would send the key as `Authorization: Bearer`; Azure's key goes in `api-key`. */
export function withoutKey(endpoint: UpstreamEndpoint): UpstreamEndpoint {
  if (endpoint.apiKey === undefined) return endpoint;
  const { apiKey: _key, ...rest } = endpoint;
  return rest;
}
