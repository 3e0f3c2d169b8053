// One try at one target: build the upstream request, send it, turn whatever comes back into
// normalized canonical events. Whatever the upstream does — an error status, JSON under
// text/event-stream, a body that ignores stream:true, SSE without its content type,
// silence, a dropped connection — ends as exactly one of: the 'done' event, or a rejected GatewayError.

import type { ChatRequest } from '../core/request.ts';
import type { StreamEvent } from '../core/events.ts';
import { GatewayError } from '../core/errors.ts';
import { createNormalizer } from '../core/normalize.ts';
import { ResponseCollector, responseToEvents, type ChatResponse } from '../core/response.ts';
import type { DecodeContext, UpstreamCodec } from '../core/protocol.ts';
import type { ProviderConfig } from '../config/types.ts';
import { upstreamCodec } from '../protocols/index.ts';
import { SseDecoder } from '../sse/decoder.ts';
import { sendUpstream, type UpstreamFlow, type UpstreamResponseHead } from '../transport/http.ts';
import { runDemo, DEMO_DEFAULTS } from '../providers/demo.ts';
import { EventWatch } from './watch.ts';
import { withUsageEstimate } from './usage.ts';

export interface ResolvedTarget {
  provider: ProviderConfig;
  /** The model name sent upstream. */
  model: string;
  /** `provider/model`, for logs, metrics and health. */
  key: string;
}

export interface AttemptHooks {
  /** Normalized events ('error' never: failures reject instead). */
  onEvent(ev: StreamEvent): void;
  /** Raw upstream SSE lines for `--tap`. */
  onTap?(line: string): void;
  /** Where the events go (server/sse-responder.ts): while it is congested the upstream is not read. */
  downstream?: Downstream;
  /** Filled in as the attempt goes, also when it fails (telemetry reads it); a fresh one when absent. */
  stats?: AttemptStats;
  /** Added to the upstream request's headers (trace context). */
  headers?: Record<string, string>;
}

/** The client side of flow control: calls the listener with true when the client stops keeping up, false once it drained. */
export interface Downstream {
  setCongestionListener(listener: ((congested: boolean) => void) | undefined): void;
}

export interface AttemptStats {
  status: number;
  /** ms from sending the request to the first upstream event (-1 if none). */
  firstEventMs: number;
  upstreamEvents: number;
}

/** Simulated streams split text into pieces of about this many characters (`streaming: simulate`). */
const SIMULATE_PIECE = 16;
/** Error bodies are read up to this size; the message only needs the start. */
const MAX_ERROR_BODY = 64 * 1024;
/** A JSON body (non-streaming answer, or Q-2) may be large but not unbounded. */
const MAX_JSON_BODY = 64 * 1024 * 1024;
/**
 * An answer is often complete (`[DONE]`, a whole JSON document) a moment before the upstream ends
 * its body: the chunked terminator follows in the same read or the next packet. Waiting for it keeps
 * the keep-alive connection for the next request; aborting at once cost a new TCP connection, an
 * undici error and a GatewayError stack per request (bench/RESULTS.md). An upstream that holds the
 * connection open after a complete answer is let go after this grace period.
 */
const RELEASE_GRACE_MS = 1000;

