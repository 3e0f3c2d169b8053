// The one place that wires the stages in order (docs/style.md):
//   client body -> front decode -> ChatRequest -> router -> attempt (upstream encode, auth, transport,
//   framing, upstream decode, normalize) -> commit gate -> front encode -> client output
// It writes to a ClientOutput (gateway/output.ts), never to a socket, and takes its clock and HTTP
// dispatcher from an AttemptEnv, so tests can run it in-process.
// Before the commit point (the first content-bearing event, SPEC §4.4) a failure moves on to the
// next target invisibly; after it, the client gets a protocol-native error event and a clean end.

import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest, ProtocolName } from '../core/request.ts';
import type { FinishReason, StreamEvent, Usage } from '../core/events.ts';
import { GatewayError } from '../core/errors.ts';
import { turnNow } from '../core/turn-clock.ts';
import { SSE_DOWNSTREAM, type FrontCodec, type FrontContext, type FrontRequestInfo, type FrontServices, type TokenCount } from '../core/protocol.ts';
import type { Config } from '../config/types.ts';
import type { Router, RoutePlan } from '../router/index.ts';
import { frontCodec } from '../protocols/index.ts';
import { estimateEmbeddingTokens, type EmbeddingsRequest, type EmbeddingsResponse } from '../core/embeddings.ts';
import {
  DEFAULT_ENV,
  canEmbed,
  runEmbeddingsAttempt,
  runCompleteAttempt,
  runCountAttempt,
  runStreamAttempt,
  type AttemptEnv,
  type AttemptStats,
  type ResolvedTarget,
} from './attempt.ts';
import type { ClientOutput } from './output.ts';
import { responseToEvents, type ChatResponse } from '../core/response.ts';
import { countRequestTokens } from '../tokenize/index.ts';
import { estimateUsage } from './usage.ts';
import { createCommitGate } from './commit-gate.ts';
import { parseClientJson } from './client-json.ts';
import { Continuation, DeliveredText } from './continuation.ts';

export type EndReason =
  | 'completed'
  | 'client_abort'
  | 'upstream_error'
  | 'first_byte_timeout'
  | 'idle_timeout'
  | 'total_timeout'
  | 'shutdown'
  | 'rejected';

/** Everything known about a request when it ends: one log line, metrics, usage records. */
export interface RequestRecord {
  requestId: string;
  keyName?: string;
  front: ProtocolName;
  model: string;
  stream: boolean;
  target?: string;
  provider?: string;
  attempts: number;
  status: number;
  endReason: EndReason;
  errorCode?: string;
  /** ms from request arrival to the first event sent to the client (-1: none). */
  firstEventMs: number;
  totalMs: number;
  events: number;
  usage?: Usage;
  /** How the answer ended, as the upstream said (absent when it did not get that far). */
  finishReason?: FinishReason;
  /** The model name the upstream answered with, when it gave one. */
  responseModel?: string;
  /** USD, set by the pricing stage (server/services.ts) before the record is logged; absent: no price known. */
  costUsd?: number;
  retries: number;
  failovers: number;
  /** Times a stream broken after the commit point was handed to another target to continue (continue_on_failure). */
  continuations?: number;
}

/** A request's record before anything happened to it (every counter zero, no event yet). */
export function newRecord(requestId: string, keyName: string | undefined, front: ProtocolName, model: string, stream: boolean): RequestRecord {
  return { requestId, keyName, front, model, stream, attempts: 0, status: 0, endReason: 'completed', firstEventMs: -1, totalMs: 0, events: 0, retries: 0, failovers: 0 };
}

