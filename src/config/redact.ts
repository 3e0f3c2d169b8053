import { parseRedisUrl } from '../state/redis-url.ts';

// Secrets never appear in output (SPEC §5). Messages are written not to echo values, and as a
// second line of defence every problem is scrubbed of the secret strings the config contains.

const REDACTED = '***';
// Shorter strings (`"1"`, `true`) are not secrets and replacing them would garble messages.
const MIN_SECRET_LENGTH = 6;

function passwordOf(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

/** A redis URL's password, also for the several-host cluster form `new URL` cannot parse. */
function redisPassword(url: string): string | undefined {
  try {
    return parseRedisUrl(url).password;
  } catch {
    return passwordOf(url);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Secret strings in an (env-substituted) config tree: api keys, header values, client keys, URL passwords. */
export function collectSecrets(tree: unknown): string[] {
  const secrets: string[] = [];
  const push = (v: unknown): void => {
    if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) secrets.push(v);
  };
  if (!isRecord(tree)) return secrets;
  if (isRecord(tree.providers)) {
    for (const provider of Object.values(tree.providers)) {
      if (!isRecord(provider)) continue;
      push(provider.api_key);
      if (isRecord(provider.headers)) Object.values(provider.headers).forEach(push);
      if (typeof provider.base_url === 'string') push(passwordOf(provider.base_url));
    }
  }
  if (isRecord(tree.auth)) {
    push(tree.auth.admin_key);
    if (Array.isArray(tree.auth.keys)) for (const key of tree.auth.keys) if (isRecord(key)) push(key.key);
  }
  if (typeof tree.store === 'string') push(passwordOf(tree.store));
  if (typeof tree.redis === 'string') push(redisPassword(tree.redis));
  // Longest first, so a secret containing another is replaced whole.
  return secrets.sort((a, b) => b.length - a.length);
}

export function scrub(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

