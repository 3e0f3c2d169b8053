// One try at one target: build the upstream request, let the provider's auth sign it, send it, and
// read what comes back through the upstream reader (reader.ts) into normalized canonical events.
// Whatever the upstream does ends as exactly one of: the 'done' event, or a rejected GatewayError.
// Which dialect, framing or credentials are involved is the codec's and the provider type's business:
// nothing here names one.

import type { Dispatcher } from 'undici';
import type { ChatRequest } from '../core/request.ts';
import type { StreamEvent } from '../core/events.ts';
import { GatewayError } from '../core/errors.ts';
import { ResponseCollector, responseToEvents, type ChatResponse } from '../core/response.ts';
import { DEFAULT_EMBEDDING_CONCURRENCY, joinEmbeddings, splitEmbeddings, type EmbeddingsRequest, type EmbeddingsResponse } from '../core/embeddings.ts';
import type { DecodeContext, LocalRun, OutboundAuth, UpstreamCalls, UpstreamCodec, UpstreamEnv, UpstreamHttpRequest } from '../core/protocol.ts';
import type { ProviderConfig } from '../config/types.ts';
import { sendUpstream, type UpstreamBodyHandler, type UpstreamFlow, type UpstreamResponseHead } from '../transport/http.ts';
import { clientSafe } from './upstream-secrets.ts';
import { systemClock, type Clock } from './clock.ts';
import {
  BodySniffer,
  MAX_JSON_BODY,
  asGatewayError,
  collectStream,
  createBodyReader,
  createEventChain,
  decodeJsonBody,
  endsLikeJson,
  isCompleteJson,
} from './reader.ts';
import { callsInParallel } from './parallel.ts';
import { upstreamOf } from './upstreams.ts';
import { EventWatch } from './watch.ts';

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
  /** Raw upstream events for `--tap`. */
  onTap?(line: string): void;
  /** Where the events go (server/stream-responder.ts): while it is congested the upstream is not read. */
  downstream?: Downstream;
  /** Filled in as the attempt goes, also when it fails (telemetry reads it); a fresh one when absent. */
  stats?: AttemptStats;
  /** Added to the upstream request's headers before it is signed (trace context). */
  headers?: Record<string, string>;
}

/** The client side of flow control: calls the listener with true when the client stops keeping up, false once it drained. */
export interface Downstream {
  setCongestionListener(listener: ((congested: boolean) => void) | undefined): void;
}

/** What an attempt runs on: time and the HTTP dispatcher are injected (tests drive both in-process). */
export interface AttemptEnv {
  clock: Clock;
  /** undici dispatcher for every upstream request; default: one keep-alive Agent per provider. */
  dispatcher?: Dispatcher;
  /** Where upstreams log their own events (UpstreamEnv.log); default: nowhere. */
  log?: UpstreamEnv['log'];
}

export const DEFAULT_ENV: AttemptEnv = { clock: systemClock };

export interface AttemptStats {
  status: number;
  /** ms from sending the request to the first upstream event (-1 if none). */
  firstEventMs: number;
  upstreamEvents: number;
}

/** Simulated streams split text into pieces of about this many characters (`streaming: simulate`). */
const SIMULATE_PIECE = 16;
/**
 * An answer is often complete (a terminal event, a whole JSON document) a moment before the upstream
 * ends its body: the chunked terminator follows in the same read or the next packet. Waiting for it
 * keeps the keep-alive connection for the next request; aborting at once cost a new TCP connection,
 * an undici error and a GatewayError stack per request (bench/RESULTS.md). An upstream that holds the
 * connection open after a complete answer is let go after this grace period.
 */
const RELEASE_GRACE_MS = 1000;

/** Where one attempt is in its life. */
type AttemptState =
  /** Building the request, or waiting for the provider's auth (a token fetch). */
  | { kind: 'preparing' }
  /** The HTTP exchange is under way; `paused` while the client is not keeping up. */
  | { kind: 'http'; flow: UpstreamFlow; paused: boolean }
  /** An in-process upstream is producing events. */
  | { kind: 'local'; run: LocalRun }
  /** A non-streaming upstream call whose answer will be re-streamed (`streaming: simulate`). */
  | { kind: 'simulating' }
  | { kind: 'settled' };

