// Azure OpenAI URLs (docs/cloud-providers.md, Azure OpenAI section). Two API families:
//   classic  {resource}/openai/deployments/{deployment}/chat/completions?api-version=V   (api_version set)
//            {resource}/openai/responses?api-version=V      (not deployment-scoped; model = deployment)
//   v1       {resource}/openai/v1/chat/completions, /openai/v1/responses                (api_version unset)
// A target's `model` is the deployment name in both.

/** `…/openai/…` and everything after it, or a query: what users paste along with the resource URL. */
const PASTED_TAIL = /\/openai(?:\/.*)?$/;

export interface AzureResource {
  /** `https://{resource}.openai.azure.com` (or a gateway in front of it), no trailing slash, no `/openai`. */
  baseUrl: string;
  /** Classic API version, or undefined for the v1 API. */
  apiVersion: string | undefined;
}

/**
 * The resource endpoint from a configured base_url. Users paste the portal's whole "Target URI"
 * (`…/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`) or the v1 base
 * (`…/openai/v1/`); both are cut back to the resource, and a pasted api-version is used when the
 * provider sets none.
 */
export function azureResource(baseUrl: string, apiVersion: string | undefined): AzureResource {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return { baseUrl: baseUrl.replace(/\/+$/, ''), apiVersion };
  }
  const pastedVersion = url.searchParams.get('api-version') ?? undefined;
  const path = url.pathname.replace(/\/+$/, '').replace(PASTED_TAIL, '');
  const isV1 = /\/openai\/v1(?:\/|$)/.test(url.pathname);
  return {
    baseUrl: `${url.origin}${path}`,
    // `?api-version=preview` on a v1 URL is the v1 API's preview switch, not a classic version.
    apiVersion: apiVersion ?? (isV1 || pastedVersion === 'preview' ? undefined : pastedVersion),
  };
}

export function chatCompletionsUrl(res: AzureResource, deployment: string): string {
  if (res.apiVersion === undefined) return `${res.baseUrl}/openai/v1/chat/completions`;
  return `${res.baseUrl}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions?api-version=${encodeURIComponent(res.apiVersion)}`;
}

/** Responses is not deployment-scoped in either family (openai-node's AzureOpenAI does the same). */
export function responsesUrl(res: AzureResource): string {
  if (res.apiVersion === undefined) return `${res.baseUrl}/openai/v1/responses`;
  return `${res.baseUrl}/openai/responses?api-version=${encodeURIComponent(res.apiVersion)}`;
}

export function embeddingsUrl(res: AzureResource, deployment: string): string {
  if (res.apiVersion === undefined) return `${res.baseUrl}/openai/v1/embeddings`;
  return `${res.baseUrl}/openai/deployments/${encodeURIComponent(deployment)}/embeddings?api-version=${encodeURIComponent(res.apiVersion)}`;
}

/**
 * Whether the API accepts `stream_options`: the v1 API does; classic versions from the
 * 2024-09 previews and GA 2024-10-21 on do; older ones answer 400 "Unrecognized request argument
 * supplied: stream_options". Without it, usage is estimated (SPEC §4.4).
 */
export function acceptsStreamOptions(apiVersion: string | undefined): boolean {
  if (apiVersion === undefined) return true;
  const date = /^(\d{4}-\d{2}-\d{2})/.exec(apiVersion)?.[1];
  return date !== undefined && date >= '2024-09-01';
}

/** An api_version as Azure spells them: 2024-10-21, 2025-04-01-preview. */
export function isValidApiVersion(v: string): boolean {
  return /^\d{4}-\d{2}-\d{2}(?:-preview)?$/.test(v);
}