export interface PipelineHooks {
  /** Called once per request when it ends. */
  onRecord?(record: RequestRecord): void;
  /** Per upstream attempt outcome (metrics: upstream errors by kind). */
  onAttemptError?(target: ResolvedTarget, error: GatewayError): void;
  /** Raw upstream lines for --tap. */
  tap?: number;
  onTap?(requestId: string, line: string): void;
  /** Stream lifecycle for the active-streams gauge and gap histogram. */
  onStreamOpen?(): void;
  onStreamClose?(): void;
  onClientEvent?(gapMs: number, first: boolean, front: ProtocolName): void;
  /** A committed stream broke and is handed to the next target to continue (continue_on_failure). */
  onContinuation?(record: RequestRecord, cause: GatewayError, prefixChars: number): void;
  /**
   * A decoded request starts being served: an observer of its attempts and its end (tracing,
   * telemetry/), or undefined.
   */
  observe?(request: ObservedRequest, ctx: ChatContext): RequestObserver | undefined;
}

/** An embeddings request's route: the targets that can embed, and those of the model that cannot. */
export interface EmbeddingsPlan {
  plan: RoutePlan;
  skipped: readonly string[];
}

/** What is being served: a chat request or an embeddings request. */
export type ObservedRequest = { operation: 'chat'; chat: ChatRequest } | { operation: 'embeddings'; embeddings: EmbeddingsRequest };

/** Why an attempt after the first was made: the previous attempt's error, and whether the target changed. */
export interface AttemptInfo {
  /** 1 for the first attempt. */
  n: number;
  /** The error code of the previous attempt (absent on the first). */
  retryReason?: string;
  failover: boolean;
}

/** Per-request observation (telemetry/). Called per attempt and once at the end, never per event unless `event` is set. */
export interface RequestObserver {
  /** An upstream attempt starts; returns headers to add to its upstream request (trace context). */
  attemptStart(target: ResolvedTarget, info: AttemptInfo): Record<string, string> | undefined;
  /** The attempt ended: `error` absent on success; `stats` as far as it got; `clientGone` when the client left. */
  attemptEnd(target: ResolvedTarget, stats: AttemptStats, error?: GatewayError, clientGone?: boolean): void;
  /** Every event the client receives (content capture); absent: the event path does not call out. */
  event?: (ev: StreamEvent) => void;
  /** The request ended (after its last byte was written and the record was complete). */
  end(record: RequestRecord): void;
}
export interface ChatContext {
  requestId: string;
  keyName?: string;
  startedAt: number;
  /** Extra response headers (rate-limit info, request id). */
  headers: Record<string, string>;
  /** The route's variant (FrontRoute.variant), for the front's encoders. */
  variant?: string;
  services?: FrontServices;
  /**
   * The front that received the request and renders the answer. Usually chat.front; not when a front
   * accepts another dialect's body (Bedrock's invoke carries Anthropic Messages, and chat.front says
   * so, for that dialect's upstreams to pass it through).
   */
  front?: string;
  /**
   * Aborted when a drain runs out of time (server/drain.ts; reason: GatewayError 'shutdown'): the
   * request ends with that error in the client's dialect, an event if the stream is committed.
   */
  shutdown?: AbortSignal;
  /** The client's request headers (an incoming `traceparent` for tracing). */
  incoming?: IncomingHttpHeaders;
}

/** Counts tokens locally when no upstream can (a tokenizer; an estimate). */
/** Counts a request's input tokens without the upstream; `model` is the target's upstream model name when known. */
export type LocalCounter = (chat: ChatRequest, model?: string) => TokenCount | Promise<TokenCount>;

export class Pipeline {
  private readonly config: Config;
  private readonly router: Router;
  private readonly hooks: PipelineHooks;
  private readonly env: AttemptEnv;
  private readonly countLocally: LocalCounter;

  constructor(config: Config, router: Router, hooks: PipelineHooks = {}, env: AttemptEnv = DEFAULT_ENV, countLocally: LocalCounter = tokenizerCount) {
    this.config = config;
    this.router = router;
    this.hooks = hooks;
    this.env = env;
    this.countLocally = countLocally;
  }

