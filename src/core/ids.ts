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

/** `prefix` + `length` random base62 characters, e.g. mintId('chatcmpl-') */
export function mintId(prefix: string, length = 24): string {
  if (poolOffset + length > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, length));
    poolOffset = 0;
  }
  let out = prefix;
  // 248 = 4 * 62: rejecting nothing but mapping modulo 62 biases slightly; ids only need to be unique.
  for (let i = 0; i < length; i++) out += ALPHABET[pool[poolOffset + i]! % 62];
  poolOffset += length;
  return out;
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
