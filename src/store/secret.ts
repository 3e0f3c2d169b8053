// Client key secrets: `sk-sluice-` + 32 base62 characters from the CSPRNG (≈190 bits). Bytes are
// drawn by rejection sampling so every character is equally likely (a plain `byte % 62` would favour
// the first eight).

import { randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'sk-sluice-';
export const SECRET_LENGTH = 32;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The largest multiple of 62 below 256: bytes at or above it are redrawn. */
const UNBIASED_LIMIT = 248;

export function generateSecret(): string {
  let out = SECRET_PREFIX;
  while (out.length < SECRET_PREFIX.length + SECRET_LENGTH) {
    for (const b of randomBytes(SECRET_LENGTH)) {
      if (b >= UNBIASED_LIMIT) continue;
      out += ALPHABET[b % 62];
      if (out.length === SECRET_PREFIX.length + SECRET_LENGTH) break;
    }
  }
  return out;
}

/** Constant-time equality of two hex digests (the lookup by digest already matched them). */
export function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
