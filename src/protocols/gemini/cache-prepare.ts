// Cache breakpoints (Anthropic `cache_control`, kept on the canonical request) carried to a Gemini
// provider that has `context_cache:` (docs/protocols/gemini.md §9, docs/translation.md §2, §10): the
// prefix up to the last breakpoint — systemInstruction, tools, toolConfig and the contents it covers —
// becomes an explicit cachedContents resource, made once per distinct prefix and model before the
// request (the codec's prepare step, core/protocol.ts), and the request then names it in
// `cachedContent` and carries only the rest. Whatever goes wrong with the resource, the request is
// sent whole and uncached: caching is an optimisation, never a failure.

import { createHash } from 'node:crypto';
import { parseDuration } from '../../config/units.ts';
import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext, UpstreamCalls, UpstreamCodec, UpstreamEndpoint, UpstreamEnv, UpstreamHttpRequest } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import type { ContextCacheSettings } from './cache-settings.ts';
import { ContextCaches, GAVE_UP, type CreateOutcome } from './context-cache.ts';
import { encodeGeminiBodyAndCut, geminiHeaders, type PreparedGeminiBody } from './encode-request.ts';
import type { GeminiCachedContentReply, GeminiCachedPrefix, GeminiRequest } from './wire.ts';

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
    const { body, cacheCut } = encodeGeminiBodyAndCut(req, endpoint, true);
    // The request keeps at least its last content: a breakpoint on the newest message (Claude Code
    // marks it) caches everything before it.
    const cut = Math.max(0, Math.min(cacheCut ?? 0, body.contents.length - 1));
    const prefix = prefixOf(body, cut);
    if (prefix === undefined) return { geminiBody: body };
    const prefixJson = JSON.stringify(prefix);
    const key = createHash('sha256').update(model).update('\0').update(prefixJson).digest('base64url');
    const ttlMs = breakpointTtl(req) ?? settings.ttlMs;
    const fields = { provider, model, prefix: key.slice(0, 12) };

    const name = await caches.acquire(key, {
      ttlMs,
      signal: calls.signal,
      patience: calls.patience,
      create: async (signal): Promise<CreateOutcome> => {
        const estimate = Math.ceil(Buffer.byteLength(prefixJson) / BYTES_PER_TOKEN_ESTIMATE);
        if (estimate < settings.minTokens) {
          log({ ...fields, tokens_estimate: estimate, min_tokens: settings.minTokens }, 'context cache: prefix below min_tokens, sent uncached');
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
          if (signal.reason === GAVE_UP) {
            log({ ...fields, error: 'no answer within half the first_byte limit' }, 'context cache: creation too slow, sent uncached');
            return { ok: false, retryAfterMs: RETRY_TRANSIENT_MS };
          }
          // Every waiting request has gone (client closed, its limits ran out): abandoned, nothing learnt.
          if (signal.aborted) throw err;
          log({ ...fields, error: messageOf(err) }, 'context cache: creation failed, sent uncached');
          return { ok: false, retryAfterMs: RETRY_TRANSIENT_MS };
        }
        const made = reply.status >= 200 && reply.status < 300 ? madeCache(reply.text, sentAt + ttlMs) : undefined;
        if (made === undefined) {
          const refusedForPrefix = reply.status === 400 || reply.status === 404;
          log(
            { ...fields, status: reply.status, error: googleMessage(reply.text) },
            'context cache: creation refused, sent uncached',
          );
          return { ok: false, retryAfterMs: refusedForPrefix ? ttlMs : RETRY_TRANSIENT_MS };
        }
        log({ ...fields, cache: made.name, tokens: made.tokens ?? null, ttl_s: ttlMs / 1000 }, 'context cache: created');
        return { ok: true, cache: { name: made.name, expiresAtMs: made.expiresAtMs } };
      },
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
    });
    if (name === undefined) return { geminiBody: body };
    sentWith.set(req, { key, name });
    const rest: GeminiRequest = { contents: body.contents.slice(cut), cachedContent: name };
    if (body.generationConfig !== undefined) rest.generationConfig = body.generationConfig;
    return { geminiBody: rest };
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
 * What the resource holds: everything Gemini refuses beside a cachedContent (systemInstruction, tools,
 * toolConfig, gemini.md §9) and the first `cut` contents. Undefined when that is nothing.
 */
function prefixOf(body: GeminiRequest, cut: number): GeminiCachedPrefix | undefined {
  const prefix: GeminiCachedPrefix = {};
  if (body.systemInstruction !== undefined) prefix.systemInstruction = body.systemInstruction;
  if (body.tools !== undefined) prefix.tools = body.tools;
  if (body.toolConfig !== undefined) prefix.toolConfig = body.toolConfig;
  if (cut > 0) prefix.contents = body.contents.slice(0, cut);
  return Object.keys(prefix).length > 0 ? prefix : undefined;
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