  /** Decodes the client's body. Throws (or rejects with) GatewayError (400) with a message naming what is wrong. */
  decode(frontName: ProtocolName, body: Buffer, info: FrontRequestInfo, services: FrontServices): ChatRequest | Promise<ChatRequest> {
    return frontCodec(frontName).decodeRequest(parseClientJson(body, info.headers['content-type']), info, services);
  }

  /** Decodes an embeddings body (FrontCodec.embeddings). Throws GatewayError (400, or 404 for a front without embeddings). */
  decodeEmbeddings(frontName: ProtocolName, body: Buffer, info: FrontRequestInfo): EmbeddingsRequest {
    const front = frontCodec(frontName);
    if (!front.embeddings) throw new GatewayError('not_found', `${frontName} has no embeddings endpoint`);
    return front.embeddings.decodeRequest(parseClientJson(body, info.headers['content-type']), info);
  }

  plan(request: { model: string }): RoutePlan {
    return this.router.plan(request.model);
  }

  /**
   * The plan of an embeddings request: the model's targets whose upstream can embed, in the
   * strategy's order; the others (`skipped`) are left out, so they spend none of the retries.
   */
  planEmbeddings(request: { model: string }): EmbeddingsPlan {
    const skipped: string[] = [];
    const plan = this.router.plan(request.model, (target) => {
      if (canEmbed(target, this.env)) return true;
      skipped.push(target.key);
      return false;
    });
    return { plan, skipped };
  }

  /** Serves a decoded request (auth and limits already passed). Never throws. */
  async serve(chat: ChatRequest, plan: RoutePlan, out: ClientOutput, ctx: ChatContext): Promise<RequestRecord> {
    const front = frontCodec(ctx.front ?? chat.front);
    const fctx = frontContext(chat, ctx);
    const record = newRecord(ctx.requestId, ctx.keyName, front.name, chat.model, chat.stream);
    const observer = this.hooks.observe?.({ operation: 'chat', chat }, ctx);
    try {
      if (chat.stream) await this.serveStream(chat, plan, front, fctx, out, ctx, record, observer);
      else await this.serveComplete(chat, plan, front, fctx, out, ctx, record, observer);
    } catch (err) {
      // A bug, not an upstream failure: answer if we still can, never crash the server.
      const e = err instanceof GatewayError ? err : new GatewayError('internal', `internal error: ${(err as Error)?.message}`);
      record.endReason = 'upstream_error';
      record.errorCode = e.code;
      sendError(out, front, e, ctx.headers, ctx.variant);
    }
    record.totalMs = performance.now() - ctx.startedAt;
    if (!record.usage) record.usage = estimateUsage(chat, undefined);
    this.hooks.onRecord?.(record);
    observer?.end(record);
    return record;
  }

