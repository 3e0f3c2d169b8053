// Google Vertex AI (`type: vertex`): Gemini models and Claude models behind one provider entry, with
// Google OAuth (docs/cloud-providers.md, docs/cloud-auth.md). An upstream-only protocol: it reuses the
// gemini and anthropic folders' codecs for the bodies and streams and adds Vertex's URLs, body rewrite,
// errors and credentials.

import { z } from 'zod';
import { text } from '../../config/fields.ts';
import { GatewayError } from '../../core/errors.ts';
import type { OutboundAuth, ProviderType, UpstreamCodec, UpstreamEndpoint, UpstreamEnv } from '../../core/protocol.ts';
import type { Protocol } from '../plugin.ts';

/** Outside the gateway (tools, tests): the process clock and undici's global dispatcher. */
const SYSTEM_ENV: UpstreamEnv = { now: Date.now };
import { anthropicQuirkFields } from '../anthropic/quirks.ts';
import { geminiQuirkFields } from '../gemini/quirks.ts';
import { withContextCache } from '../gemini/cache-prepare.ts';
import { contextCacheField, contextCacheOf } from '../gemini/cache-settings.ts';
import { checkTemperatureRange } from '../shared/quirks.ts';
import { vertexAnthropicCodec } from './anthropic-publisher.ts';
import { apiKeyAuth, bearerAuth } from './auth.ts';
import { lazyTokenFetcher } from './credentials.ts';
import { vertexGeminiCodec } from './gemini-publisher.ts';
import { isValidRegion, publisherOf, vertexCacheResources, vertexHost, type VertexLocation } from './location.ts';
import { vertexMock } from './mock.ts';
import { TokenCache } from './token-cache.ts';

/** `region:` when the provider gives none: the global endpoint serves the most models. */
export const DEFAULT_REGION = 'global';

export interface VertexSettings {
  project?: string;
  region?: string;
  /** Path of a credentials JSON file (a service-account key); default: Application Default Credentials. */
  credentials?: string;
}

const settingFields = {
  project: text(),
  region: z.string().trim().toLowerCase().min(1).optional(),
  credentials: text(),
  // Gemini models only: Claude models take the breakpoints themselves (docs/protocols/gemini.md §9).
  ...contextCacheField,
};

// The flags the reused codecs honour; the key header is Vertex's own (x-goog-api-key, express mode).
const { auth_header: _a, ...anthropicFlags } = anthropicQuirkFields;
const { auth_header: _g, ...geminiFlags } = geminiQuirkFields;

function settingsOf(endpoint: UpstreamEndpoint): VertexSettings {
  return (endpoint.settings ?? {}) as VertexSettings;
}

function expressMode(endpoint: UpstreamEndpoint): boolean {
  return endpoint.apiKey !== undefined && endpoint.apiKey !== '';
}

export const vertexProviderType: ProviderType = {
  type: 'vertex',
  quirkFields: { ...geminiFlags, ...anthropicFlags },
  settingFields,
  // Built from region (docs/cloud-providers.md, Q-38); base_url only overrides the host.
  defaultBaseUrl: '',
  // A pasted model URL (`…/v1/projects/p/locations/l/publishers/…`) is cut back to its host.
  pastedSuffix: /\/v1(?:beta1)?(?:\/.*)?$/i,
  check(provider, problem) {
    const s = settingsOf(provider);
    if (s.region !== undefined && !isValidRegion(s.region)) problem('region', `"${s.region}" is not a Vertex AI location (e.g. us-east5, europe-west1, global, us, eu)`);
    if (s.project === undefined && !expressMode(provider)) problem('project', 'required (the Google Cloud project id), unless api_key selects express mode');
    if (expressMode(provider) && s.credentials !== undefined) problem('credentials', 'not used with api_key (express mode): give one or the other');
    if (expressMode(provider) && contextCacheOf(provider) !== undefined) problem('context_cache', 'needs a project (cachedContents live in a project location), not api_key (express mode)');
    checkTemperatureRange(provider, problem);
  },
  create: createVertexUpstream,
};

export function createVertexUpstream(endpoint: UpstreamEndpoint, env: UpstreamEnv = SYSTEM_ENV) {
  const s = settingsOf(endpoint);
  const region = s.region ?? DEFAULT_REGION;
  const loc: VertexLocation = { baseUrl: endpoint.baseUrl !== '' ? endpoint.baseUrl : vertexHost(region), project: s.project ?? '', region };
  let auth: OutboundAuth;
  let cache: TokenCache | undefined;
  if (expressMode(endpoint)) {
    auth = apiKeyAuth('x-goog-api-key', endpoint.apiKey!);
  } else {
    cache = new TokenCache(lazyTokenFetcher(s.credentials, env.now, env.dispatcher), { now: env.now });
    auth = bearerAuth(cache, endpoint.name);
  }
  const caching = contextCacheOf(endpoint);
  const cached = caching === undefined || expressMode(endpoint) ? undefined : withContextCache(vertexGeminiCodec(loc), vertexCacheResources(loc), caching, env, endpoint.name);
  const google = withTokenRejection(cached ?? vertexGeminiCodec(loc), cache);
  const claude = withTokenRejection(vertexAnthropicCodec(loc), cache);
  return {
    kind: 'http' as const,
    codecFor: (model: string): UpstreamCodec => (publisherOf(model) === 'anthropic' ? claude : google),
    auth,
    async close(): Promise<void> {
      cache?.close();
      cached?.close();
    },
  };
}

/**
 * A 401 to a bearer token means Google no longer takes it (expired early, revoked, a clock off by
 * more than the refresh margin): the cached token is dropped, and the error is retryable, so the
 * retry (or the next request) fetches a new one instead of the target being marked unusable. A
 * credential that is really wrong fails at the token endpoint, which is upstream_auth.
 */
function withTokenRejection(codec: UpstreamCodec, cache: TokenCache | undefined): UpstreamCodec {
  if (cache === undefined) return codec;
  return {
    ...codec,
    decodeError(status, bodyText, headers, ctx) {
      const err = codec.decodeError(status, bodyText, headers, ctx);
      if (status !== 401) return err;
      cache.invalidate();
      return new GatewayError('upstream_error', `${err.message} (access token rejected; a new one is fetched)`, {
        status: 502,
        retryable: true,
        upstreamStatus: 401,
        upstreamType: err.upstreamType,
      });
    },
  };
}

export const vertex: Protocol = {
  name: 'vertex',
  providerTypes: [vertexProviderType],
  mock: vertexMock,
};