export function runStreamAttempt(
  target: ResolvedTarget,
  req: ChatRequest,
  hooks: AttemptHooks,
  signal: AbortSignal,
): Promise<AttemptStats> {
  return new Promise<AttemptStats>((resolve, reject) => {
    const provider = target.provider;
    const stats: AttemptStats = hooks.stats ?? { status: 0, firstEventMs: -1, upstreamEvents: 0 };
    const local = new AbortController();
    let settled = false;
    let upstreamEnded = false;
    let releaseTimer: NodeJS.Timeout | undefined;
    let cancelLocal: (() => void) | undefined;
    let flow: UpstreamFlow | undefined;
    let flowPaused = false;

    const settle = (err?: GatewayError): void => {
      if (settled) return;
      settled = true;
      watch.stop();
      hooks.downstream?.setCongestionListener(undefined);
      // Read the rest (the body's end) so the connection goes back to the pool.
      if (flowPaused) flow?.resume();
      signal.removeEventListener('abort', onOuterAbort);
      stats.firstEventMs = watch.firstEventMs;
      if (err) {
        const named = err.withTarget(provider.name);
        cancelLocal?.();
        if (!local.signal.aborted) local.abort(named);
        reject(named);
      } else {
        // Complete before the upstream ended its body: let it go if the end does not follow (RELEASE_GRACE_MS).
        if (!upstreamEnded && !local.signal.aborted) releaseTimer = releaseAfterGrace(local);
        resolve(stats);
      }
    };
    const onOuterAbort = (): void => {
      const reason = signal.reason instanceof GatewayError ? signal.reason : new GatewayError('internal', 'client closed the request');
      settle(reason);
    };
    if (signal.aborted) {
      onOuterAbort();
      return;
    }
    signal.addEventListener('abort', onOuterAbort, { once: true });

    const watch = new EventWatch(
      {
        firstByteMs: provider.streaming === 'simulate' ? provider.timeouts.totalMs : provider.timeouts.firstByteMs,
        idleMs: provider.timeouts.idleMs,
        totalMs: provider.timeouts.totalMs,
      },
      (err) => settle(err),
    );

    const normalized = createNormalizer(
      withUsageEstimate(req, (ev) => {
        if (settled) return;
        if (ev.type === 'error') {
          settle(ev.error);
          return;
        }
        hooks.onEvent(ev);
        if (ev.type === 'done') settle();
      }),
    );
    const emit = (ev: StreamEvent): void => {
      if (settled) return;
      watch.touch();
      stats.upstreamEvents++;
      normalized(ev);
    };

    if (provider.type === 'demo') {
      upstreamEnded = true;
      // A non-streaming client waits for the whole answer: the demo then needs no token pacing.
      const run = runDemo(req, emit, req.stream ? DEMO_DEFAULTS : { firstTokenMs: 0, tokenMs: 0 });
      cancelLocal = () => run.cancel();
      return;
    }

    const codec = upstreamCodec(provider.type);
    if (!codec) {
      settle(new GatewayError('internal', `no upstream codec for provider type ${provider.type}`));
      return;
    }
    const ctx: DecodeContext = { provider: provider.name, endpoint: provider, request: req };

    if (provider.streaming === 'simulate') {
      upstreamEnded = true;
      fetchComplete(codec, target, req, ctx, local.signal, undefined, hooks.headers).then(
        (resp) => responseToEvents(resp, emit, SIMULATE_PIECE),
        (err: GatewayError) => settle(err),
      );
      return;
    }

    let httpReq;
    try {
      httpReq = buildUpstreamRequest(codec, req, target, true, hooks.headers);
    } catch (err) {
      settle(asGatewayError(err));
      return;
    }

    const decoder = codec.createStreamDecoder(emit, ctx);
    const sse = new SseDecoder({
      onEvent(data, event) {
        if (hooks.onTap) hooks.onTap(event ? `event: ${event} data: ${data}` : `data: ${data}`);
        decoder.onEvent(data, event);
      },
      // A tapped stream (debug) sees every event as text, so it takes the usual path.
      onDataLine: decoder.onDataLine === undefined || hooks.onTap ? undefined : (bytes, start, end) => decoder.onDataLine!(bytes, start, end),
      onError(err) {
        settle(new GatewayError('upstream_malformed', `upstream stream could not be parsed: ${err.message}`));
      },
    });
    const body = new BodySniffer(MAX_JSON_BODY);
    let head: UpstreamResponseHead | undefined;
    let mode: 'sniff' | 'sse' | 'json' | 'error' = 'sniff';

    /** one JSON body where a stream was expected: a completion to re-stream, or an error. */
    const finishJson = (text: string): void => {
      if (settled) return;
      let resp: ChatResponse;
      try {
        resp = decodeJsonBody(codec, head?.status ?? 0, text, head?.headers ?? {}, ctx);
      } catch (err) {
        settle(asGatewayError(err));
        return;
      }
      responseToEvents(resp, emit, 0);
    };

    flow = sendUpstream(httpReq, { provider: provider.name, connectTimeoutMs: provider.timeouts.connectMs, signal: local.signal }, {
      onHead(h) {
        head = h;
        stats.status = h.status;
        if (h.status < 200 || h.status >= 300) mode = 'error';
        else watch.responded();
      },
      onData(chunk) {
        if (settled) return;
        if (mode === 'sse') {
          sse.push(chunk);
          return;
        }
        if (mode === 'error') {
          if (body.size < MAX_ERROR_BODY) body.add(chunk);
          return;
        }
        if (!body.add(chunk)) {
          settle(new GatewayError('upstream_malformed', 'upstream body exceeded the size limit'));
          return;
        }
        if (mode === 'sniff') {
          const kind = body.sniff();
          if (kind === 'json') mode = 'json';
          else if (kind === 'sse') {
            mode = 'sse';
            for (const c of body.take()) sse.push(c);
          }
        }
        // Q-2 (Azure Foundry): a complete JSON body may arrive on a connection the upstream keeps
        // open. Answer as soon as the document is complete rather than at EOF.
        if (mode === 'json' && endsLikeJson(chunk)) {
          const text = body.text();
          if (isCompleteJson(text)) finishJson(text);
        }
      },
      onEnd() {
        upstreamEnded = true;
        clearTimeout(releaseTimer);
        if (settled) return;
        const status = head?.status ?? 0;
        if (mode === 'error') {
          settle(codec.decodeError(status, body.text(), head?.headers ?? {}, ctx));
          return;
        }
        if (mode === 'json' || (mode === 'sniff' && body.size > 0 && body.sniff() !== 'sse')) {
          finishJson(body.text());
          return;
        }
        if (mode === 'sniff') for (const c of body.take()) sse.push(c);
        sse.end();
        decoder.end();
        if (!settled) {
          // The decoder neither finished nor failed: treat as truncation.
          settle(new GatewayError('stream_truncated', 'upstream stream ended without a terminal event'));
        }
      },
      onError(err) {
        upstreamEnded = true;
        clearTimeout(releaseTimer);
        if (settled) return;
        if (head && err.code === 'upstream_unreachable') {
          settle(new GatewayError('stream_truncated', `upstream connection closed mid-response: ${err.message}`, { cause: err }));
        } else {
          settle(err);
        }
      },
    });
    // A slow client: stop reading the upstream until it drained (TCP pushes back on the upstream),
    // and do not count that silence against the upstream's idle limit.
    hooks.downstream?.setCongestionListener((congested) => {
      if (settled || congested === flowPaused) return;
      flowPaused = congested;
      if (congested) {
        watch.pause();
        flow?.pause();
      } else {
        flow?.resume();
        watch.resume();
      }
    });
  });
}

