// Local token counts for count_tokens when the upstream has no counter of its own (SPEC §3): a real
// BPE tokenizer (OpenAI's vocabularies from gpt-tokenizer, counted by bpe.ts) over the whole
// request — system, messages, tool calls and results, tool definitions, images and documents —
// never a constant. The result is an estimate for every model whose vocabulary is not published
// (docs/token-counting.md).
//
// Cost: about 2 ms of CPU for 100 KB of new text (bench/count-tokens.ts; gpt-tokenizer's own
// countTokens took 8–11 ms). Agents count the same conversation again and again with one more turn
// each time, so counts of long text parts are kept in a bounded cache: a repeated count only
// tokenizes what is new.

import { Buffer } from 'node:buffer';
import type { ChatRequest, ContentPart } from '../core/request.ts';
import { BpeCounter } from './bpe.ts';
import { vocabularyFor, type Vocabulary } from './families.ts';
import { imageSize, imageTokens, MAX_IMAGE_TOKENS } from './images.ts';
import { countOffThread } from './offload.ts';
import { cl100kAsciiPieceEnd, cl100kPieceEnd, o200kAsciiPieceEnd, o200kPieceEnd } from './pretokenize.ts';

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
/**
 * New text per request from which the count runs in a worker thread: about 5 ms of counting here.
 * The worker costs about 100 MB of resident memory and 0.3 s to start, so it is started only for
 * prompts that would hold up other streams for longer than that (bench/count-tokens.ts).
 */
export const OFF_THREAD_CHARS = 256 * 1024;

const loaded = new Map<Vocabulary, Promise<Encoder>>();

/** The counter of a vocabulary, loaded on first use (reading and indexing the ranks takes ~150 ms). */
export function loadEncoder(vocabulary: Vocabulary): Promise<Encoder> {
  let p = loaded.get(vocabulary);
  if (p === undefined) {
    p =
      vocabulary === 'cl100k_base'
        ? import('gpt-tokenizer/bpeRanks/cl100k_base').then((m) => new BpeCounter(m.default, cl100kPieceEnd, cl100kAsciiPieceEnd))
        : import('gpt-tokenizer/bpeRanks/o200k_base').then((m) => new BpeCounter(m.default, o200kPieceEnd, o200kAsciiPieceEnd));
    loaded.set(vocabulary, p);
  }
  return p;
}

/** Counts of long texts, per vocabulary, bounded by total characters (oldest dropped first). */
class CountCache {
  readonly #entries = new Map<string, number>();
  #chars = 0;

  get(text: string): number | undefined {
    return this.#entries.get(text);
  }

  set(text: string, n: number): void {
    // One text of more than an eighth of the budget would empty the cache for itself alone.
    if (text.length > CACHE_MAX_CHARS / 8 || this.#entries.has(text)) return;
    this.#entries.set(text, n);
    this.#chars += text.length;
    for (const [key] of this.#entries) {
      if (this.#chars <= CACHE_MAX_CHARS) break;
      this.#entries.delete(key);
      this.#chars -= key.length;
    }
  }
}

const caches = new Map<Encoder, CountCache>();

function cacheOf(encoder: Encoder): CountCache {
  let cache = caches.get(encoder);
  if (cache === undefined) caches.set(encoder, (cache = new CountCache()));
  return cache;
}

export interface TokenCount {
  inputTokens: number;
  /** Always true: a local count is an estimate of what the upstream will bill. */
  estimated: true;
  vocabulary: Vocabulary;
}

/**
 * The input tokens of `req` for `model` (the upstream model name when known). Texts already counted
 * come from the cache; when the new ones add up to OFF_THREAD_CHARS or more they are counted in a
 * worker thread (offload.ts), so that a multi-megabyte prompt does not hold up other streams.
 */
export async function countRequestTokens(req: ChatRequest, model: string): Promise<TokenCount> {
  const vocabulary = vocabularyFor(model);
  const encoder = await loadEncoder(vocabulary);
  const cache = cacheOf(encoder);
  const pending: string[] = [];
  let pendingChars = 0;
  let inputTokens = walk(req, (t) => {
    if (t.length < CACHE_MIN_CHARS) return t === '' ? 0 : encoder.countTokens(t);
    const hit = cache.get(t);
    if (hit !== undefined) return hit;
    pending.push(t);
    pendingChars += t.length;
    return 0;
  });
  if (pending.length > 0) {
    const counts = pendingChars >= OFF_THREAD_CHARS ? await countOffThread(vocabulary, pending, encoder) : pending.map((t) => encoder.countTokens(t));
    for (let i = 0; i < pending.length; i++) {
      cache.set(pending[i]!, counts[i]!);
      inputTokens += counts[i]!;
    }
  }
  return { inputTokens, estimated: true, vocabulary };
}

/** The synchronous count on this thread, for callers holding an encoder (and the benchmark). */
export function countWith(encoder: Encoder, req: ChatRequest): number {
  const cache = cacheOf(encoder);
  return walk(req, (t) => {
    if (t.length < CACHE_MIN_CHARS) return t === '' ? 0 : encoder.countTokens(t);
    let n = cache.get(t);
    if (n === undefined) cache.set(t, (n = encoder.countTokens(t)));
    return n;
  });
}

/** The request's tokens, with `text` counting each text: framing, messages, parts, tools. */
function walk(req: ChatRequest, text: (t: string) => number): number {
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
