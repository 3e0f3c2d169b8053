// Identifiers sluice mints (translation.md §9): the front's response id once per response, tool-call
// ids where an upstream gives none (Gemini, Q-23), and deterministic sanitising for Anthropic.

import { randomBytes, createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random bytes are drawn from the CSPRNG a pool at a time: one randomBytes() call per id cost ~2.5 µs,
 * several times the rest of mintId, and every request mints two or three ids (bench/RESULTS.md).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** The alphabet's bytes, and a scratch buffer the id is assembled in (prefix and random part). */
const ALPHABET_BYTES = Buffer.from(ALPHABET, 'latin1');
const SCRATCH = Buffer.allocUnsafeSlow(128);

/**
 * `prefix` + `length` random base62 characters, e.g. mintId('chatcmpl-'). The id is assembled as
 * bytes and read out as one flat string: appended a character at a time it was a chain of 24
 * concatenations, which every first use (a Map key, a header, JSON) had to flatten.
 */
export function mintId(prefix: string, length = 24): string {
  if (poolOffset + length > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, length));
    poolOffset = 0;
  }
  const start = prefix.length;
  // Prefixes are short ASCII constants; anything else takes the plain way.
  const fits = start + length <= SCRATCH.length && isLatin1(prefix);
  if (fits) SCRATCH.write(prefix, 0, 'latin1');
  let out = fits ? '' : prefix;
  // 248 = 4 * 62: rejecting nothing but mapping modulo 62 biases slightly; ids only need to be unique.
  for (let i = 0; i < length; i++) {
    const c = pool[poolOffset + i]! % 62;
    if (fits) SCRATCH[start + i] = ALPHABET_BYTES[c]!;
    else out += ALPHABET[c];
  }
  poolOffset += length;
  return fits ? SCRATCH.toString('latin1', 0, start + length) : out;
}

function isLatin1(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return false;
  return true;
}

const SAFE_TOOL_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Anthropic requires tool_use ids to match ^[a-zA-Z0-9_-]+$. Ids that already match pass
 * unchanged; others are mapped deterministically, so a call id and its result id stay paired.
 */
export function sanitizeToolId(id: string): string {
  if (SAFE_TOOL_ID.test(id)) return id;
  if (id === '') return mintId('call_');
  const cleaned = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (cleaned.length <= 64 && cleaned !== id) {
    return `${cleaned.slice(0, 55)}_${shortHash(id)}`.slice(0, 64);
  }
  return `${cleaned.slice(0, 55)}_${shortHash(id)}`;
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}