/**
 * A complete answer from one target, for non-streaming clients: a non-streaming upstream call, or
 * (`streaming: always`) a stream folded into a response.
 */
export async function runCompleteAttempt(
  target: ResolvedTarget,
  req: ChatRequest,
  signal: AbortSignal,
  headers?: Record<string, string>,
): Promise<ChatResponse> {
  const provider = target.provider;
  if (provider.type === 'demo' || provider.streaming === 'always') {
    const collector = new ResponseCollector();
    await runStreamAttempt(target, req, { onEvent: collector.push, headers }, signal);
    return collector.result();
  }
  const codec = upstreamCodec(provider.type);
  if (!codec) throw new GatewayError('internal', `no upstream codec for provider type ${provider.type}`);
  const ctx: DecodeContext = { provider: provider.name, endpoint: provider, request: req };
  const local = new AbortController();
  const onAbort = (): void => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => local.abort(new GatewayError('total_timeout', `upstream exceeded the total time limit of ${provider.timeouts.totalMs}ms`)),
    provider.timeouts.totalMs,
  );
  timer.unref?.();
  // Without streaming the first byte is the response head: first_byte bounds the wait for it.
  let firstByte: NodeJS.Timeout | undefined = setTimeout(
    () =>
      local.abort(
        new GatewayError('first_byte_timeout', `upstream sent no response within the first_byte limit of ${provider.timeouts.firstByteMs}ms`),
      ),
    provider.timeouts.firstByteMs,
  );
  firstByte.unref?.();
  const onHead = (): void => {
    clearTimeout(firstByte);
    firstByte = undefined;
  };
  try {
    return await fetchComplete(codec, target, req, ctx, local.signal, onHead, headers);
  } catch (err) {
    const e = local.signal.aborted && local.signal.reason instanceof GatewayError && !signal.aborted ? local.signal.reason : asGatewayError(err);
    throw e.withTarget(provider.name);
  } finally {
    clearTimeout(timer);
    if (firstByte) clearTimeout(firstByte);
    signal.removeEventListener('abort', onAbort);
  }
}

