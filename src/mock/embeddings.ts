// Deterministic embeddings for `sluice mock` (SPEC §8): the vector of a text depends on the text
// alone (a SHA-256 seeded generator), is unit length, and holds float32 values, so float and base64
// answers carry the same numbers and tests can compute the expected vector with mockEmbedding().
// Token counts: about four characters a token per text (a token-id input counts its ids).

import { createHash } from 'node:crypto';

/** Dimensions when the request does not ask for a number. */
export const MOCK_EMBEDDING_DIMENSIONS = 16;
/** Upper bound for `dimensions` / `outputDimensionality`. */
export const MOCK_MAX_DIMENSIONS = 4096;

export function mockEmbedding(text: string, dimensions: number = MOCK_EMBEDDING_DIMENSIONS): Float32Array {
  const seed = createHash('sha256').update(text, 'utf8').digest();
  // xorshift32 from the first four bytes of the digest (never 0).
  let x = seed.readUInt32LE(0) || 0x9e3779b9;
  const out = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const v = x / 0xffffffff - 0.5;
    out[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) out[i] = out[i]! * scale;
  return out;
}

export function mockEmbeddingTokens(input: string | number[]): number {
  return typeof input === 'string' ? Math.ceil(input.length / 4) : input.length;
}

/** OpenAI's base64 form: the float32 values' little-endian bytes. */
export function base64Of(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}