export function runStreamAttempt(
  target: ResolvedTarget,
  req: ChatRequest,
  hooks: AttemptHooks,
  signal: AbortSignal,
  env: AttemptEnv = DEFAULT_ENV,
): Promise<AttemptStats> {
  return new Promise<AttemptStats>((resolve, reject) => {
    const provider = target.provider;
    const stats: AttemptStats = hooks.stats ?? { status: 0, firstEventMs: -1, upstreamEvents: 0 };
    const local = new AbortController();
    let state: AttemptState = { kind: 'preparing' };
    /** The upstream's body ended (or there is none): nothing to release after success. */
    let bodyEnded = false;
    let releaseTimer: unknown;

    const settle = (err?: GatewayError): void => {
      if (state.kind === 'settled') return;
      const was = state;
      state = { kind: 'settled' };
      watch.stop();
      hooks.downstream?.setCongestionListener(undefined);
      // Read the rest (the body's end) so the connection goes back to the pool.
      if (was.kind === 'http' && was.paused) was.flow.resume();
      signal.removeEventListener('abort', onOuterAbort);
      stats.firstEventMs = watch.firstEventMs;
      if (err) {
        const named = clientSafe(err, provider);
        if (was.kind === 'local') was.run.cancel();
        if (!local.signal.aborted) local.abort(named);
        reject(named);
      } else {
        // Complete before the upstream ended its body: let it go if the end does not follow.
        if (!bodyEnded && !local.signal.aborted) releaseTimer = releaseAfterGrace(local, env.clock);
        resolve(stats);
      }
    };
    const onOuterAbort = (): void => {
      const reason = signal.reason instanceof GatewayError ? signal.reason : new GatewayError('internal', 'client closed the request');
      settle(reason);
    };

    const watch = new EventWatch(
      {
        firstByteMs: provider.streaming === 'simulate' ? provider.timeouts.totalMs : provider.timeouts.firstByteMs,
        idleMs: provider.timeouts.idleMs,
        totalMs: provider.timeouts.totalMs,
      },
      (err) => settle(err),
      env.clock,
    );
    if (signal.aborted) {
      onOuterAbort();
      return;
    }
    signal.addEventListener('abort', onOuterAbort, { once: true });

    const chain = createEventChain(req, {
      onEvent(ev) {
        if (state.kind === 'settled') return;
        hooks.onEvent(ev);
        if (ev.type === 'done') settle();
      },
      onError: settle,
    });
    const emit = (ev: StreamEvent): void => {
      if (state.kind === 'settled') return;
      watch.touch();
      stats.upstreamEvents++;
      chain(ev);
    };

    let upstream;
    try {
      upstream = upstreamOf(provider, env);
    } catch (err) {
      settle(asGatewayError(err));
      return;
    }
    if (upstream.kind === 'local') {
      bodyEnded = true;
      let run;
      try {
        run = upstream.start(req, target.model, emit, { paced: req.stream });
      } catch (err) {
        settle(asGatewayError(err));
        return;
      }
      if (state.kind === 'preparing') state = { kind: 'local', run };
      return;
    }

    const codec = upstream.codecFor(target.model);
    const ctx: DecodeContext = { provider: provider.name, endpoint: provider, request: req };

    if (provider.streaming === 'simulate') {
      bodyEnded = true;
      state = { kind: 'simulating' };
      fetchComplete(codec, upstream.auth, target, req, ctx, local.signal, env, undefined, hooks.headers).then(
        (resp) => responseToEvents(resp, emit, SIMULATE_PIECE),
        (err: unknown) => settle(asGatewayError(err)),
      );
      return;
    }

    let httpReq: UpstreamHttpRequest;
    const send = (): void => {
      if (state.kind === 'settled') return;
      const reader = createBodyReader(codec, ctx, {
        emit,
        fail: settle,
        responded(status) {
          stats.status = status;
          watch.responded();
        },
        onTap: hooks.onTap,
      });
      const flow = sendUpstream(
        httpReq,
        { provider: provider.name, connectTimeoutMs: provider.timeouts.connectMs, signal: local.signal, dispatcher: env.dispatcher },
        {
          onHead(h) {
            stats.status = h.status;
            reader.head(h);
          },
          onData(chunk) {
            if (state.kind !== 'settled') reader.data(chunk);
          },
          onEnd() {
            bodyEnded = true;
            if (releaseTimer !== undefined) env.clock.clearTimer(releaseTimer);
            if (state.kind !== 'settled') reader.end();
          },
          onError(err) {
            bodyEnded = true;
            if (releaseTimer !== undefined) env.clock.clearTimer(releaseTimer);
            if (state.kind === 'settled') return;
            if (stats.status !== 0 && err.code === 'upstream_unreachable') {
              settle(new GatewayError('stream_truncated', `upstream connection closed mid-response: ${err.message}`, { cause: err }));
            } else {
              settle(err);
            }
          },
        },
      );
      if (state.kind === 'preparing') state = { kind: 'http', flow, paused: false };
    };
    const auth = upstream.auth;
    const build = (prepared?: unknown): void => {
      if (state.kind === 'settled') return;
      try {
        httpReq = buildUpstreamRequest(codec, req, target, true, hooks.headers, prepared);
      } catch (err) {
        settle(asGatewayError(err));
        return;
      }
      authorize(auth, httpReq, local.signal, send, settle);
    };
    // The codec's own calls first (a cache resource), when it has any: their time counts against the
    // attempt's limits, which abort local.signal.
    let preparing: Promise<unknown> | undefined;
    try {
      preparing = prepareRequest(codec, req, target, auth, local.signal, env, hooks.headers);
    } catch (err) {
      settle(asGatewayError(err));
      return;
    }
    if (preparing === undefined) build();
    else preparing.then(build, (err: unknown) => settle(asGatewayError(err)));

    // A slow client: stop reading the upstream until it drained (TCP pushes back on the upstream),
    // and do not count that silence against the upstream's idle limit.
    hooks.downstream?.setCongestionListener((congested) => {
      if (state.kind !== 'http' || congested === state.paused) return;
      state.paused = congested;
      if (congested) {
        watch.pause();
        state.flow.pause();
      } else {
        state.flow.resume();
        watch.resume();
      }
    });
  });
}