  private async serveStream(
    chat: ChatRequest,
    plan: RoutePlan,
    front: FrontCodec,
    fctx: FrontContext,
    out: ClientOutput,
    ctx: ChatContext,
    record: RequestRecord,
    observer: RequestObserver | undefined,
  ): Promise<void> {
    const responder = out.openStream(front.streamFraming?.(fctx) ?? SSE_DOWNSTREAM, this.config.server.keepaliveMs, ctx.headers);
    // The response headers go out at the commit point or at this moment, whichever comes first.
    const headersDue = this.env.clock.now() + this.config.server.keepaliveMs;
    const encode = front.createStreamEncoder(fctx, responder);
    const abort = new AbortController();
    let clientGone = false;
    const offClose = out.onClose(() => {
      clientGone = true;
      responder.stop();
      abort.abort(new GatewayError('internal', 'client closed the connection'));
    });
    const stopShutdown = onShutdown(ctx.shutdown, abort);
    this.hooks.onStreamOpen?.();

    let lastClientEvent = 0;
    let outputChars = 0;
    let usage: Usage | undefined;
    const tapEvent = observer?.event;
    const deliver = (ev: StreamEvent): void => {
      switch (ev.type) {
        case 'text-delta':
        case 'reasoning-delta':
          outputChars += ev.text.length;
          break;
        case 'tool-args-delta':
          outputChars += ev.json.length;
          break;
        case 'usage':
          usage = ev.usage;
          break;
        case 'message-start':
          record.responseModel = ev.model;
          // The input count an upstream reports up front (Anthropic message_start) stays true even
          // if the stream is cut before its final usage.
          if (ev.usage) usage ??= ev.usage;
          break;
        case 'finish':
          record.finishReason = ev.reason;
          break;
      }
      if (tapEvent !== undefined) tapEvent(ev);
      encode(ev);
      record.events++;
      // End in the same write as the terminal event.
      if (ev.type === 'done') responder.end();
      if (this.hooks.onClientEvent) {
        const now = turnNow();
        this.hooks.onClientEvent(lastClientEvent === 0 ? now - ctx.startedAt : now - lastClientEvent, lastClientEvent === 0, front.name);
        lastClientEvent = now;
      }
      if (record.firstEventMs < 0) record.firstEventMs = turnNow() - ctx.startedAt;
      delivered?.observe(ev);
    };
    // Events of the chosen upstream reach the client from the commit point on.
    const gate = createCommitGate(deliver);
    const onEvent = (ev: StreamEvent): void => {
      if (gate.committed) deliver(ev);
      else gate.push(ev);
    };
    // continue_on_failure (gateway/continuation.ts): what the client got, and the continuation once
    // the committed stream broke.
    const delivered = plan.continueOnFailure && chat.nonPortable === undefined ? new DeliveredText() : undefined;
    let continuation: Continuation | undefined;
    const splice = (ev: StreamEvent): void => continuation!.splice(ev, deliver);
    /** After the commit point: whether the failure hands the answer to the next target to continue. */
    const continueAfter = (error: GatewayError): boolean => {
      if (!delivered) return false;
      // The continuing target failed before it sent anything: another one may continue instead.
      if (continuation && !continuation.produced) return error.retryable || error.code === 'unsupported';
      if (!error.retryable || !delivered.continuable()) return false;
      if (continuation) continuation.next(error);
      else continuation = new Continuation(chat, delivered, error);
      record.continuations = (record.continuations ?? 0) + 1;
      this.hooks.onContinuation?.(record, error, delivered.prefix().length);
      return true;
    };

    try {
      const outcome = await this.walkPlan(
        plan,
        record,
        abort.signal,
        () => clientGone,
        async (target, stats, headers) => {
          const tap = this.hooks.tap && this.hooks.onTap ? this.tapper(ctx.requestId) : undefined;
          if (continuation) {
            await runStreamAttempt(target, continuation.request, { onEvent: splice, onTap: tap, downstream: responder, stats, headers }, abort.signal, this.env);
            return stats.firstEventMs;
          }
          gate.reset();
          await runStreamAttempt(target, chat, { onEvent, onTap: tap, downstream: responder, stats, headers }, abort.signal, this.env);
          return stats.firstEventMs;
        },
        // After the commit point nothing is retried (SPEC §4.4), unless the model continues a broken stream.
        (error) => (gate.committed ? continueAfter(error) : error.retryable),
        observer,
        // Until the headers are out, a wait must end before they have to go (honest 429s, below).
        () => (gate.committed || responder.headersSent ? undefined : headersDue - this.env.clock.now()),
      );
      record.usage = outcome.kind === 'ok' ? (usage ?? estimateUsage(chat, outputChars)) : partialUsage(chat, usage, outputChars);
      if (outcome.kind === 'ok') {
        record.status = 200;
        record.endReason = 'completed';
        responder.end();
        return;
      }
      if (outcome.kind === 'client_gone') {
        record.endReason = 'client_abort';
        record.status = 499;
        return;
      }
      // No target could take over: the client learns what broke its stream, not why a continuation failed.
      const error = continuation && !continuation.produced && outcome.error.code !== 'shutdown' ? continuation.cause : outcome.error;
      record.endReason = endReasonFor(error);
      record.errorCode = error.code;
      if (gate.committed || responder.headersSent) {
        // After the commit point, or once keepalives committed a 200, the error can only be an
        // event in the client's dialect, then a clean end (SPEC §4.2).
        record.status = 200;
        deliver({ type: 'error', error });
        responder.end();
      } else {
        record.status = error.status;
        responder.stop();
        sendError(out, front, error, ctx.headers, ctx.variant);
      }
    } finally {
      offClose();
      stopShutdown();
      this.hooks.onStreamClose?.();
    }
  }

