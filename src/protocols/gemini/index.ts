// Google Gemini (`generateContent` / `streamGenerateContent`): as a front (Gemini CLI, `@google/genai`,
// front.ts) and as an upstream (sluice speaks Gemini to generativelanguage.googleapis.com, the `gemini`
// provider type).

import type { ProviderType, Upstream, UpstreamCodec, UpstreamEndpoint, UpstreamEnv } from '../../core/protocol.ts';
import { sseFraming } from '../../sse/framing.ts';
import type { Protocol } from '../plugin.ts';
import { apiKeyAuth } from '../shared/api-key.ts';
import { checkTemperatureRange } from '../shared/quirks.ts';
import { buildGeminiRequest, geminiBase } from './encode-request.ts';
import { withContextCache, type CacheResources } from './cache-prepare.ts';
import { contextCacheField, contextCacheOf } from './cache-settings.ts';
import { buildGeminiCountRequest, decodeGeminiCount } from './count-tokens.ts';
import { geminiConformance } from './conformance.ts';
import { geminiDoctor } from './doctor.ts';
import { geminiFront } from './front.ts';
import { geminiPlayground } from './playground.ts';
import { createGeminiStreamDecoder } from './decode-stream.ts';
import { decodeGeminiResponse } from './decode-response.ts';
import { decodeGeminiError } from './errors.ts';
import { recoverFromForeignSignatures } from './foreign-signatures.ts';
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
  decodeError: (status, bodyText, headers, ctx) => recoverFromForeignSignatures(decodeGeminiError(status, bodyText, headers), status, bodyText, ctx),
  embeddings: geminiEmbeddingsUpstream,
  countTokens: { buildRequest: buildGeminiCountRequest, decodeResponse: decodeGeminiCount },
};

/** The Gemini API's cachedContents collection (gemini.md §9). */
const geminiCacheResources: CacheResources = {
  modelName: (model) => `models/${model.startsWith('models/') ? model.slice('models/'.length) : model}`,
  collectionUrl: (endpoint) => `${geminiBase(endpoint.baseUrl)}/cachedContents`,
  resourceUrl: (name, endpoint) => `${geminiBase(endpoint.baseUrl)}/${name.split('/').map(encodeURIComponent).join('/')}`,
};

/** Outside the gateway (tools, tests): the process clock. */
const SYSTEM_ENV: UpstreamEnv = { now: Date.now };

function createGeminiUpstream(endpoint: UpstreamEndpoint, env: UpstreamEnv = SYSTEM_ENV): Upstream {
  // The key travels in a header, never as `?key=`, so it cannot land in access logs (gemini.md §1).
  const auth = apiKeyAuth(endpoint, 'x-goog-api-key');
  const settings = contextCacheOf(endpoint);
  if (settings === undefined) return { kind: 'http', codecFor: () => geminiUpstream, auth };
  const codec = withContextCache(geminiUpstream, geminiCacheResources, settings, env, endpoint.name);
  return { kind: 'http', codecFor: () => codec, auth, close: async () => codec.close() };
}

export const geminiProviderType: ProviderType = {
  type: 'gemini',
  quirkFields: geminiQuirkFields,
  settingFields: contextCacheField,
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  pastedSuffix: /\/v1(?:beta|alpha)?(?:\/models)?$/i,
  presets: geminiPresets,
  check: checkTemperatureRange,
  create: createGeminiUpstream,
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
