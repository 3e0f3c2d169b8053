// Where a Vertex AI provider's requests go: the host for its location and the resource path of a
// publisher model (docs/cloud-providers.md, Vertex section; Q-38).

/** Multi-region locations have their own `rep` hosts. */
const MULTI_REGIONS: ReadonlySet<string> = new Set(['us', 'eu']);
/** A region name as Google spells them: us-east5, europe-west1, northamerica-northeast1, global. */
const REGION = /^[a-z][a-z0-9-]*[a-z0-9]$/;

export type Publisher = 'google' | 'anthropic';

export interface VertexLocation {
  /** Scheme and host (and a path prefix when base_url points at a relay or the mock), no trailing slash. */
  baseUrl: string;
  project: string;
  region: string;
}

export function isValidRegion(region: string): boolean {
  return REGION.test(region);
}

/**
 * `global` is `aiplatform.googleapis.com` — there is no `global-aiplatform` host, clients that built
 * one got an HTML 404; `us`/`eu` are `aiplatform.{us|eu}.rep.googleapis.com`; any other
 * region is `{region}-aiplatform.googleapis.com`.
 */
export function vertexHost(region: string): string {
  if (region === 'global') return 'https://aiplatform.googleapis.com';
  if (MULTI_REGIONS.has(region)) return `https://aiplatform.${region}.rep.googleapis.com`;
  return `https://${region}-aiplatform.googleapis.com`;
}

/**
 * API version per publisher: Google's models as @google/genai calls them (v1beta1, which carries
 * every field the Gemini encoder may send), Anthropic's as Anthropic's Vertex SDK does (v1).
 */
const API_VERSION: Record<Publisher, string> = { google: 'v1beta1', anthropic: 'v1' };

/** `{base}/{version}/projects/{p}/locations/{l}/publishers/{publisher}/models/{model}:{method}`. */
export function modelUrl(loc: VertexLocation, publisher: Publisher, model: string, method: string): string {
  return (
    `${loc.baseUrl}/${API_VERSION[publisher]}/projects/${encodeURIComponent(loc.project)}/locations/${encodeURIComponent(loc.region)}` +
    `/publishers/${publisher}/models/${modelSegment(model)}:${method}`
  );
}

/**
 * Express mode (an API key instead of OAuth): Google models only, no project or location in the path
 * (`publishers/google/models/{m}:…` on the global host).
 */
export function expressModelUrl(baseUrl: string, model: string, method: string): string {
  return `${baseUrl}/${API_VERSION.google}/publishers/google/models/${modelSegment(model)}:${method}`;
}

/**
 * One path segment. Claude ids carry an `@` version (`claude-3-5-haiku@20241022`) that Google's
 * clients send as is, so it is kept; a `models/` prefix (Google's resource-name spelling) is dropped.
 */
function modelSegment(model: string): string {
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  return encodeURIComponent(name).replace(/%40/g, '@');
}

/**
 * A location's cachedContents (docs/protocols/gemini.md §9): the collection
 * `{base}/v1beta1/projects/{p}/locations/{l}/cachedContents`, resources named
 * `projects/{p}/locations/{l}/cachedContents/{id}`, and the model as its full publisher-model name.
 */
export function vertexCacheResources(loc: VertexLocation): {
  modelName(model: string): string;
  collectionUrl(): string;
  resourceUrl(name: string): string;
} {
  const parent = `projects/${encodeURIComponent(loc.project)}/locations/${encodeURIComponent(loc.region)}`;
  return {
    modelName: (model) => `projects/${loc.project}/locations/${loc.region}/publishers/google/models/${model.startsWith('models/') ? model.slice('models/'.length) : model}`,
    collectionUrl: () => `${loc.baseUrl}/${API_VERSION.google}/${parent}/cachedContents`,
    resourceUrl: (name) => `${loc.baseUrl}/${API_VERSION.google}/${name.split('/').map(encodeURIComponent).join('/')}`,
  };
}

/** Claude models are served by the Anthropic publisher, everything else by Google's (SPEC §2). */
export function publisherOf(model: string): Publisher {
  return model.startsWith('claude-') || model.startsWith('claude@') ? 'anthropic' : 'google';
}
