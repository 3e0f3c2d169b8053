// Cache breakpoints (Anthropic `cache_control`, kept on the canonical request) carried to a Gemini
// provider that has `context_cache:` (docs/protocols/gemini.md §9, docs/translation.md §1, §2, §10),
// with Anthropic's semantics as far as Gemini's explicit caches allow them:
//   - read: the longest prefix that has a live cachedContents resource, among the prefixes that end
//     at a content boundary at or before the last breakpoint (every breakpoint's, and the ones between,
//     as Anthropic looks back over earlier block boundaries), is used: the request names it in
//     `cachedContent` and carries only the rest;
//   - write: the prefix up to the last breakpoint is made into a resource. When the request itself
//     can use it (it ends before the newest content) and nothing shorter is cached, the request waits
//     for it (the codec's prepare step, core/protocol.ts), within its patience; otherwise it is made
//     in the background, for the next request, which Claude Code's moving breakpoints read.
// A prefix holds the system texts that stand before its end; later ones (Claude Code's trailing
// system reminder) travel in the request's contents as delimited user text when a cache is used, so
// they never change a key. Whatever goes wrong with a resource, the request is sent whole and
// uncached: caching is an optimisation, never a failure.

import { createHash } from 'node:crypto';
import { parseDuration } from '../../config/units.ts';
import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext, UpstreamCalls, UpstreamCodec, UpstreamEndpoint, UpstreamEnv, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import type { ContextCacheSettings } from './cache-settings.ts';
import { BACKGROUND_LIMIT_MS, ContextCaches, GAVE_UP, TOO_SLOW, type CreateOutcome, type UseOptions } from './context-cache.ts';
import type { SystemText } from './encode-contents.ts';
import { encodeGeminiBodyAndCut, geminiHeaders, type PreparedGeminiBody } from './encode-request.ts';
import type { GeminiCachedContentReply, GeminiCachedPrefix, GeminiContent, GeminiRequest } from './wire.ts';

/** Where a provider's cachedContents live: the Gemini API's collection, or a Vertex location's. */
export interface CacheResources {
  /** The `model` field of a cachedContents body (`models/m`, or Vertex's full publisher model name). */
  modelName(model: string): string;
  /** The collection: POST here creates a resource. */
  collectionUrl(endpoint: UpstreamEndpoint): string;
  /** One resource by the name Google gave it (PATCH extends its lifetime). */
  resourceUrl(name: string, endpoint: UpstreamEndpoint): string;
}

/**
 * A refusal Google gives for the prefix itself (too small, a model without caching, a bad field) holds
 * for the prefix: it is not asked again while a resource would have lived. Anything else (quota, an
 * outage) is asked again after this.
 */
const RETRY_TRANSIENT_MS = 60_000;
/**
 * A deliberately generous token estimate for the min_tokens check: three bytes of the prefix's JSON
 * per token. It overstates English text and counts JSON syntax, so only prefixes clearly below the
 * minimum are skipped locally; Google's own 400 covers the rest.
 */
const BYTES_PER_TOKEN_ESTIMATE = 3;
/** How a system text the cache does not hold is marked in the user turn that carries it (translation.md §1). */
const SYSTEM_OPEN = '<system>\n';
const SYSTEM_CLOSE = '\n</system>';
/** Google's messages are short; longer ones are cut in the log line. */
const MAX_LOGGED_MESSAGE = 200;

/**
 * `codec` with a prepare step that makes and uses cachedContents resources for requests with cache
 * breakpoints, and an error decoder that notices when Google no longer has one.
 */