  private async serveComplete(
    chat: ChatRequest,
    plan: RoutePlan,
    front: FrontCodec,
    fctx: FrontContext,
    out: ClientOutput,
    ctx: ChatContext,
    record: RequestRecord,
    observer: RequestObserver | undefined,
  ): Promise<void> {
    const abort = new AbortController();
    let clientGone = false;
    const offClose = out.onClose(() => {
      clientGone = true;
      abort.abort(new GatewayError('internal', 'client closed the connection'));
    });
    const stopShutdown = onShutdown(ctx.shutdown, abort);
    let resp: ChatResponse | undefined;
    try {
      const outcome = await this.walkPlan(
        plan,
        record,
        abort.signal,
        () => clientGone,
        async (target, stats, headers) => {
          const started = performance.now();
          resp = await runCompleteAttempt(target, chat, abort.signal, this.env, headers);
          stats.status = 200;
          stats.firstEventMs = performance.now() - started;
          return stats.firstEventMs;
        },
        (error) => error.retryable,
        observer,
      );
      if (outcome.kind === 'ok' && resp) {
        resp.usage ??= estimateUsage(chat, textLength(resp.blocks));
        record.finishReason = resp.finishReason;
        record.responseModel = resp.model;
        if (observer?.event) responseToEvents(resp, observer.event, 0);
        const body = front.encodeResponse(resp, fctx);
        record.status = 200;
        record.usage = resp.usage;
        record.firstEventMs = performance.now() - ctx.startedAt;
        out.sendJson(200, ctx.headers, body);
        return;
      }
      if (outcome.kind === 'client_gone') {
        record.endReason = 'client_abort';
        record.status = 499;
        return;
      }
      const error = outcome.kind === 'failed' ? outcome.error : new GatewayError('internal', 'attempt produced no response');
      record.endReason = endReasonFor(error);
      record.errorCode = error.code;
      record.status = error.status;
      sendError(out, front, error, ctx.headers, ctx.variant);
    } finally {
      offClose();
      stopShutdown();
    }
  }

  /**
   * A count-tokens request (FrontRoute op 'count-tokens'): the first target whose dialect can count
   * asks its upstream (the exact number, SPEC §3); when none can, or it fails, the local counter
   * answers, marked as an estimate. Never a made-up constant. Answers in the front's shape.
   */
  async count(chat: ChatRequest, plan: RoutePlan, out: ClientOutput, ctx: ChatContext): Promise<TokenCount> {
    const front = frontCodec(ctx.front ?? chat.front);
    const abort = new AbortController();
    const offClose = out.onClose(() => abort.abort(new GatewayError('internal', 'client closed the connection')));
    let count: TokenCount | undefined;
    try {
      const target = plan.next();
      if (target) {
        try {
          const n = await runCountAttempt(target, chat, abort.signal, this.env);
          if (n !== undefined) count = { inputTokens: n, estimated: false };
        } catch (err) {
          // The count is advisory (Claude Code uses it to decide when to compact): an upstream that
          // cannot count this request falls back to the local count rather than failing the client.
          this.hooks.onAttemptError?.(target, err instanceof GatewayError ? err : new GatewayError('internal', String(err)));
        }
      }
      count ??= await this.countLocally(chat, target?.model);
      if (!front.encodeCount) throw new GatewayError('not_found', `${front.name} has no token count endpoint`);
      // A local count is an estimate of what the upstream will bill (docs/token-counting.md).
      const headers = count.estimated ? { ...ctx.headers, 'x-sluice-token-count': 'estimated' } : ctx.headers;
      out.sendJson(200, headers, front.encodeCount(count, frontContext(chat, ctx)));
      return count;
    } finally {
      offClose();
    }
  }

