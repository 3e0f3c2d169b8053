// The one place that wires the stages in order (STYLE.md):
//   client body -> front decode -> ChatRequest -> router -> attempt (upstream encode, transport,
//   SSE decode, upstream decode, normalize) -> commit gate -> front encode -> SSE responder -> client
// Before the commit point (the first content-bearing event, SPEC §4.4) a failure moves on to the
// next target invisibly; after it, the client gets a protocol-native error event and a clean end.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequest, ProtocolName } from '../core/request.ts';
import type { StreamEvent, Usage } from '../core/events.ts';
import { GatewayError } from '../core/errors.ts';
import { turnNow } from '../core/turn-clock.ts';
import type { FrontCodec, FrontContext } from '../core/protocol.ts';
import type { Config } from '../config/types.ts';
import type { Router, RoutePlan } from '../router/index.ts';
import { frontCodec } from '../protocols/index.ts';
import { SseResponder } from '../server/sse-responder.ts';
import { runCompleteAttempt, runStreamAttempt, type ResolvedTarget } from './attempt.ts';
import type { ChatResponse } from '../core/response.ts';
import { estimateUsage } from './usage.ts';
import { createCommitGate } from './commit-gate.ts';

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
  retries: number;
  failovers: number;
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
}

export interface ChatContext {
  requestId: string;
  keyName?: string;
  startedAt: number;
  /** Extra response headers (rate-limit info, request id). */
  headers: Record<string, string>;
  /**
   * Aborted when a drain runs out of time (server/drain.ts; reason: GatewayError 'shutdown'): the
   * request ends with that error in the client's dialect, an event if the stream is committed.
   */
  shutdown?: AbortSignal;
}

export class Pipeline {
  private readonly config: Config;
  private readonly router: Router;
  private readonly hooks: PipelineHooks;

  constructor(config: Config, router: Router, hooks: PipelineHooks = {}) {
    this.config = config;
    this.router = router;
    this.hooks = hooks;
  }