/**
 * A complete answer from one target, for non-streaming clients: a non-streaming upstream call, or
 * (`streaming: always`, and in-process upstreams) a stream folded into a response.
 */
export async function runCompleteAttempt(
  target: ResolvedTarget,
  req: ChatRequest,
  signal: AbortSignal,
  env: AttemptEnv = DEFAULT_ENV,
  headers?: Record<string, string>,
): Promise<ChatResponse> {
  const provider = target.provider;
  const upstream = upstreamOf(provider, env);
  if (upstream.kind === 'local' || provider.streaming === 'always') {
    const collector = new ResponseCollector();
    await runStreamAttempt(target, req, { onEvent: collector.push, headers }, signal, env);
    return collector.result();
  }
  const codec = upstream.codecFor(target.model);
  const ctx: DecodeContext = { provider: provider.name, endpoint: provider, request: req };
  return withTimeLimits(provider, signal, env, (limited, onHead) =>
    fetchComplete(codec, upstream.auth, target, req, ctx, limited, env, onHead, headers),
  );
}

/**
 * The upstream's own token count for `req` (codec.countTokens), or undefined when the target's
 * dialect has none or its provider is in-process. Errors reject as GatewayErrors.
 */
export async function runCountAttempt(
  target: ResolvedTarget,
  req: ChatRequest,
  signal: AbortSignal,
  env: AttemptEnv = DEFAULT_ENV,
): Promise<number | undefined> {
  const provider = target.provider;
  const upstream = upstreamOf(provider, env);
  if (upstream.kind === 'local') return undefined;
  const codec = upstream.codecFor(target.model);
  const count = codec.countTokens;
  if (count === undefined) return undefined;
  const ctx: DecodeContext = { provider: provider.name, endpoint: provider, request: req };
  return withTimeLimits(provider, signal, env, async (limited, onHead) => {
    const httpReq = count.buildRequest(req, target.model, provider);
    await upstream.auth.apply(httpReq, limited);
    const { status, headers, text } = await exchange(httpReq, provider, limited, env, onHead);
    if (status < 200 || status >= 300) throw codec.decodeError(status, text, headers, ctx);
    try {
      return count.decodeResponse(JSON.parse(text));
    } catch (err) {
      throw new GatewayError('upstream_malformed', `upstream token count could not be read: ${(err as Error).message}`);
    }
  });
}