  /**
   * An embeddings request (FrontRoute op 'embeddings', docs/embeddings.md): routed like a
   * non-streaming chat request — the same plan, retries, failover and health — over the targets
   * whose codec can embed (the others are skipped). Never throws.
   */
  async embed(req: EmbeddingsRequest, { plan, skipped }: EmbeddingsPlan, out: ClientOutput, ctx: ChatContext): Promise<RequestRecord> {
    const front = frontCodec(req.front);
    const record = newRecord(ctx.requestId, ctx.keyName, req.front, req.model, false);
    const observer = this.hooks.observe?.({ operation: 'embeddings', embeddings: req }, ctx);
    const abort = new AbortController();
    let clientGone = false;
    const offClose = out.onClose(() => {
      clientGone = true;
      abort.abort(new GatewayError('internal', 'client closed the connection'));
    });
    let resp: EmbeddingsResponse | undefined;
    try {
      const outcome = await this.walkPlan(
        plan,
        record,
        abort.signal,
        () => clientGone,
        async (target, stats, headers) => {
          resp = await runEmbeddingsAttempt(target, req, abort.signal, this.env, headers, stats);
          return stats.firstEventMs;
        },
        (error) => error.retryable,
        observer,
      );
      if (outcome.kind === 'ok' && resp && front.embeddings) {
        const inputTokens = resp.inputTokens ?? estimateEmbeddingTokens(req.input);
        record.usage = { inputTokens, outputTokens: 0, ...(resp.inputTokens === undefined ? { estimated: true } : {}) };
        record.responseModel = resp.model;
        record.status = 200;
        out.sendJson(200, ctx.headers, front.embeddings.encodeResponse(resp, req, { inputTokens }));
        record.firstEventMs = performance.now() - ctx.startedAt;
      } else if (outcome.kind === 'client_gone') {
        record.endReason = 'client_abort';
        record.status = 499;
      } else {
        let error = outcome.kind === 'failed' ? outcome.error : new GatewayError('internal', `${req.front} cannot answer embeddings`);
        if (record.attempts === 0 && skipped.length > 0) {
          error = new GatewayError('unsupported', `model "${req.model}" has no target that can embed (${skipped.join(', ')} cannot)`, { param: 'model' });
        }
        record.endReason = endReasonFor(error);
        record.errorCode = error.code;
        record.status = error.status;
        sendError(out, front, error, ctx.headers, ctx.variant);
      }
    } catch (err) {
      const e = err instanceof GatewayError ? err : new GatewayError('internal', `internal error: ${(err as Error)?.message}`);
      record.endReason = 'upstream_error';
      record.errorCode = e.code;
      sendError(out, front, e, ctx.headers, ctx.variant);
    } finally {
      offClose();
    }
    record.totalMs = performance.now() - ctx.startedAt;
    record.usage ??= { inputTokens: estimateEmbeddingTokens(req.input), outputTokens: 0, estimated: true };
    this.hooks.onRecord?.(record);
    observer?.end(record);
    return record;
  }