  /** Decodes the client's body. Throws GatewayError (400) with a message naming what is wrong. */
  decode(frontName: ProtocolName, body: Buffer, req: IncomingMessage): ChatRequest {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new GatewayError('invalid_request', `request body is not valid JSON: ${(err as Error).message}`);
    }
    return frontCodec(frontName).decodeRequest(json, req.headers);
  }

  plan(chat: ChatRequest): RoutePlan {
    return this.router.plan(chat.model);
  }

  /** Serves a decoded request (auth and limits already passed). Never throws. */
  async serve(chat: ChatRequest, plan: RoutePlan, res: ServerResponse, ctx: ChatContext): Promise<RequestRecord> {
    const front = frontCodec(chat.front);
    const fctx: FrontContext = {
      requestId: ctx.requestId,
      model: chat.model,
      created: Math.floor(Date.now() / 1000),
      includeUsage: chat.includeUsage,
      includeReasoning: chat.reasoning?.include === true,
    };
    const record: RequestRecord = {
      requestId: ctx.requestId,
      keyName: ctx.keyName,
      front: chat.front,
      model: chat.model,
      stream: chat.stream,
      attempts: 0,
      status: 0,
      endReason: 'completed',
      firstEventMs: -1,
      totalMs: 0,
      events: 0,
      retries: 0,
      failovers: 0,
    };
    try {
      if (chat.stream) await this.serveStream(chat, plan, front, fctx, res, ctx, record);
      else await this.serveComplete(chat, plan, front, fctx, res, ctx, record);
    } catch (err) {
      // A bug, not an upstream failure: answer if we still can, never crash the server.
      const e = err instanceof GatewayError ? err : new GatewayError('internal', `internal error: ${(err as Error)?.message}`);
      record.endReason = 'upstream_error';
      record.errorCode = e.code;
      if (!res.headersSent) sendError(res, front, e, ctx.headers);
      else if (!res.writableEnded) res.end();
    }
    record.totalMs = performance.now() - ctx.startedAt;
    if (!record.usage) record.usage = estimateUsage(chat, undefined);
    this.hooks.onRecord?.(record);
    return record;
  }

  private async serveStream(
    chat: ChatRequest,
    plan: RoutePlan,
    front: FrontCodec,
    fctx: FrontContext,
    res: ServerResponse,
    ctx: ChatContext,
    record: RequestRecord,
  ): Promise<void> {
    const responder = new SseResponder(res, this.config.server.keepaliveMs, ctx.headers);
    const encode = front.createStreamEncoder(fctx, responder);
    const abort = new AbortController();
    let clientGone = false;
    const onClose = (): void => {
      if (res.writableFinished) return;
      clientGone = true;
      responder.stop();
      abort.abort(new GatewayError('internal', 'client closed the connection'));
    };
    res.on('close', onClose);
    const stopShutdown = onShutdown(ctx.shutdown, abort);
    this.hooks.onStreamOpen?.();

    let lastClientEvent = 0;
    let outputChars = 0;
    let usage: Usage | undefined;
    const deliver = (ev: StreamEvent): void => {
      if (ev.type === 'usage') usage = ev.usage;
      else if (ev.type === 'text-delta' || ev.type === 'reasoning-delta') outputChars += ev.text.length;
      else if (ev.type === 'tool-args-delta') outputChars += ev.json.length;
      encode(ev);
      record.events++;
      // End in the same write as the terminal event.
      if (ev.type === 'done') responder.end();
      if (this.hooks.onClientEvent) {
        const now = turnNow();
        this.hooks.onClientEvent(lastClientEvent === 0 ? now - ctx.startedAt : now - lastClientEvent, lastClientEvent === 0, chat.front);
        lastClientEvent = now;
      }
      if (record.firstEventMs < 0) record.firstEventMs = turnNow() - ctx.startedAt;
    };
    // Events of the chosen upstream reach the client from the commit point on.
    const gate = createCommitGate(deliver);
    const onEvent = (ev: StreamEvent): void => {
      if (gate.committed) deliver(ev);
      else gate.push(ev);
    };

    try {
      const outcome = await this.walkPlan(
        plan,
        record,
        abort.signal,
        () => clientGone,
        async (target) => {
          gate.reset();
          const tap = this.hooks.tap && this.hooks.onTap ? this.tapper(ctx.requestId) : undefined;
          const stats = await runStreamAttempt(target, chat, { onEvent, onTap: tap, downstream: responder }, abort.signal);
          return stats.firstEventMs;
        },
        // After the commit point nothing is retried (SPEC §4.4).
        (error) => error.retryable && !gate.committed,
      );
      record.usage = usage ?? estimateUsage(chat, outputChars);
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
      const { error } = outcome;
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
        sendError(res, front, error, ctx.headers);
      }
    } finally {
      res.off('close', onClose);
      stopShutdown();
      this.hooks.onStreamClose?.();
    }
  }

  private async serveComplete(
    chat: ChatRequest,
    plan: RoutePlan,
    front: FrontCodec,
    fctx: FrontContext,
    res: ServerResponse,
    ctx: ChatContext,
    record: RequestRecord,
  ): Promise<void> {
    const abort = new AbortController();
    let clientGone = false;
    const onClose = (): void => {
      if (res.writableFinished) return;
      clientGone = true;
      abort.abort(new GatewayError('internal', 'client closed the connection'));
    };
    res.on('close', onClose);
    const stopShutdown = onShutdown(ctx.shutdown, abort);
    let resp: ChatResponse | undefined;
    try {
      const outcome = await this.walkPlan(
        plan,
        record,
        abort.signal,
        () => clientGone,
        async (target) => {
          const started = performance.now();
          resp = await runCompleteAttempt(target, chat, abort.signal);
          return performance.now() - started;
        },
        (error) => error.retryable,
      );
      if (outcome.kind === 'ok' && resp) {
        resp.usage ??= estimateUsage(chat, textLength(resp.blocks));
        const body = front.encodeResponse(resp, fctx);
        record.status = 200;
        record.usage = resp.usage;
        record.firstEventMs = performance.now() - ctx.startedAt;
        res.writeHead(200, { 'content-type': 'application/json', ...ctx.headers });
        res.end(body);
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
      sendError(res, front, error, ctx.headers);
    } finally {
      res.off('close', onClose);
      stopShutdown();
    }
  }

  /**
   * Walks a route plan (SPEC §4.6): one attempt per target until one succeeds, a failure may not be
   * retried, the plan is spent, or the client leaves. Owns the attempt accounting every path shares:
   * in-flight counts for the router, waits between attempts, retries and failovers, health reports.
   */
  private async walkPlan(
    plan: RoutePlan,
    record: RequestRecord,
    signal: AbortSignal,
    clientGone: () => boolean,
    attempt: (target: ResolvedTarget) => Promise<number>,
    mayRetry: (error: GatewayError) => boolean,
  ): Promise<{ kind: 'ok' } | { kind: 'client_gone' } | { kind: 'failed'; error: GatewayError }> {
    let lastError: GatewayError | undefined;
    let previous: ResolvedTarget | undefined;
    // In-flight accounting of the current attempt (least-busy, half-open probe slot); router/index.ts.
    let endAttempt: (() => void) | undefined;
    try {
      for (let target = plan.next(); target; target = plan.next()) {
        endAttempt?.();
        endAttempt = plan.begin?.(target);
        if (previous) {
          record.retries++;
          if (previous.key !== target.key) record.failovers++;
          await backoff(this.config, record.attempts, lastError, signal, plan.delayMs?.(target));
          if (clientGone()) return { kind: 'client_gone' };
        }
        previous = target;
        record.attempts++;
        record.target = target.key;
        record.provider = target.provider.name;
        try {
          const firstEventMs = await attempt(target);
          plan.report(target, { ok: true, firstEventMs });
          return { kind: 'ok' };
        } catch (err) {
          let error = err instanceof GatewayError ? err : new GatewayError('internal', String(err));
          if (clientGone()) return { kind: 'client_gone' };
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
    return { kind: 'failed', error: lastError ?? new GatewayError('no_targets', `no target of model "${record.model}" is available`) };
  }

  private tapper(requestId: string): (line: string) => void {
    let left = this.hooks.tap ?? 0;
    return (line) => {
      if (left-- > 0) this.hooks.onTap?.(requestId, line);
    };
  }
}

export function sendError(res: ServerResponse, front: FrontCodec, error: GatewayError, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.end();
    return;
  }
  const rendered = front.encodeError(error);
  res.writeHead(rendered.status, { 'content-type': 'application/json', ...headers, ...rendered.headers });
  res.end(rendered.body);
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
  planned?: number,
): Promise<void> {
  const base = config.retries.backoffMs * 2 ** Math.max(0, attempt - 1);
  let wait = planned ?? Math.min(config.retries.maxBackoffMs, base) * (0.5 + Math.random() / 2);
  if (planned === undefined && error?.retryAfterMs !== undefined) {
    wait = Math.max(wait, Math.min(error.retryAfterMs, config.retries.maxBackoffMs));
  }
  if (wait <= 0 || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, wait);
    function done(): void {
      clearTimeout(t);
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
