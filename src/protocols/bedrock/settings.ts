// The `bedrock` provider's own settings (camelCase of the YAML fields), as the codec reads them from
// UpstreamEndpoint.settings, and the URLs built from them (bedrock.md §1).

import type { UpstreamEndpoint } from '../../core/protocol.ts';
import { modelFamily, type ModelFamily } from './family.ts';

export interface BedrockSettings {
  region?: string;
  /** Family of model ids that do not name one (application inference profile ARNs). */
  modelFamily?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  profile?: string;
}

export function settingsOf(endpoint: UpstreamEndpoint): BedrockSettings {
  return (endpoint.settings ?? {}) as BedrockSettings;
}

/** The official regional endpoint, when base_url does not override it. */
export function regionalBaseUrl(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/** The region a provider signs for: its own, else the environment's (as the AWS SDKs do). */
export function regionOf(endpoint: UpstreamEndpoint, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return settingsOf(endpoint).region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
}

export function baseUrlOf(endpoint: UpstreamEndpoint): string {
  // The provider type's check makes sure a region is known; us-east-1 only for codec unit tests.
  const base = endpoint.baseUrl !== '' ? endpoint.baseUrl : regionalBaseUrl(regionOf(endpoint) ?? 'us-east-1');
  return base.replace(/\/+$/, '');
}

export type Operation = 'converse' | 'converse-stream' | 'count-tokens' | 'invoke' | 'invoke-with-response-stream';

/**
 * The model id as one percent-encoded path segment: `:` → %3A, `/` (ARNs) → %2F. An ARN with a raw
 * `/` reaches a non-existent operation that answers 200; SigV4 then encodes this path again.
 */
export function operationUrl(endpoint: UpstreamEndpoint, model: string, op: Operation): string {
  return `${baseUrlOf(endpoint)}/model/${encodeURIComponent(model)}/${op}`;
}

export function familyOf(endpoint: UpstreamEndpoint, model: string): ModelFamily {
  return modelFamily(model, settingsOf(endpoint).modelFamily);
}
