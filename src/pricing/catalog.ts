// Finding a model in the price catalog: @pydantic/genai-prices, a maintained list of providers'
// published prices (docs/pricing.md says how to update it). A target is looked up once; the
// result (or its absence) is cached by the caller.
//
// Which catalog provider a target belongs to, in order:
// 1. its base URL, matched against each catalog provider's API URL pattern (api.openai.com,
//    openrouter.ai, *.openai.azure.com, bedrock-runtime.*.amazonaws.com, …);
// 2. else the provider type's vendor (an `anthropic` upstream is Anthropic, `gemini` is Google…);
// 3. else the model name alone (`gpt-…` is OpenAI's), which is how an OpenAI-compatible server on
//    another host (a relay, `sluice mock`) is priced.
// A vendor hint that does not know the model falls back to 3.

import { calcPrice, findProvider, type ModelInfo, type Provider } from '@pydantic/genai-prices';

/** Catalog provider ids of sluice's upstream types whose vendor is fixed (data, not code paths). */
const VENDOR_OF_TYPE: Readonly<Record<string, string>> = {
  anthropic: 'anthropic',
  gemini: 'google',
  vertex: 'google',
  'azure-openai': 'azure',
  bedrock: 'aws',
  cohere: 'cohere',
  'openai-responses': 'openai',
};

export interface CatalogEntry {
  provider: Pick<Provider, 'id' | 'name'>;
  model: ModelInfo;
}

/** Usage that every catalog price accepts: enough for calcPrice to name the model it matched. */
const PROBE = { input_tokens: 1, output_tokens: 1 };

export function findInCatalog(providerType: string, baseUrl: string, model: string): CatalogEntry | undefined {
  const byUrl = baseUrl !== '' && /^https?:\/\//i.test(baseUrl) ? findProvider({ providerApiUrl: baseUrl }) : undefined;
  const providerId = byUrl?.id ?? VENDOR_OF_TYPE[providerType];
  if (providerId !== undefined) {
    const hit = lookup(model, providerId);
    if (hit) return hit;
  }
  return lookup(model, undefined);
}

function lookup(model: string, providerId: string | undefined): CatalogEntry | undefined {
  let result;
  try {
    result = calcPrice(PROBE, model, providerId === undefined ? undefined : { providerId });
  } catch {
    // A catalog entry the package itself cannot price (malformed data): treat as unknown.
    return undefined;
  }
  if (!result) return undefined;
  return { provider: { id: result.provider.id, name: result.provider.name }, model: result.model };
}
