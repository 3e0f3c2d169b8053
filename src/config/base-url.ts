// base_url is stored the way each upstream codec appends its own path to it:
//   openai    → `${baseUrl}/chat/completions`   (base includes /v1)
//   anthropic → `${baseUrl}/v1/messages`        (base excludes /v1)
//   gemini    → `${baseUrl}/v1beta/models/…`    (base excludes the version)
// Users paste whole endpoint URLs (Azure shows the Target URI `…/anthropic/v1/messages`), so the
// endpoint path is cut back to the base here, once, instead of producing `/v1/v1/messages` later.

import type { ProviderType } from './types.ts';

const PASTED_ENDPOINT_SUFFIX: Readonly<Record<ProviderType, RegExp | undefined>> = {
  openai: /\/chat\/completions$/i,
  anthropic: /\/v1(?:\/messages)?$/i,
  gemini: /\/v1(?:beta|alpha)?(?:\/models)?$/i,
  demo: undefined,
};

export function normalizeBaseUrl(type: ProviderType, raw: string): string {
  let url = raw.trim().replace(/\/+$/, '');
  const suffix = PASTED_ENDPOINT_SUFFIX[type];
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
