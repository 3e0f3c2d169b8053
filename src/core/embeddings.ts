// The canonical embeddings request and answer (SPEC §3 `POST /v1/embeddings`): fronts decode into
// it, upstream codecs that can embed (UpstreamCodec.embeddings) encode from it. Vectors travel as
// 32-bit floats, the precision every vendor returns; `base64` is their little-endian bytes (OpenAI's
// encoding_format, docs/embeddings.md).

import { GatewayError } from './errors.ts';

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

/**
 * How an upstream cuts an embeddings request into calls (UpstreamCodec.embeddings.batching): vendors
 * cap the inputs per call (Bedrock's Titan takes one text, Cohere on Bedrock 96, Vertex 250, its
 * Gemini models one), and some the tokens per call.
 */
export interface EmbeddingsBatching {
  /** Most inputs per call (at least 1). */
  maxInputs: number;
  /**
   * Most tokens per call, estimated at four characters a token (token-id inputs: their length); an
   * input alone over it still goes in a call of its own, for the vendor to truncate or refuse.
   */
  maxTokens?: number;
  /** Calls of one request in flight at once (default DEFAULT_EMBEDDING_CONCURRENCY). */
  concurrency?: number;
}

/** Calls of one embeddings request in flight at once, unless the codec says otherwise. */
export const DEFAULT_EMBEDDING_CONCURRENCY = 4;

/** `req` cut into requests of consecutive inputs within `limits`, in input order (`[req]` when it fits). */
export function splitEmbeddings(req: EmbeddingsRequest, limits: EmbeddingsBatching): EmbeddingsRequest[] {
  const max = Math.max(1, Math.floor(limits.maxInputs));
  const items: Array<string | number[]> = req.input.kind === 'text' ? req.input.texts : req.input.tokens;
  const budget = limits.maxTokens;
  if (items.length <= max && (budget === undefined || estimateEmbeddingTokens(req.input) <= budget)) return [req];
  const parts: EmbeddingsRequest[] = [];
  let start = 0;
  let tokens = 0;
  const cut = (end: number): void => {
    const slice = items.slice(start, end);
    const input: EmbeddingInput = req.input.kind === 'text' ? { kind: 'text', texts: slice as string[] } : { kind: 'tokens', tokens: slice as number[][] };
    parts.push({ ...req, input });
    start = end;
    tokens = 0;
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const t = typeof item === 'string' ? Math.ceil(item.length / 4) : item.length;
    if (i > start && (i - start >= max || (budget !== undefined && tokens + t > budget))) cut(i);
    tokens += t;
  }
  cut(items.length);
  return parts;
}

/** The answers of a split request's calls, in order, as one: the token count only if every call gave one. */
export function joinEmbeddings(parts: readonly EmbeddingsResponse[]): EmbeddingsResponse {
  if (parts.length === 1) return parts[0]!;
  const vectors: Float32Array[] = [];
  let inputTokens: number | undefined = 0;
  let model: string | undefined;
  for (const p of parts) {
    for (const v of p.vectors) vectors.push(v);
    model ??= p.model;
    inputTokens = inputTokens === undefined || p.inputTokens === undefined ? undefined : inputTokens + p.inputTokens;
  }
  const out: EmbeddingsResponse = { vectors };
  if (model !== undefined) out.model = model;
  if (inputTokens !== undefined) out.inputTokens = inputTokens;
  return out;
}

/**
 * A field of the client's own body beyond OpenAI's (a vendor option such as Cohere's `input_type`,
 * docs/embeddings.md), when the client spoke OpenAI; undefined otherwise.
 */
export function clientField(req: EmbeddingsRequest, name: string): unknown {
  return req.front === 'openai' ? req.raw[name] : undefined;
}

/**
 * A vendor option of the client's body (clientField), checked: undefined when absent, else the value,
 * or GatewayError('invalid_request') naming the field when `check` refuses it.
 */
export function clientOption<T>(req: EmbeddingsRequest, name: string, check: (v: unknown) => v is T, what: string, vendor: string): T | undefined {
  const v = clientField(req, name);
  if (v === undefined || v === null) return undefined;
  if (!check(v)) throw new GatewayError('invalid_request', `'${name}' must be ${what} (a ${vendor} embeddings option)`, { param: name });
  return v;
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