/** Whether a target's upstream can embed (UpstreamCodec.embeddings). */
export function canEmbed(target: ResolvedTarget, env: AttemptEnv = DEFAULT_ENV): boolean {
  const upstream = upstreamOf(target.provider, env);
  return upstream.kind === 'http' && upstream.codecFor(target.model).embeddings !== undefined;
}

/**
 * One embeddings attempt at one target (docs/embeddings.md): one upstream call, or — when the codec
 * caps the inputs per call (`embeddings.batching`) — several, a few at a time, joined in input order;
 * the first failure stops the others and fails the attempt. Errors reject as GatewayErrors naming the
 * provider.
 */
export async function runEmbeddingsAttempt(
  target: ResolvedTarget,
  req: EmbeddingsRequest,
  signal: AbortSignal,
  env: AttemptEnv = DEFAULT_ENV,
  headers?: Record<string, string>,
  stats?: AttemptStats,
): Promise<EmbeddingsResponse> {
  const provider = target.provider;
  const upstream = upstreamOf(provider, env);
  const codec = upstream.kind === 'http' ? upstream.codecFor(target.model) : undefined;
  const embeddings = codec?.embeddings;
  if (!codec || !embeddings || upstream.kind !== 'http') throw new GatewayError('unsupported', `provider ${provider.name} cannot embed`);
  const auth = upstream.auth;
  const limits = embeddings.batching?.(target.model);
  const parts = limits === undefined ? [req] : splitEmbeddings(req, limits);
  const started = env.clock.now();
  return withTimeLimits(provider, signal, env, async (limited, onHead) => {
    const head = (): void => {
      if (stats && stats.firstEventMs < 0) stats.firstEventMs = env.clock.now() - started;
      onHead();
    };
    const call = async (part: EmbeddingsRequest, callSignal: AbortSignal): Promise<EmbeddingsResponse> => {
      const httpReq = embeddings.buildRequest(part, target.model, provider);
      if (headers !== undefined) Object.assign(httpReq.headers, headers);
      await auth.apply(httpReq, callSignal);
      const answer = await exchange(httpReq, provider, callSignal, env, head);
      if (stats) stats.status = answer.status;
      if (answer.status < 200 || answer.status >= 300) {
        throw codec.decodeError(answer.status, answer.text, answer.headers, { provider: provider.name, endpoint: provider });
      }
      let json: unknown;
      try {
        json = JSON.parse(answer.text);
      } catch {
        throw new GatewayError('upstream_malformed', `upstream sent an embeddings answer that is not JSON: ${answer.text.slice(0, 120)}`);
      }
      return embeddings.decodeResponse(json, part, answer.headers);
    };
    if (parts.length === 1) return call(parts[0]!, limited);
    return joinEmbeddings(await callsInParallel(parts, limits?.concurrency ?? DEFAULT_EMBEDDING_CONCURRENCY, limited, call));
  });
}

