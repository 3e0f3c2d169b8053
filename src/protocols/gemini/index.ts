// Google Gemini (`generateContent` / `streamGenerateContent`): as a front (Gemini CLI, `@google/genai`,
// front.ts) and as an upstream (sluice speaks Gemini to generativelanguage.googleapis.com, the `gemini`
// provider type).

import type { ProviderType, UpstreamCodec } from '../../core/protocol.ts';
import { sseFraming } from '../../sse/framing.ts';
import type { Protocol } from '../plugin.ts';
import { apiKeyAuth } from '../shared/api-key.ts';
import { checkTemperatureRange } from '../shared/quirks.ts';
import { buildGeminiRequest } from './encode-request.ts';
import { buildGeminiCountRequest, decodeGeminiCount } from './count-tokens.ts';
import { geminiConformance } from './conformance.ts';
import { geminiDoctor } from './doctor.ts';
import { geminiFront } from './front.ts';
import { geminiPlayground } from './playground.ts';
import { createGeminiStreamDecoder } from './decode-stream.ts';
import { decodeGeminiResponse } from './decode-response.ts';
import { decodeGeminiError } from './errors.ts';
import { geminiMock } from './mock.ts';
import { geminiPresets } from './presets.ts';
import { geminiQuirkFields } from './quirks.ts';
import { geminiEmbeddingsUpstream } from './embeddings.ts';

export const geminiUpstream: UpstreamCodec = {
  name: 'gemini',
  framing: sseFraming,
  buildRequest: buildGeminiRequest,
  createStreamDecoder: (emit) => createGeminiStreamDecoder(emit),
  decodeResponse: (body) => decodeGeminiResponse(body),
  decodeError: (status, bodyText, headers) => decodeGeminiError(status, bodyText, headers),
  embeddings: geminiEmbeddingsUpstream,
  countTokens: { buildRequest: buildGeminiCountRequest, decodeResponse: decodeGeminiCount },
};

export const geminiProviderType: ProviderType = {
  type: 'gemini',
  quirkFields: geminiQuirkFields,
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  pastedSuffix: /\/v1(?:beta|alpha)?(?:\/models)?$/i,
  presets: geminiPresets,
  check: checkTemperatureRange,
  // The key travels in a header, never as `?key=`, so it cannot land in access logs (gemini.md §1).
  create: (endpoint) => ({ kind: 'http', codecFor: () => geminiUpstream, auth: apiKeyAuth(endpoint, 'x-goog-api-key') }),
};

export const gemini: Protocol = {
  name: 'gemini',
  front: geminiFront,
  upstream: geminiUpstream,
  providerTypes: [geminiProviderType],
  mock: geminiMock,
  doctor: geminiDoctor,
  conformance: geminiConformance,
  playground: geminiPlayground,
};

export { geminiFront };
