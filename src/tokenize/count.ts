// Local token counts for count_tokens when the upstream has no counter of its own (SPEC §3): a real
// BPE tokenizer (gpt-tokenizer, pure JavaScript) over the whole request — system, messages, tool
// calls and results, tool definitions, images and documents — never a constant. The result is an
// estimate for every model whose vocabulary is not published (docs/token-counting.md).
//
// Cost: about 7 ms for 100 KB of text with o200k_base (bench `count-tokens`). Agents count the same
// conversation again and again with one more turn each time, so counts of long text parts are kept
// in a bounded cache: a repeated count only tokenizes what is new.

import { Buffer } from 'node:buffer';
import type { ChatRequest, ContentPart } from '../core/request.ts';
import { vocabularyFor, type Vocabulary } from './families.ts';
import { imageSize, imageTokens, MAX_IMAGE_TOKENS } from './images.ts';

export interface Encoder {
  countTokens(text: string): number;
}

/** OpenAI's chat format: each message costs three tokens of framing, the reply primer three more. */
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMER = 3;
/** Framing of one tool definition around its name, description and schema (OpenAI's function format). */
const TOKENS_PER_TOOL = 8;
/** Anthropic documents 1,500–3,000 tokens per PDF page (text plus page image); the low end is used. */
const TOKENS_PER_PDF_PAGE = 1500;
/** Texts shorter than this are tokenized each time: cheaper than a cache lookup of a long key. */
const CACHE_MIN_CHARS = 256;
const CACHE_MAX_CHARS = 8_000_000;

const loaded = new Map<Vocabulary, Promise<Encoder>>();

/** The encoder of a vocabulary, loaded on first use (the rank tables take ~150 ms to build). */
export function loadEncoder(vocabulary: Vocabulary): Promise<Encoder> {
  let p = loaded.get(vocabulary);
  if (p === undefined) {
    p =
      vocabulary === 'cl100k_base'
        ? import('gpt-tokenizer/encoding/cl100k_base').then((m) => ({ countTokens: (t: string) => m.countTokens(t) }))
        : import('gpt-tokenizer/encoding/o200k_base').then((m) => ({ countTokens: (t: string) => m.countTokens(t) }));
    loaded.set(vocabulary, p);
  }
  return p;
}

/** Counts of long texts, per vocabulary, bounded by total characters (oldest dropped first). */
class CountCache {
  readonly #entries = new Map<string, number>();
  #chars = 0;

  count(encoder: Encoder, text: string): number {
    if (text.length < CACHE_MIN_CHARS) return encoder.countTokens(text);
    const hit = this.#entries.get(text);
    if (hit !== undefined) return hit;
    const n = encoder.countTokens(text);
    this.#entries.set(text, n);
    this.#chars += text.length;
    for (const [key] of this.#entries) {
      if (this.#chars <= CACHE_MAX_CHARS) break;
      this.#entries.delete(key);
      this.#chars -= key.length;
    }
    return n;
  }
}

const caches = new Map<Encoder, CountCache>();

export interface TokenCount {
  inputTokens: number;
  /** Always true: a local count is an estimate of what the upstream will bill. */
  estimated: true;
  vocabulary: Vocabulary;
}

/** The input tokens of `req` for `model` (the upstream model name when known). */
export async function countRequestTokens(req: ChatRequest, model: string): Promise<TokenCount> {
  const vocabulary = vocabularyFor(model);
  const encoder = await loadEncoder(vocabulary);
  return { inputTokens: countWith(encoder, req), estimated: true, vocabulary };
}

/** The synchronous core, for callers holding an encoder (and the benchmark). */
export function countWith(encoder: Encoder, req: ChatRequest): number {
  let cache = caches.get(encoder);
  if (cache === undefined) caches.set(encoder, (cache = new CountCache()));
  const text = (t: string): number => (t === '' ? 0 : cache.count(encoder, t));
  let total = REPLY_PRIMER;
  for (const m of req.messages) {
    total += TOKENS_PER_MESSAGE + text(m.role);
    for (const part of m.content) total += partTokens(part, text);
  }
  for (const tool of req.tools ?? []) {
    total += TOKENS_PER_TOOL + text(tool.name);
    if (tool.description !== undefined) total += text(tool.description);
    if (Object.keys(tool.parameters).length > 0) total += text(JSON.stringify(tool.parameters));
  }
  return total;
}

function partTokens(part: ContentPart, text: (t: string) => number): number {
  switch (part.type) {
    case 'text':
      return text(part.text);
    case 'reasoning':
      return text(part.text);
    case 'tool-call':
      return text(part.name) + text(part.arguments);
    case 'tool-result': {
      let n = part.name !== undefined ? text(part.name) : 0;
      for (const c of part.content) n += c.type === 'text' ? text(c.text) : imagePartTokens(c.source);
      return n;
    }
    case 'image':
      return imagePartTokens(part.source);
    case 'document':
      return documentTokens(part.mediaType, part.data, text);
  }
}

function imagePartTokens(source: { kind: 'base64'; data: string } | { kind: 'url'; url: string }): number {
  let data: string | undefined;
  if (source.kind === 'base64') data = source.data;
  else if (source.url.startsWith('data:')) data = source.url.slice(source.url.indexOf(',') + 1);
  if (data === undefined) return MAX_IMAGE_TOKENS;
  const size = imageSize(data);
  return size === undefined ? MAX_IMAGE_TOKENS : imageTokens(size.width, size.height);
}

function documentTokens(mediaType: string, data: string, text: (t: string) => number): number {
  const bytes = Buffer.from(data, 'base64');
  if (mediaType === 'application/pdf') {
    // "/Type /Page" objects (not "/Pages" tree nodes) are the pages of the document.
    const pages = bytes.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 1;
    return pages * TOKENS_PER_PDF_PAGE;
  }
  return text(bytes.toString('utf8'));
}