/** Runs `work` under the provider's total limit, and first_byte until the response head (non-streaming). */
async function withTimeLimits<T>(
  provider: ProviderConfig,
  signal: AbortSignal,
  env: AttemptEnv,
  work: (signal: AbortSignal, onHead: () => void) => Promise<T>,
): Promise<T> {
  const local = new AbortController();
  const onAbort = (): void => local.abort(signal.reason);
  if (signal.aborted) local.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  const total = env.clock.setTimer(
    () => local.abort(new GatewayError('total_timeout', `upstream exceeded the total time limit of ${provider.timeouts.totalMs}ms`)),
    provider.timeouts.totalMs,
  );
  // Without streaming the first byte is the response head: first_byte bounds the wait for it.
  let firstByte: unknown = env.clock.setTimer(
    () =>
      local.abort(
        new GatewayError('first_byte_timeout', `upstream sent no response within the first_byte limit of ${provider.timeouts.firstByteMs}ms`),
      ),
    provider.timeouts.firstByteMs,
  );
  const onHead = (): void => {
    if (firstByte !== undefined) env.clock.clearTimer(firstByte);
    firstByte = undefined;
  };
  try {
    return await work(local.signal, onHead);
  } catch (err) {
    const e = local.signal.aborted && local.signal.reason instanceof GatewayError && !signal.aborted ? local.signal.reason : asGatewayError(err);
    throw clientSafe(e, provider);
  } finally {
    env.clock.clearTimer(total);
    if (firstByte !== undefined) env.clock.clearTimer(firstByte);
    signal.removeEventListener('abort', onAbort);
  }
}

/** Applies the provider's auth (sync or async), then `send`; an auth failure settles the attempt. */
function authorize(
  auth: OutboundAuth,
  req: UpstreamHttpRequest,
  signal: AbortSignal,
  send: () => void,
  fail: (err: GatewayError) => void,
): void {
  let pending: void | Promise<void>;
  try {
    pending = auth.apply(req, signal);
  } catch (err) {
    fail(asGatewayError(err));
    return;
  }
  if (pending === undefined) send();
  else pending.then(send, (err: unknown) => fail(asGatewayError(err)));
}

/** A non-streaming upstream call, tolerant of an upstream that streams anyway. */
async function fetchComplete(
  codec: UpstreamCodec,
  auth: OutboundAuth,
  target: ResolvedTarget,
  req: ChatRequest,
  ctx: DecodeContext,
  signal: AbortSignal,
  env: AttemptEnv,
  onResponseHead?: () => void,
  headers?: Record<string, string>,
): Promise<ChatResponse> {
  const prepared = await prepareRequest(codec, req, target, auth, signal, env, headers);
  const httpReq = buildUpstreamRequest(codec, { ...req, stream: false }, target, false, headers, prepared);
  await auth.apply(httpReq, signal);
  return new Promise<ChatResponse>((resolve, reject) => {
    const body = new BodySniffer(MAX_JSON_BODY);
    let head: UpstreamResponseHead | undefined;
    let overflow = false;
    let done = false;
    let releaseTimer: unknown;
    // Released when the answer is complete but the upstream does not end its body (RELEASE_GRACE_MS).
    const local = new AbortController();
    const onAbort = (): void => local.abort(signal.reason);
    if (signal.aborted) local.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
    const finishEarly = (resp: ChatResponse): void => {
      done = true;
      signal.removeEventListener('abort', onAbort);
      releaseTimer = releaseAfterGrace(local, env.clock);
      resolve(resp);
    };
    const handler: UpstreamBodyHandler = {
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
        if (releaseTimer !== undefined) env.clock.clearTimer(releaseTimer);
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
          if (body.sniff() === 'stream') resolve(collectStream(codec, body.take(), ctx));
          else resolve(decodeJsonBody(codec, status, body.text(), head?.headers ?? {}, ctx));
        } catch (err) {
          reject(asGatewayError(err));
        }
      },
      onError(err) {
        signal.removeEventListener('abort', onAbort);
        if (releaseTimer !== undefined) env.clock.clearTimer(releaseTimer);
        if (!done) reject(err);
      },
    };
    sendUpstream(
      httpReq,
      { provider: target.provider.name, connectTimeoutMs: target.provider.timeouts.connectMs, signal: local.signal, dispatcher: env.dispatcher },
      handler,
    );
  });
}