export function withContextCache(
  codec: UpstreamCodec,
  resources: CacheResources,
  settings: ContextCacheSettings,
  env: UpstreamEnv,
  provider: string,
): UpstreamCodec & { close(): void } {
  const caches = new ContextCaches(env.now);
  /** The prefix key a request was sent with, for decodeError. */
  const sentWith = new WeakMap<ChatRequest, { key: string; name: string }>();
  const log = env.log ?? (() => {});

  const prepare = (req: ChatRequest, model: string, endpoint: UpstreamEndpoint, calls: UpstreamCalls): Promise<unknown> | undefined => {
    // A Gemini client's own body (with its own cachedContent, if any) goes as written.
    if (req.front === 'gemini' || !hasBreakpoints(req)) return undefined;
    return prepareCached(req, model, endpoint, calls);
  };

  const prepareCached = async (req: ChatRequest, model: string, endpoint: UpstreamEndpoint, calls: UpstreamCalls): Promise<PreparedGeminiBody> => {
    sentWith.delete(req);
    const { body, cacheCut, systemTexts = [] } = encodeGeminiBodyAndCut(req, endpoint, true);
    const last = Math.min(cacheCut ?? 0, body.contents.length);
    const keys = prefixKeys(model, body, systemTexts, last);
    const ttlMs = breakpointTtl(req) ?? settings.ttlMs;
    const use: UseOptions = {
      ttlMs,
      refresh: async (cacheName, ttl) => {
        const reply = await calls.send({
          url: resources.resourceUrl(cacheName, endpoint),
          method: 'PATCH',
          headers: geminiHeaders(endpoint),
          body: `{"ttl":"${ttlSeconds(ttl)}"}`,
        });
        if (reply.status >= 200 && reply.status < 300) return true;
        if (isCacheGone(reply.status, reply.text)) return false;
        throw new Error(`refresh answered ${reply.status}`);
      },
    };
    const sendOn = (cut: number, key: string, name: string): PreparedGeminiBody => {
      sentWith.set(req, { key, name });
      return { geminiBody: restAfter(body, systemTexts, cut, name) };
    };

    // The request keeps at least one content of its own, so it can use a prefix of at most all but
    // the newest; a breakpoint on the newest message (Claude Code marks it) is written for the next.
    const longestUsable = Math.min(last, body.contents.length - 1);
    for (let cut = longestUsable; cut >= 0; cut--) {
      const key = keys[cut];
      const name = key === undefined ? undefined : caches.lookup(key, use);
      if (key === undefined || name === undefined) continue;
      if (cut < last) ensureWritten(last);
      return sendOn(cut, key, name);
    }

    const writeKey = keys[last];
    if (writeKey === undefined) return { geminiBody: body };
    if (last > longestUsable) {
      ensureWritten(last);
      return { geminiBody: body };
    }
    // Nothing cached and the request can use the prefix it writes: waiting for it bills the prefix
    // once at the input rate and once at the cached rate, sending it uncached twice at the input rate
    // (gemini.md §9 Billing).
    const name = await caches.acquire(writeKey, { ...use, signal: calls.signal, patience: calls.patience, create: creator(last, false) });
    return name === undefined ? { geminiBody: body } : sendOn(last, writeKey, name);

    /** Starts the creation of the prefix at `cut` for a later request, unless it is live, under way or refused. */
    function ensureWritten(cut: number): void {
      const key = keys[cut];
      if (key !== undefined) caches.ensure(key, { ttlMs, create: creator(cut, true) });
    }

    /** Makes the resource for the prefix at `cut`: `background` when no request waits for it. */
    function creator(cut: number, background: boolean): (signal: AbortSignal) => Promise<CreateOutcome> {
      return async (signal) => {
        const prefixJson = JSON.stringify(prefixAt(body, systemTexts, cut));
        const fields = { provider, model, prefix: keys[cut]!.slice(0, 12), contents: cut, ...(background ? { background: true } : {}) };
        // A request waiting for the creation goes uncached when it fails; a background one had not waited.
        const then = background ? '' : ', sent uncached';
        const estimate = Math.ceil(Buffer.byteLength(prefixJson) / BYTES_PER_TOKEN_ESTIMATE);
        if (estimate < settings.minTokens) {
          log({ ...fields, tokens_estimate: estimate, min_tokens: settings.minTokens }, `context cache: prefix below min_tokens${then}`);
          return { ok: false, retryAfterMs: ttlMs };
        }
        const sentAt = env.now();
        const create: UpstreamHttpRequest = {
          url: resources.collectionUrl(endpoint),
          headers: geminiHeaders(endpoint),
          body: `{"model":${JSON.stringify(resources.modelName(model))},"ttl":"${ttlSeconds(ttlMs)}",${prefixJson.slice(1)}`,
        };
        let reply;
        try {
          reply = await calls.send(create, signal);
        } catch (err) {
          if (signal.reason === GAVE_UP || signal.reason === TOO_SLOW) {
            const limit = signal.reason === GAVE_UP ? 'half the first_byte limit' : `${BACKGROUND_LIMIT_MS / 1000} s`;
            log({ ...fields, error: `no answer within ${limit}` }, `context cache: creation too slow${then}`);
            return { ok: false, retryAfterMs: RETRY_TRANSIENT_MS };
          }
          // Every waiting request has gone (client closed, its limits ran out), or the provider is
          // closing: abandoned, nothing learnt.
          if (signal.aborted) throw err;
          log({ ...fields, error: messageOf(err) }, `context cache: creation failed${then}`);
          return { ok: false, retryAfterMs: RETRY_TRANSIENT_MS };
        }
        const made = reply.status >= 200 && reply.status < 300 ? madeCache(reply.text, sentAt + ttlMs) : undefined;
        if (made === undefined) {
          const refusedForPrefix = reply.status === 400 || reply.status === 404;
          log({ ...fields, status: reply.status, error: googleMessage(reply.text) }, `context cache: creation refused${then}`);
          return { ok: false, retryAfterMs: refusedForPrefix ? ttlMs : RETRY_TRANSIENT_MS };
        }
        log({ ...fields, cache: made.name, tokens: made.tokens ?? null, ttl_s: ttlMs / 1000 }, 'context cache: created');
        return { ok: true, cache: { name: made.name, expiresAtMs: made.expiresAtMs } };
      };
    }
  };

  return {
    ...codec,
    prepare,
    decodeError(status, bodyText, headers, ctx) {
      const err = codec.decodeError(status, bodyText, headers, ctx);
      // Chat attempts pass the request (DecodeContext); other calls (embeddings) never use a cache.
      const req = (ctx as Partial<DecodeContext>).request;
      const sent = req === undefined ? undefined : sentWith.get(req);
      if (req === undefined || sent === undefined || !isCacheGone(status, bodyText)) return err;
      // Deleted or expired early on Google's side: forget it, and let the retry make a new one.
      caches.invalidate(sent.key, sent.name);
      sentWith.delete(req);
      return new GatewayError('upstream_error', `${err.message} (the context cache is gone; a new one is made)`, {
        status: 502,
        retryable: true,
        upstreamStatus: status,
        upstreamType: err.upstreamType,
      });
    },
    close: () => caches.close(),
  };
}

