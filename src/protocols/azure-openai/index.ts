// Azure OpenAI (`type: azure-openai`): the OpenAI Chat Completions dialect at Azure's deployment or v1
// URLs, with `api-key` or Microsoft Entra ID auth and Azure's content-filter stream shapes
// (docs/cloud-providers.md, docs/cloud-auth.md). An upstream-only protocol reusing the openai folder.

import { z } from 'zod';
import { GatewayError } from '../../core/errors.ts';
import type { OutboundAuth, ProviderType, UpstreamCodec, UpstreamEndpoint, UpstreamEnv } from '../../core/protocol.ts';
import type { Protocol } from '../plugin.ts';

/** Outside the gateway (tools, tests): the process clock and undici's global dispatcher. */
const SYSTEM_ENV: UpstreamEnv = { now: Date.now };
import { openaiQuirkFields } from '../openai/quirks.ts';
import { checkTemperatureRange } from '../shared/quirks.ts';
import { azureApiKeyAuth, azureEntraAuth } from './auth.ts';
import { azureChatCodec, azureResponsesCodec } from './codec.ts';
import { azureResource, isValidApiVersion } from './endpoint.ts';
import { azureOpenAIMock, azureResponsesMock } from './mock.ts';

export const AZURE_APIS = ['chat-completions', 'responses'] as const;

export interface AzureSettings {
  /** Classic API version (`2024-10-21`, `2025-04-01-preview`); absent: the v1 API. */
  apiVersion?: string;
  /** Which OpenAI API the deployments are called with (default chat-completions). */
  api?: (typeof AZURE_APIS)[number];
}

// The key always goes in `api-key` (or an Entra token in Authorization): auth_header does not apply.
const { auth_header: _auth, ...quirkFields } = openaiQuirkFields;

export const azureOpenAIProviderType: ProviderType = {
  type: 'azure-openai',
  quirkFields,
  settingFields: { api_version: z.string().trim().min(1).optional(), api: z.enum(AZURE_APIS).optional() },
  // Every resource has its own host: base_url is required.
  // The portal's Target URI is cut back to the resource (`…/openai/deployments/…`, `…/openai/v1`).
  pastedSuffix: /\/openai(?:\/.*)?$/i,
  check(provider, problem) {
    const v = (provider.settings as AzureSettings | undefined)?.apiVersion;
    if (v !== undefined && !isValidApiVersion(v)) problem('api_version', `"${v}" is not an Azure OpenAI api-version (e.g. 2024-10-21, 2025-04-01-preview); leave it out for the v1 API`);
    checkTemperatureRange(provider, problem);
  },
  create: createAzureUpstream,
};

export function createAzureUpstream(endpoint: UpstreamEndpoint, env: UpstreamEnv = SYSTEM_ENV) {
  const settings = (endpoint.settings ?? {}) as AzureSettings;
  const resource = azureResource(endpoint.baseUrl, settings.apiVersion);
  const key = endpoint.apiKey;
  const entra = key === undefined || key === '' ? azureEntraAuth(endpoint.name, { now: env.now }) : undefined;
  const auth: OutboundAuth = entra ?? azureApiKeyAuth(key!);
  const codec = settings.api === 'responses' ? azureResponsesCodec(resource) : azureChatCodec(resource);
  const chat = entra === undefined ? codec : withTokenRejection(codec, entra.invalidate);
  return {
    kind: 'http' as const,
    codecFor: (): UpstreamCodec => chat,
    auth,
    async close(): Promise<void> {
      entra?.close?.();
    },
  };
}

/** A 401 to an Entra token: drop it and let the retry fetch another (as for Vertex, docs/cloud-auth.md). */
function withTokenRejection(codec: UpstreamCodec, invalidate: () => void): UpstreamCodec {
  return {
    ...codec,
    decodeError(status, bodyText, headers, ctx) {
      const err = codec.decodeError(status, bodyText, headers, ctx);
      if (status !== 401) return err;
      invalidate();
      return new GatewayError('upstream_error', `${err.message} (access token rejected; a new one is fetched)`, { status: 502, retryable: true, upstreamStatus: 401 });
    },
  };
}

export const azureOpenAI: Protocol = {
  name: 'azure-openai',
  providerTypes: [azureOpenAIProviderType],
  mock: [azureOpenAIMock, azureResponsesMock],
};