/** A non-streaming upstream call, tolerant of an upstream that streams anyway. */
function fetchComplete(
  codec: UpstreamCodec,
  target: ResolvedTarget,
  req: ChatRequest,
  ctx: DecodeContext,
  signal: AbortSignal,
  onResponseHead?: () => void,
  headers?: Record<string, string>,
): Promise<ChatResponse> {
  return new Promise<ChatResponse>((resolve, reject) => {
    let httpReq;
    try {
      httpReq = buildUpstreamRequest(codec, { ...req, stream: false }, target, false, headers);
    } catch (err) {
      reject(asGatewayError(err));
      return;
    }
    const body = new BodySniffer(MAX_JSON_BODY);
    let head: UpstreamResponseHead | undefined;
    let overflow = false;
    let done = false;
    let releaseTimer: NodeJS.Timeout | undefined;
    // Released when the answer is complete but the upstream does not end its body (RELEASE_GRACE_MS).
    const local = new AbortController();
    const onAbort = (): void => local.abort(signal.reason);
    if (signal.aborted) local.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    const finishEarly = (resp: ChatResponse): void => {
      done = true;
      signal.removeEventListener('abort', onAbort);
      releaseTimer = releaseAfterGrace(local);
      resolve(resp);
    };
    sendUpstream(httpReq, { provider: target.provider.name, connectTimeoutMs: target.provider.timeouts.connectMs, signal: local.signal }, {
      onHead(h) {
        head = h;
        onResponseHead?.();
      },
      onData(chunk) {
        if (done) return;
        if (!body.add(chunk)) overflow = true;
        const status = head?.status ?? 0;
        if (!overflow && status >= 200 && status < 300 && endsLikeJson(chunk) && body.sniff() === 'json') {
          const text = body.text();
          if (isCompleteJson(text)) {
            try {
              finishEarly(decodeJsonBody(codec, status, text, head?.headers ?? {}, ctx));
            } catch (err) {
              done = true;
              local.abort(err);
              reject(asGatewayError(err));
            }
          }
        }
      },
      onEnd() {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(releaseTimer);
        if (done) return;
        const status = head?.status ?? 0;
        if (status < 200 || status >= 300) {
          reject(codec.decodeError(status, body.text(), head?.headers ?? {}, ctx));
          return;
        }
        if (overflow) {
          reject(new GatewayError('upstream_malformed', 'upstream body exceeded the size limit'));
          return;
        }
        try {
          if (body.sniff() === 'sse') resolve(collectSse(codec, body.take(), ctx));
          else resolve(decodeJsonBody(codec, status, body.text(), head?.headers ?? {}, ctx));
        } catch (err) {
          reject(asGatewayError(err));
        }
      },
      onError(err) {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(releaseTimer);
        if (!done) reject(err);
      },
    });
  });
}

