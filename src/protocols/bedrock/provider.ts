// The `bedrock` provider type (SPEC §2; bedrock.md §1–§2): Converse / ConverseStream at
// `https://bedrock-runtime.{region}.amazonaws.com` (or base_url), SigV4-signed with credentials from
// the config or the standard AWS chain, or a Bedrock API key as a Bearer token.

import { z } from 'zod';
import type { OutboundAuth, ProviderType, UpstreamCodec, UpstreamEndpoint } from '../../core/protocol.ts';
import { CredentialCache, awsChainSource, staticSource } from './credentials.ts';
import { embeddingFamily } from './embeddings.ts';
import { MODEL_FAMILIES } from './family.ts';
import { familyOf, regionOf, settingsOf } from './settings.ts';
import { bearerAuth, sigV4Auth } from './sigv4.ts';
import { bedrockUpstreamCodec } from './upstream.ts';

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

export const bedrockSettingFields = {
  /** AWS region of the endpoint and the signature; default AWS_REGION / AWS_DEFAULT_REGION. */
  region: z.string().regex(REGION, 'an AWS region such as us-east-1').optional(),
  /** Family of model ids that do not name one (application inference profile ARNs). */
  model_family: z.enum(MODEL_FAMILIES as [string, ...string[]]).optional(),
  access_key_id: z.string().min(1).optional(),
  secret_access_key: z.string().min(1).optional(),
  session_token: z.string().min(1).optional(),
  /** A profile of ~/.aws/config and ~/.aws/credentials for the credential chain. */
  profile: z.string().min(1).optional(),
};

/**
 * Credentials, in the AWS SDK's order of precedence: the provider's `api_key` (a Bedrock API key),
 * its static keys, AWS_BEARER_TOKEN_BEDROCK (the SDK prefers it when set), then the AWS chain.
 */
export function bedrockAuth(endpoint: UpstreamEndpoint, env: NodeJS.ProcessEnv = process.env, now?: () => number): OutboundAuth {
  if (endpoint.apiKey !== undefined && endpoint.apiKey !== '') return bearerAuth({ provider: endpoint.name, token: endpoint.apiKey });
  const s = settingsOf(endpoint);
  const region = regionOf(endpoint, env) ?? 'us-east-1';
  if (s.accessKeyId !== undefined && s.secretAccessKey !== undefined) {
    const source = staticSource({ accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey, sessionToken: s.sessionToken });
    return sigV4Auth({ provider: endpoint.name, region, credentials: new CredentialCache({ provider: endpoint.name, source, now }), now });
  }
  const token = env.AWS_BEARER_TOKEN_BEDROCK;
  if (token !== undefined && token !== '' && s.profile === undefined) return bearerAuth({ provider: endpoint.name, token });
  const cache = new CredentialCache({ provider: endpoint.name, source: awsChainSource(s.profile), now });
  return sigV4Auth({ provider: endpoint.name, region, credentials: cache, now });
}

export const bedrockProviderType: ProviderType = {
  type: 'bedrock',
  settingFields: bedrockSettingFields,
  // Built from the region (settings.ts) unless base_url overrides it.
  defaultBaseUrl: '',
  // A pasted operation URL (…/model/{id}/converse-stream) is cut back to the endpoint.
  pastedSuffix: /\/model\/[^/]+\/[a-z-]+$/i,
  check(provider, problem) {
    const s = settingsOf(provider);
    if (regionOf(provider) === undefined) problem('region', 'required (or AWS_REGION in the environment), e.g. us-east-1');
    if ((s.accessKeyId === undefined) !== (s.secretAccessKey === undefined)) {
      problem(s.accessKeyId === undefined ? 'access_key_id' : 'secret_access_key', 'access_key_id and secret_access_key go together');
    }
    if (s.sessionToken !== undefined && s.accessKeyId === undefined) problem('session_token', 'needs access_key_id and secret_access_key');
    if (s.profile !== undefined && s.accessKeyId !== undefined) problem('profile', 'give either a profile or access keys, not both');
  },
  create(endpoint, env) {
    const codecs = new Map<string, UpstreamCodec>();
    return {
      kind: 'http',
      codecFor(model) {
        const family = familyOf(endpoint, model);
        const embed = embeddingFamily(model);
        const key = embed === undefined ? family : `${family}:${embed}`;
        let codec = codecs.get(key);
        if (codec === undefined) codecs.set(key, (codec = bedrockUpstreamCodec(family, embed)));
        return codec;
      },
      // The gateway's clock signs requests and judges credential expiry (tests drive a manual one).
      auth: bedrockAuth(endpoint, process.env, env?.now),
    };
  },
};