/** Any breakpoint on a message part or a tool. */
function hasBreakpoints(req: ChatRequest): boolean {
  if (req.tools !== undefined) for (const t of req.tools) if (t.cacheControl !== undefined) return true;
  for (const m of req.messages) for (const p of m.content) if ('cacheControl' in p && p.cacheControl !== undefined) return true;
  return false;
}

/** The longest `ttl` the breakpoints ask for (`5m`, `1h`), so every part of the prefix lives as long as asked. */
function breakpointTtl(req: ChatRequest): number | undefined {
  let best: number | undefined;
  const consider = (ttl: string | undefined): void => {
    if (ttl === undefined) return;
    try {
      const ms = parseDuration(ttl);
      if (ms > 0 && (best === undefined || ms > best)) best = ms;
    } catch {
      // not a duration: the provider's ttl applies
    }
  };
  for (const t of req.tools ?? []) consider(t.cacheControl?.ttl);
  for (const m of req.messages) for (const p of m.content) if ('cacheControl' in p) consider(p.cacheControl?.ttl);
  return best;
}

/**
 * The key of every prefix this request may read or write, by cut (0 … `last` contents): a SHA-256 of
 * the model, the tools, the tool config, and the prefix's system texts and contents in their order,
 * each as JSON and NUL-separated (JSON text never holds a raw NUL), so equal keys mean equal
 * resources. One running hash, copied at each cut. Undefined where the prefix would be empty.
 */
function prefixKeys(model: string, body: GeminiRequest, systemTexts: readonly SystemText[], last: number): Array<string | undefined> {
  const hash = createHash('sha256').update(model).update('\0');
  hash.update(body.tools === undefined ? '' : JSON.stringify(body.tools)).update('\0');
  hash.update(body.toolConfig === undefined ? '' : JSON.stringify(body.toolConfig)).update('\0');
  let s = 0;
  const addSystem = (cut: number): void => {
    for (; s < systemTexts.length && systemTexts[s].from <= cut; s++) hash.update('S').update(JSON.stringify(systemTexts[s].text)).update('\0');
  };
  addSystem(0);
  const keys: Array<string | undefined> = [s > 0 || body.tools !== undefined || body.toolConfig !== undefined ? hash.copy().digest('base64url') : undefined];
  for (let cut = 1; cut <= last; cut++) {
    addSystem(cut);
    hash.update('C').update(JSON.stringify(body.contents[cut - 1])).update('\0');
    keys.push(hash.copy().digest('base64url'));
  }
  return keys;
}

