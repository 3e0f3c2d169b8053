// The canonical embeddings request and answer (SPEC §3 `POST /v1/embeddings`): fronts decode into
// it, upstream codecs that can embed (UpstreamCodec.embeddings) encode from it. Vectors travel as
// 32-bit floats, the precision every vendor returns; `base64` is their little-endian bytes (OpenAI's
// encoding_format, docs/embeddings.md).

export type EmbeddingInput =
  /** Texts, one vector each. */
  | { kind: 'text'; texts: string[] }
  /** Token-id arrays (OpenAI accepts them); dialects without them refuse (400 unsupported). */
  | { kind: 'tokens'; tokens: number[][] };

export interface EmbeddingsRequest {
  /** The model name exactly as the client asked for it (echoed back). */
  model: string;
  input: EmbeddingInput;
  encodingFormat: 'float' | 'base64';
  /** Output dimensionality, where the model can shorten its vectors. */
  dimensions?: number;
  user?: string;
  /** The dialect the client spoke and its parsed body (a same-dialect upstream passes fields through). */
  front: string;
  raw: Record<string, unknown>;
}

export interface EmbeddingsResponse {
  /** One vector per input, in input order. */
  vectors: Float32Array[];
  /** The upstream's model name, if it gave one. */
  model?: string;
  /** Input tokens as the upstream counted them; undefined when it did not say. */
  inputTokens?: number;
}

export function inputCount(input: EmbeddingInput): number {
  return input.kind === 'text' ? input.texts.length : input.tokens.length;
}

/** About four characters a token, as for chat (gateway/usage.ts), for upstreams that report no usage. */
export function estimateEmbeddingTokens(input: EmbeddingInput): number {
  if (input.kind === 'tokens') return input.tokens.reduce((n, t) => n + t.length, 0);
  let chars = 0;
  for (const t of input.texts) chars += t.length;
  return Math.ceil(chars / 4);
}

/** A vector as OpenAI's base64 encoding: the float32 values' little-endian bytes. */
export function vectorToBase64(v: Float32Array): string {
  const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (isLittleEndian) return bytes.toString('base64');
  const copy = Buffer.from(bytes);
  copy.swap32();
  return copy.toString('base64');
}

/** The inverse; undefined when the text is not a whole number of float32 values. */
export function vectorFromBase64(text: string): Float32Array | undefined {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (!isLittleEndian) Buffer.from(copy.buffer).swap32();
  return new Float32Array(copy.buffer);
}

/** A JSON list of numbers as float32s; undefined when an item is not a finite number. */
export function vectorFromNumbers(list: unknown): Float32Array | undefined {
  if (!Array.isArray(list)) return undefined;
  const out = new Float32Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const n = list[i];
    if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
    out[i] = n;
  }
  return out;
}

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
