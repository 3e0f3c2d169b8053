// Image token estimates for local counts (docs/token-counting.md). Anthropic documents
// tokens ≈ width × height / 750 after an image is scaled to fit 1568 px on its long edge and about
// 1.2 megapixels, which caps one image at 1600 tokens; sluice uses that rule for every model.
// Dimensions come from the image header (PNG, JPEG, GIF, WebP), read from the first bytes of the
// base64 data only; an image it cannot measure (a URL, an unknown format) counts as the cap.

export const MAX_IMAGE_TOKENS = 1600;
const MAX_EDGE = 1568;
const MAX_PIXELS = 1_200_000;
const PIXELS_PER_TOKEN = 750;
/** Base64 characters decoded to find the dimensions: JPEG headers may sit after EXIF blocks. */
const HEADER_B64_CHARS = 88_000;

export function imageTokens(width: number, height: number): number {
  if (!(width > 0 && height > 0)) return MAX_IMAGE_TOKENS;
  let w = width;
  let h = height;
  const edge = Math.max(w, h);
  if (edge > MAX_EDGE) {
    w = (w * MAX_EDGE) / edge;
    h = (h * MAX_EDGE) / edge;
  }
  if (w * h > MAX_PIXELS) {
    const s = Math.sqrt(MAX_PIXELS / (w * h));
    w *= s;
    h *= s;
  }
  return Math.min(MAX_IMAGE_TOKENS, Math.max(1, Math.ceil((w * h) / PIXELS_PER_TOKEN)));
}

/** Width and height from the header of base64 image data, or undefined when unknown. */
export function imageSize(base64: string): { width: number; height: number } | undefined {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(base64.length > HEADER_B64_CHARS ? base64.slice(0, HEADER_B64_CHARS) : base64, 'base64');
  } catch {
    return undefined;
  }
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length >= 10 && bytes.toString('latin1', 0, 3) === 'GIF') {
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  }
  if (bytes.length >= 30 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') {
    return webpSize(bytes);
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegSize(bytes);
  return undefined;
}

function webpSize(b: Buffer): { width: number; height: number } | undefined {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b.readUInt32LE(21);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ' && b.length >= 30) return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  return undefined;
}

/** Walks the JPEG segments to the first start-of-frame marker (SOF0–SOF15 but DHT, JPG, DAC). */
function jpegSize(b: Buffer): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return undefined;
}