/** Aborts the upstream request unless its body ends within RELEASE_GRACE_MS (the caller clears the timer then). */
function releaseAfterGrace(local: AbortController): NodeJS.Timeout {
  const timer = setTimeout(() => {
    if (!local.signal.aborted) local.abort(new GatewayError('internal', 'response complete'));
  }, RELEASE_GRACE_MS);
  timer.unref();
  return timer;
}

/** Content only the client's own dialect can carry is refused by an upstream of another (400, not retried). */
function buildUpstreamRequest(codec: UpstreamCodec, req: ChatRequest, target: ResolvedTarget, stream: boolean, headers?: Record<string, string>) {
  if (req.nonPortable !== undefined && codec.name !== req.front) {
    throw new GatewayError('unsupported', `${req.nonPortable} (provider ${target.provider.name} speaks ${codec.name})`);
  }
  const built = codec.buildRequest(req, target.model, target.provider, stream);
  if (headers !== undefined) Object.assign(built.headers, headers);
  return built;
}

function collectSse(codec: UpstreamCodec, chunks: Buffer[], ctx: DecodeContext): ChatResponse {
  const collector = new ResponseCollector();
  const normalized = createNormalizer(collector.push);
  const decoder = codec.createStreamDecoder(normalized, ctx);
  const sse = new SseDecoder({ onEvent: (data, event) => decoder.onEvent(data, event) });
  for (const c of chunks) sse.push(c);
  sse.end();
  decoder.end();
  return collector.result();
}

function decodeJsonBody(
  codec: UpstreamCodec,
  status: number,
  text: string,
  headers: Record<string, string | string[] | undefined>,
  ctx: DecodeContext,
): ChatResponse {
  let json: unknown;
  try {
    json = JSON.parse(withoutTrailingDone(text));
  } catch {
    throw new GatewayError('upstream_malformed', `upstream sent a body that is neither SSE nor JSON: ${text.slice(0, 120)}`);
  }
  if (json === null || typeof json !== 'object' || 'error' in (json as object)) {
    // An error body under a 2xx status: let the dialect read its status and message.
    throw codec.decodeError(errorStatusOf(json) ?? (status >= 400 ? status : 502), text, headers, ctx);
  }
  return codec.decodeResponse(json, ctx);
}

function errorStatusOf(json: unknown): number | undefined {
  const code = (json as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : undefined;
}

function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal', err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * Holds the first bytes of a body until its first non-whitespace byte says what it is: `{`/`[` is
 * JSON, anything else is SSE (`data:`, `event:`, `:`, `id:`…; Q-4), whatever the
 * Content-Type claims. Chunks are kept as a list and joined once.
 */
class BodySniffer {
  private chunks: Buffer[] = [];
  size = 0;
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  add(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this.size <= this.limit;
  }
  sniff(): 'json' | 'sse' | undefined {
    for (const c of this.chunks) {
      for (let i = 0; i < c.length; i++) {
        const b = c[i]!;
        if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue;
        return b === 0x7b || b === 0x5b ? 'json' : 'sse';
      }
    }
    return undefined;
  }
  take(): Buffer[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Cheap pre-check before trying JSON.parse: the chunk's last non-whitespace byte closes a document. */
function endsLikeJson(chunk: Buffer): boolean {
  for (let i = chunk.length - 1; i >= 0; i--) {
    const b = chunk[i]!;
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7d || b === 0x5d;
  }
  return false;
}

function isCompleteJson(text: string): boolean {
  try {
    JSON.parse(withoutTrailingDone(text));
    return true;
  } catch {
    return false;
  }
}

/** Some relays glue `data: [DONE]` after a plain JSON body (Q-2, 9router): it ends the body, it is not part of it. */
function withoutTrailingDone(text: string): string {
  return text.replace(/\s*(?:data:\s*)?\[DONE\]\s*$/, '');
}