/**
 * What the resource for the prefix at `cut` holds: everything Gemini refuses beside a cachedContent
 * (systemInstruction, tools, toolConfig, gemini.md §9) — the system texts standing before the cut —
 * and the first `cut` contents.
 */
function prefixAt(body: GeminiRequest, systemTexts: readonly SystemText[], cut: number): GeminiCachedPrefix {
  const prefix: GeminiCachedPrefix = {};
  const texts: string[] = [];
  for (const s of systemTexts) if (s.from <= cut) texts.push(s.text);
  if (texts.length > 0) prefix.systemInstruction = { parts: [{ text: texts.join('\n\n') }] };
  if (body.tools !== undefined) prefix.tools = body.tools;
  if (body.toolConfig !== undefined) prefix.toolConfig = body.toolConfig;
  if (cut > 0) prefix.contents = body.contents.slice(0, cut);
  return prefix;
}

/**
 * The request on the resource for the prefix at `cut`: the contents after it, and the system texts
 * the prefix does not hold (translation.md §1), each as a delimited text part at the end of the first
 * user content at or after its place — for one after the last content, the last content when it is
 * the user's, else a user content of its own — so turns still alternate.
 */
function restAfter(body: GeminiRequest, systemTexts: readonly SystemText[], cut: number, name: string): GeminiRequest {
  const contents = body.contents.slice(cut);
  /** Contents of this request's own (the encoded ones are shared with the uncached body and the keys). */
  const own = new Set<GeminiContent>();
  for (const s of systemTexts) {
    if (s.from <= cut) continue;
    // `from` k + 1: the text stands before the end of content k.
    let at = Math.max(s.from - 1, cut) - cut;
    while (at < contents.length && contents[at].role !== 'user') at++;
    if (at === contents.length && contents[at - 1].role === 'user') at--;
    if (at === contents.length) {
      contents.push({ role: 'user', parts: [] });
      own.add(contents[at]);
    } else if (!own.has(contents[at])) {
      contents[at] = { role: 'user', parts: contents[at].parts.slice() };
      own.add(contents[at]);
    }
    contents[at].parts.push({ text: `${SYSTEM_OPEN}${s.text}${SYSTEM_CLOSE}` });
  }
  const rest: GeminiRequest = { contents, cachedContent: name };
  if (body.generationConfig !== undefined) rest.generationConfig = body.generationConfig;
  return rest;
}

/** Google's Duration spelling: whole seconds with an `s`. */
function ttlSeconds(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/**
 * The resource from a 2xx reply. It expires at the earlier of Google's `expireTime` and `latest` (the
 * ttl counted from before the request was sent, so a clock behind Google's cannot overstate it).
 */
function madeCache(text: string, latest: number): { name: string; expiresAtMs: number; tokens?: number } | undefined {
  let reply: GeminiCachedContentReply;
  try {
    reply = JSON.parse(text) as GeminiCachedContentReply;
  } catch {
    return undefined;
  }
  if (typeof reply !== 'object' || reply === null || typeof reply.name !== 'string' || reply.name === '') return undefined;
  const stated = typeof reply.expireTime === 'string' ? Date.parse(reply.expireTime) : NaN;
  const tokens = reply.usageMetadata?.totalTokenCount;
  return {
    name: reply.name,
    expiresAtMs: Number.isFinite(stated) ? Math.min(stated, latest) : latest,
    ...(typeof tokens === 'number' ? { tokens } : {}),
  };
}

/** A missing or expired resource: Google answers 403 `CachedContent not found (or permission denied)` (gemini.md §9), some paths 404. */
function isCacheGone(status: number, text: string): boolean {
  return (status === 403 || status === 404) && /cached ?content/i.test(text);
}

function googleMessage(text: string): string {
  let message = text;
  try {
    const m = (JSON.parse(text) as { error?: { message?: unknown } } | null)?.error?.message;
    if (typeof m === 'string') message = m;
  } catch {
    // not JSON: the text itself
  }
  return message.length > MAX_LOGGED_MESSAGE ? `${message.slice(0, MAX_LOGGED_MESSAGE)}…` : message;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
