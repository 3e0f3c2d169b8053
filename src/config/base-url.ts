// base_url is stored the way each upstream codec appends its own path to it (the provider type's
// `pastedSuffix`, declared in its protocol folder): e.g. the OpenAI base keeps /v1, the Anthropic
// and Gemini bases drop the version. Users paste whole endpoint URLs (Azure shows the Target URI
// `…/anthropic/v1/messages`), so the endpoint path is cut back to the base here, once, instead of
// producing `/v1/v1/messages` later.

import { providerType } from '../protocols/index.ts';

export function normalizeBaseUrl(type: string, raw: string): string {
  let url = raw.trim().replace(/\/+$/, '');
  const suffix = providerType(type)?.pastedSuffix;
  if (suffix !== undefined) url = url.replace(suffix, '').replace(/\/+$/, '');
  return url;
}

/** A message when `url` is not an absolute http(s) URL, else undefined. */
export function checkBaseUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `must be an http:// or https:// URL, not ${parsed.protocol}//`;
  }
  if (parsed.search !== '' || parsed.hash !== '') return 'must not contain a query string or fragment';
  return undefined;
}
