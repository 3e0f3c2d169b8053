// An upstream's error message reaches the client and the trace (SPEC §4.2), and some upstreams echo
// the credential they refused ("Incorrect API key provided: sk-…", a proxy quoting the whole
// Authorization header). Before a failure leaves the attempt, the provider's own secrets (api_key,
// header values, a base_url password, settings such as secret_access_key) and any Bearer token are
// cut out of its message (docs/errors.md).

import { GatewayError } from '../core/errors.ts';
import type { ProviderConfig } from '../config/types.ts';

const REDACTED = '[redacted]';
/** Shorter values (`"1"`, `true`, a region) are not secrets, and replacing them would garble messages. */
const MIN_SECRET_LENGTH = 8;
/** Settings whose names say they hold a credential (bedrock's secret_access_key, session_token, …). */
const SECRET_SETTING = /key|secret|token|password/i;
const BEARER = /(Bearer\s+)[^\s"',;]+/gi;

const cache = new WeakMap<ProviderConfig, readonly string[]>();

function secretsOf(provider: ProviderConfig): readonly string[] {
  const own = provider.origin ?? provider;
  let secrets = cache.get(own);
  if (secrets !== undefined) return secrets;
  const found: string[] = [];
  const push = (v: unknown): void => {
    if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) found.push(v);
  };
  push(own.apiKey);
  for (const value of Object.values(own.headers)) push(value);
  for (const [name, value] of Object.entries(own.settings ?? {})) if (SECRET_SETTING.test(name)) push(value);
  try {
    push(decodeURIComponent(new URL(own.baseUrl).password));
  } catch {
    // No URL, no password in it.
  }
  // Longest first, so a secret containing another is replaced whole.
  secrets = found.sort((a, b) => b.length - a.length);
  cache.set(own, secrets);
  return secrets;
}

/** `message` without the provider's secrets or any Bearer token. */
export function scrubUpstreamMessage(message: string, provider: ProviderConfig): string {
  let out = message;
  for (const secret of secretsOf(provider)) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out.replace(BEARER, `$1${REDACTED}`);
}

/** The failure as the client may see it: named after the provider (SPEC §4.2), secrets removed. */
export function clientSafe(err: GatewayError, provider: ProviderConfig): GatewayError {
  const named = err.withTarget(provider.name);
  const message = scrubUpstreamMessage(named.message, provider);
  return message === named.message ? named : named.withMessage(message);
}
