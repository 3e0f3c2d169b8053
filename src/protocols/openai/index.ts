// The OpenAI Chat Completions dialect, as a front (clients speak it to sluice) and as an upstream
// (sluice speaks it to OpenAI-compatible servers), with the `openai` provider type and its presets.
// openai-chat.md is the wire reference (docs/ cites what the code relies on).

import type { FrontCodec, ProviderType, UpstreamCodec } from '../../core/protocol.ts';
import { sseFraming } from '../../sse/framing.ts';
import type { Protocol } from '../plugin.ts';
import { apiKeyAuth } from '../shared/api-key.ts';
import { checkTemperatureRange } from '../shared/quirks.ts';
import { openaiConformance } from './conformance.ts';
import { decodeOpenAIRequest } from './decode-request.ts';
import { decodeOpenAIResponse } from './decode-response.ts';
import { createOpenAIStreamDecoder } from './decode-stream.ts';
import { openaiDoctor } from './doctor.ts';
import { buildOpenAIRequest } from './encode-request.ts';
import { encodeOpenAIResponse } from './encode-response.ts';
import { createOpenAIStreamEncoder } from './encode-stream.ts';
import { decodeUpstreamError, encodeOpenAIError } from './errors.ts';
import { openaiMock } from './mock.ts';
import { modelList, modelListKey } from './models.ts';
import { openaiPlayground } from './playground.ts';
import { openaiPresets } from './presets.ts';
import { openaiQuirkFields } from './quirks.ts';
import { openaiEmbeddingsFront, openaiEmbeddingsUpstream } from './embeddings.ts';

export const openaiFront: FrontCodec = {
  name: 'openai',
  routes: [
    { method: 'POST', path: '/v1/chat/completions', op: 'chat' },
    { method: 'POST', path: '/chat/completions', op: 'chat' },
    // The configured model names in OpenAI's list shape (SPEC §3).
    { method: 'GET', path: '/v1/models', op: 'custom', handle: modelList, variant: 'models' },
    { method: 'GET', path: '/models', op: 'custom', handle: modelList, variant: 'models' },
    { method: 'POST', path: '/v1/embeddings', op: 'embeddings' },
    { method: 'POST', path: '/embeddings', op: 'embeddings' },
  ],
  clientKey: modelListKey,
  decodeRequest: (body, info) => decodeOpenAIRequest(body, info.headers),
  createStreamEncoder: createOpenAIStreamEncoder,
  encodeResponse: encodeOpenAIResponse,
  encodeError: encodeOpenAIError,
  embeddings: openaiEmbeddingsFront,
};

export const openaiUpstream: UpstreamCodec = {
  name: 'openai',
  framing: sseFraming,
  buildRequest: buildOpenAIRequest,
  createStreamDecoder: createOpenAIStreamDecoder,
  decodeResponse: decodeOpenAIResponse,
  decodeError: decodeUpstreamError,
  embeddings: openaiEmbeddingsUpstream,
};

export const openaiProviderType: ProviderType = {
  type: 'openai',
  quirkFields: openaiQuirkFields,
  defaultBaseUrl: 'https://api.openai.com/v1',
  // The base keeps its /v1: the codec appends only /chat/completions.
  pastedSuffix: /\/chat\/completions$/i,
  presets: openaiPresets,
  check: checkTemperatureRange,
  create: (endpoint) => ({ kind: 'http', codecFor: () => openaiUpstream, auth: apiKeyAuth(endpoint, 'authorization') }),
};

export const openai: Protocol = {
  name: 'openai',
  front: openaiFront,
  upstream: openaiUpstream,
  providerTypes: [openaiProviderType],
  mock: openaiMock,
  doctor: openaiDoctor,
  conformance: openaiConformance,
  playground: openaiPlayground,
};