  /**
   * Walks a route plan (SPEC §4.6): one attempt per target until one succeeds, a failure may not be
   * retried, the plan is spent, or the client leaves. Owns the attempt accounting every path shares:
   * in-flight counts for the router, waits between attempts, retries and failovers, health reports.
   *
   * Honest 429s (SPEC §4.6): `waitLeftMs` says how long a wait may last before the response headers
   * must go out (a stream whose headers are not yet sent). When every target left is cooling down
   * after a retry-after past that point, the walk ends at once with the last error (its status) and
   * the shortest retry-after, so the client gets a 429 (503, 529) it can act on rather than a 200
   * whose stream then carries the error. When the plan is spent, the retry-after passed on is also
   * the shortest any target asked for.
   */
  private async walkPlan(
    plan: RoutePlan,
    record: RequestRecord,
    signal: AbortSignal,
    clientGone: () => boolean,
    attempt: (target: ResolvedTarget, stats: AttemptStats, headers: Record<string, string> | undefined) => Promise<number>,
    mayRetry: (error: GatewayError) => boolean,
    observer?: RequestObserver,
    waitLeftMs?: () => number | undefined,
  ): Promise<{ kind: 'ok' } | { kind: 'client_gone' } | { kind: 'failed'; error: GatewayError }> {
    let lastError: GatewayError | undefined;
    let previous: ResolvedTarget | undefined;
    // In-flight accounting of the current attempt (least-busy, half-open probe slot); router/index.ts.
    let endAttempt: (() => void) | undefined;
    try {
      for (let target = plan.next(); target; target = plan.next()) {
        endAttempt?.();
        endAttempt = plan.begin?.(target);
        if (previous && lastError?.retryAfterMs !== undefined) {
          const left = waitLeftMs?.();
          const cooling = plan.coolingMs?.() ?? 0;
          if (left !== undefined && cooling > 0 && cooling > left) return { kind: 'failed', error: soonest(lastError, cooling, record.model) };
        }
        if (previous) {
          record.retries++;
          if (previous.key !== target.key) record.failovers++;
          await backoff(this.config, record.attempts, lastError, signal, this.env, plan.delayMs?.(target));
          if (clientGone()) return { kind: 'client_gone' };
        }
        const failover = previous !== undefined && previous.key !== target.key;
        previous = target;
        record.attempts++;
        record.target = target.key;
        record.provider = target.provider.name;
        const stats: AttemptStats = { status: 0, firstEventMs: -1, upstreamEvents: 0 };
        const headers = observer?.attemptStart(target, { n: record.attempts, retryReason: lastError?.code, failover });
        try {
          const firstEventMs = await attempt(target, stats, headers);
          observer?.attemptEnd(target, stats);
          plan.report(target, { ok: true, firstEventMs });
          return { kind: 'ok' };
        } catch (err) {
          let error = err instanceof GatewayError ? err : new GatewayError('internal', String(err));
          const gone = clientGone();
          observer?.attemptEnd(target, stats, error, gone);
          if (gone) return { kind: 'client_gone' };
          // The gateway is stopping: not the target's fault, and nothing more is tried.
          if (signal.aborted && signal.reason instanceof GatewayError && signal.reason.code === 'shutdown') {
            error = signal.reason;
            lastError = error;
            break;
          }
          plan.report(target, { ok: false, error });
          this.hooks.onAttemptError?.(target, error);
          lastError = error;
          if (!mayRetry(error)) break;
        }
      }
    } finally {
      endAttempt?.();
    }
    if (lastError?.retryAfterMs !== undefined) {
      const cooling = plan.coolingMs?.() ?? 0;
      if (cooling > 0 && cooling < lastError.retryAfterMs) lastError = soonest(lastError, cooling, record.model);
    }
    return { kind: 'failed', error: lastError ?? new GatewayError('no_targets', `no target of model "${record.model}" is available`) };
  }

  private tapper(requestId: string): (line: string) => void {
    let left = this.hooks.tap ?? 0;
    return (line) => {
      if (left-- > 0) this.hooks.onTap?.(requestId, line);
    };
  }
}

export function sendError(out: ClientOutput, front: FrontCodec, error: GatewayError, headers: Record<string, string>, variant?: string): void {
  if (out.headersSent) {
    out.end();
    return;
  }
  const rendered = front.encodeError(error, { variant, requestId: headers['x-request-id'] });
  out.sendJson(rendered.status, { ...headers, ...rendered.headers }, rendered.body);
}

