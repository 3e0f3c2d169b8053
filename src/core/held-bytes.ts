// Small bytes that live as long as a request: the upstream request body (undici keeps it until the
// exchange ends, which for a stream can be minutes) and the OpenAI decoder's chunk shape. Carved from
// slabs of their own, so what a held stream keeps alive is about its own bytes.
//
// Buffer's shared pool (64 KB on Node 24, `Buffer.poolSize`) is where Buffer.from(string) and
// Buffer.allocUnsafe put small buffers, short-lived ones included (every response write): one
// long-lived slice keeps its whole 64 KB pool alive. With 1000 held Responses streams the upstream
// bodies kept 27 pools, 1.7 KB per stream, for ~200-byte bodies (docs/operations.md, "Memory per
// held stream"). A buffer of its own (`Buffer.allocUnsafeSlow`) costs ~3 µs (an ArrayBuffer with
// its own allocation), ~15 times a pool slice; a slab slice costs what a pool slice does.

/** Slab size: dozens of bodies per slab, and one held stream keeps at most this much beyond its bytes. */
const SLAB_BYTES = 16 * 1024;
/** Larger requests get an allocation of their own. */
const MAX_SLICE = SLAB_BYTES / 4;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** `n` bytes of uninitialised memory, in a slab that only such long-lived bytes share. */
export function heldBytes(n: number): Buffer {
  if (n > MAX_SLICE) return Buffer.allocUnsafeSlow(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const bytes = Buffer.from(slab, used, n);
  // 8-byte aligned, as Buffer's pool aligns its slices.
  used += (n + 7) & ~7;
  return bytes;
}

/** `text` as UTF-8 in held bytes. */
export function heldUtf8(text: string): Buffer {
  const n = Buffer.byteLength(text, 'utf8');
  const bytes = heldBytes(n);
  bytes.write(text, 0, n, 'utf8');
  return bytes;
}

/** `bytes` itself when it owns its memory, else a copy in held bytes (a slice of a shared pool is copied out). */
export function heldCopy(bytes: Buffer): Buffer {
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return bytes;
  const copy = heldBytes(bytes.length);
  bytes.copy(copy, 0, 0, bytes.length);
  return copy;
}