/** One small request and its whole (bounded) answer: status, headers, body text. */
function exchange(
  httpReq: UpstreamHttpRequest,
  provider: ProviderConfig,
  signal: AbortSignal,
  env: AttemptEnv,
  onHead: () => void,
): Promise<{ status: number; headers: UpstreamResponseHead['headers']; text: string }> {
  return new Promise((resolve, reject) => {
    const body = new BodySniffer(MAX_JSON_BODY);
    let head: UpstreamResponseHead = { status: 0, headers: {} };
    sendUpstream(
      httpReq,
      { provider: provider.name, connectTimeoutMs: provider.timeouts.connectMs, signal, dispatcher: env.dispatcher },
      {
        onHead(h) {
          head = h;
          onHead();
        },
        onData(chunk) {
          body.add(chunk);
        },
        onEnd() {
          if (body.size > MAX_JSON_BODY) reject(new GatewayError('upstream_malformed', 'upstream body exceeded the size limit'));
          else resolve({ status: head.status, headers: head.headers, text: body.text() });
        },
        onError: reject,
      },
    );
  });
}

/** Aborts the upstream request unless its body ends within RELEASE_GRACE_MS (the caller clears the timer then). */
function releaseAfterGrace(local: AbortController, clock: Clock): unknown {
  return clock.setTimer(() => {
    if (!local.signal.aborted) local.abort(new GatewayError('internal', 'response complete'));
  }, RELEASE_GRACE_MS);
}

/** Content only the client's own dialect can carry is refused by an upstream of another (400, not retried). */
function buildUpstreamRequest(
  codec: UpstreamCodec,
  req: ChatRequest,
  target: ResolvedTarget,
  stream: boolean,
  headers?: Record<string, string>,
  prepared?: unknown,
): UpstreamHttpRequest {
  checkPortable(codec, req, target);
  const built = codec.buildRequest(req, target.model, target.provider, stream, prepared);
  if (headers !== undefined) Object.assign(built.headers, headers);
  return built;
}

function checkPortable(codec: UpstreamCodec, req: ChatRequest, target: ResolvedTarget): void {
  if (req.nonPortable !== undefined && codec.name !== req.front) {
    throw new GatewayError('unsupported', `${req.nonPortable} (provider ${target.provider.name} speaks ${codec.name})`);
  }
}

/**
 * The codec's prepare step (core/protocol.ts), or undefined when it has none or nothing to do. Its
 * calls carry the request's extra headers, are signed by the provider's auth and bounded by `signal`
 * (the attempt's limits).
 */
function prepareRequest(
  codec: UpstreamCodec,
  req: ChatRequest,
  target: ResolvedTarget,
  auth: OutboundAuth,
  signal: AbortSignal,
  env: AttemptEnv,
  headers?: Record<string, string>,
): Promise<unknown> | undefined {
  if (codec.prepare === undefined) return undefined;
  // A request this upstream must refuse is refused before any call is made for it.
  checkPortable(codec, req, target);
  const provider = target.provider;
  const patience = new AbortController();
  const calls: UpstreamCalls = {
    signal,
    patience: patience.signal,
    async send(httpReq, callSignal = signal) {
      // The request's own extra headers (trace context) go on its calls too.
      if (headers !== undefined) Object.assign(httpReq.headers, headers);
      await auth.apply(httpReq, callSignal);
      return exchange(httpReq, provider, callSignal, env, noop);
    },
  };
  const pending = codec.prepare(req, target.model, provider, calls);
  if (pending === undefined) return undefined;
  const timer = env.clock.setTimer(() => patience.abort(new GatewayError('first_byte_timeout', 'optional upstream work gave up at half the first_byte limit')), provider.timeouts.firstByteMs / 2);
  return pending.finally(() => env.clock.clearTimer(timer));
}

const noop = (): void => {};