/**
 * Usage of a stream that did not complete (abandoned, failed, cut): what the upstream reported so far
 * (its input count is exact), with the output raised to what was actually sent when the last report
 * is behind it (marked estimated). SPEC §4.4: an abandoned stream is recorded with what was generated.
 */
function partialUsage(chat: ChatRequest, reported: Usage | undefined, outputChars: number): Usage {
  const estimate = estimateUsage(chat, outputChars);
  if (reported === undefined) return estimate;
  if (reported.outputTokens >= estimate.outputTokens) return reported;
  return { ...reported, outputTokens: estimate.outputTokens, estimated: true };
}

function frontContext(chat: ChatRequest, ctx: ChatContext): FrontContext {
  return {
    requestId: ctx.requestId,
    model: chat.model,
    created: Math.floor(Date.now() / 1000),
    includeUsage: chat.includeUsage,
    includeReasoning: chat.reasoning?.include === true,
    variant: ctx.variant,
    chat,
    services: ctx.services,
  };
}

/** The default local counter: a real tokenizer chosen by the model family (src/tokenize/). */
async function tokenizerCount(chat: ChatRequest, model?: string): Promise<TokenCount> {
  const { inputTokens } = await countRequestTokens(chat, model ?? chat.model);
  return { inputTokens, estimated: true };
}

function endReasonFor(error: GatewayError): EndReason {
  switch (error.code) {
    case 'first_byte_timeout':
    case 'idle_timeout':
    case 'total_timeout':
    case 'shutdown':
      return error.code;
    default:
      return 'upstream_error';
  }
}

/** The last error, asking the client to come back when the soonest target will take calls again. */
function soonest(error: GatewayError, coolingMs: number, model: string): GatewayError {
  const seconds = Math.max(1, Math.ceil(coolingMs / 1000));
  return error.withRetryAfter(coolingMs, `every target of model "${model}" asked to wait; the soonest is free in ${seconds}s`);
}

/** Ties the request's abort to the drain's shutdown signal; returns the undo. */
function onShutdown(shutdown: AbortSignal | undefined, abort: AbortController): () => void {
  if (!shutdown) return noop;
  const stop = (): void => abort.abort(shutdown.reason);
  if (shutdown.aborted) {
    stop();
    return noop;
  }
  shutdown.addEventListener('abort', stop, { once: true });
  return () => shutdown.removeEventListener('abort', stop);
}

const noop = (): void => {};

/**
 * Waits before a retry. `planned` is the plan's delay (router/retry.ts: backoff with jitter for the
 * same target, retry-after honoured, bounded by the request's deadline); a plan without one gets
 * exponential backoff with jitter, an upstream's retry-after winning when it asks for longer.
 */
async function backoff(
  config: Config,
  attempt: number,
  error: GatewayError | undefined,
  signal: AbortSignal,
  env: AttemptEnv,
  planned?: number,
): Promise<void> {
  const base = config.retries.backoffMs * 2 ** Math.max(0, attempt - 1);
  let wait = planned ?? Math.min(config.retries.maxBackoffMs, base) * (0.5 + Math.random() / 2);
  if (planned === undefined && error?.retryAfterMs !== undefined) {
    wait = Math.max(wait, Math.min(error.retryAfterMs, config.retries.maxBackoffMs));
  }
  if (wait <= 0 || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const t = env.clock.setTimer(done, wait);
    function done(): void {
      env.clock.clearTimer(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function textLength(blocks: import('../core/response.ts').ResponseBlock[]): number {
  let n = 0;
  for (const b of blocks) {
    if (b.kind === 'text' || b.kind === 'reasoning') n += b.text.length;
    else if (b.kind === 'tool-call') n += b.arguments.length;
  }
  return n;
}
