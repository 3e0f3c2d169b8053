// One trace per request (SPEC §12, docs/telemetry.md): a SERVER span for the request, continuing the
// client's `traceparent`, and a CLIENT child span per upstream attempt, whose context is sent
// upstream as `traceparent`. Spans are started when the request and each attempt start, with
// attributes set then and at their end; nothing here runs per event unless content capture is on.

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator, millisToHrTime } from '@opentelemetry/core';
import type { HrTime } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import type { StreamEvent } from '../core/events.ts';
import type { GatewayError } from '../core/errors.ts';
import type { ResponseBlock } from '../core/response.ts';
import type { AttemptStats, ResolvedTarget } from '../gateway/attempt.ts';
import type { AttemptInfo, ChatContext, ObservedRequest, RequestObserver, RequestRecord } from '../gateway/pipeline.ts';
import { inputMessages, outputMessages } from './content.ts';
import { GEN_AI, GENERAL, SLUICE, finishReasonName, providerName } from './genai.ts';

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  get(carrier: IncomingHttpHeaders, key: string): string | string[] | undefined {
    return carrier[key];
  },
  keys(carrier: IncomingHttpHeaders): string[] {
    return Object.keys(carrier);
  },
};

// Attributes are few and set once (bench/tracing.ts: tracing costs CPU per request, never per
// event): defaults are left out — an attempt number of 1, a completed attempt's end reason, zero
// retries or failovers — since their absence says the same.

/** Ends that are failures of the gateway or its upstreams (span status ERROR); a client leaving is not. */
const FAILED_ENDS = new Set(['upstream_error', 'first_byte_timeout', 'idle_timeout', 'total_timeout']);

export interface TraceOptions {
  content: boolean;
}

export class RequestTrace implements RequestObserver {
  private readonly tracer: Tracer;
  private readonly span: Span;
  private readonly startedAt: number;
  private readonly operation: string;
  /** The request span as a parent context, made once for every attempt. */
  private readonly parentOfAttempts;
  private attempt: Span | undefined;
  /** gen_ai.provider.name of the latest attempt: the request span carries the answering one's. */
  private provider: string | undefined;
  private readonly output?: OutputFold;
  readonly event?: (ev: StreamEvent) => void;

  constructor(tracer: Tracer, request: ObservedRequest, ctx: ChatContext, opts: TraceOptions) {
    this.tracer = tracer;
    this.startedAt = ctx.startedAt;
    this.operation = request.operation;
    const parent = ctx.incoming?.traceparent !== undefined ? propagator.extract(ROOT_CONTEXT, ctx.incoming, headerGetter) : ROOT_CONTEXT;
    const model = request.operation === 'chat' ? request.chat.model : request.embeddings.model;
    const attributes: Attributes = {
      [GEN_AI.operationName]: request.operation,
      [GEN_AI.requestModel]: model,
      [SLUICE.requestId]: ctx.requestId,
    };
    if (ctx.keyName !== undefined) attributes[SLUICE.keyName] = ctx.keyName;
    if (request.operation === 'chat') {
      const chat = request.chat;
      attributes[SLUICE.front] = chat.front;
      attributes[GEN_AI.requestStream] = chat.stream;
      if (chat.maxTokens !== undefined) attributes[GEN_AI.requestMaxTokens] = chat.maxTokens;
      if (chat.temperature !== undefined) attributes[GEN_AI.requestTemperature] = chat.temperature;
      if (chat.topP !== undefined) attributes[GEN_AI.requestTopP] = chat.topP;
      if (opts.content) {
        const input = inputMessages(chat);
        attributes[GEN_AI.inputMessages] = input.messages;
        if (input.system !== undefined) attributes[GEN_AI.systemInstructions] = input.system;
        this.output = new OutputFold();
        this.event = this.output.push;
      }
    } else {
      const e = request.embeddings;
      attributes[SLUICE.front] = e.front;
      attributes[GEN_AI.requestEncodingFormats] = [e.encodingFormat];
      if (e.dimensions !== undefined) attributes[GEN_AI.embeddingsDimensionCount] = e.dimensions;
      if (opts.content && e.input.kind === 'text') attributes[GEN_AI.inputMessages] = JSON.stringify(e.input.texts);
    }
    this.span = tracer.startSpan(`${request.operation} ${model}`, { kind: SpanKind.SERVER, startTime: hrTime(ctx.startedAt), attributes }, parent);
    this.parentOfAttempts = trace.setSpan(ROOT_CONTEXT, this.span);
  }

  attemptStart(target: ResolvedTarget, info: AttemptInfo): Record<string, string> {
    const attributes: Attributes = {
      [GEN_AI.operationName]: this.operation,
      [GEN_AI.providerName]: (this.provider = providerName(target.provider.type)),
      [GEN_AI.requestModel]: target.model,
      [SLUICE.target]: target.key,
    };
    if (info.n > 1) attributes[SLUICE.attempt] = info.n;
    if (info.retryReason !== undefined) {
      attributes[SLUICE.retryReason] = info.retryReason;
      attributes[SLUICE.failover] = info.failover;
    }
    const host = hostOf(target.provider.baseUrl);
    if (host !== undefined) attributes[GENERAL.serverAddress] = host;
    // Every time on one clock (performance.now()), converted here once (hrTime): the SDK's default is
    // Date.now(), and it anchors a number per span against Date.now() again, so two spans' times
    // could disagree by a millisecond and put an attempt's start before the previous attempt's end.
    const span = this.tracer.startSpan(
      `${this.operation} ${target.model}`,
      { kind: SpanKind.CLIENT, attributes, startTime: hrTime(performance.now()) },
      this.parentOfAttempts,
    );
    this.attempt = span;
    // W3C Trace Context, version 00: the attempt span is the upstream's parent.
    const sc = span.spanContext();
    const headers: Record<string, string> = { traceparent: `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}` };
    const state = sc.traceState?.serialize();
    if (state) headers.tracestate = state;
    return headers;
  }

  attemptEnd(_target: ResolvedTarget, stats: AttemptStats, error?: GatewayError, clientGone?: boolean): void {
    const span = this.attempt;
    if (!span) return;
    this.attempt = undefined;
    const status = stats.status > 0 ? stats.status : error?.upstreamStatus;
    if (status !== undefined) span.setAttribute(GENERAL.httpResponseStatusCode, status);
    if (stats.firstEventMs >= 0) span.setAttribute(GEN_AI.responseTimeToFirstChunk, stats.firstEventMs / 1000);
    if (clientGone) span.setAttribute(SLUICE.endReason, 'client_abort');
    else if (error) {
      span.setAttribute(GENERAL.errorType, error.code);
      span.setAttribute(SLUICE.endReason, endReasonOf(error.code));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end(hrTime(performance.now()));
  }

  end(r: RequestRecord): void {
    const span = this.span;
    const attributes: Attributes = {
      [SLUICE.endReason]: r.endReason,
      [GENERAL.httpResponseStatusCode]: r.status,
    };
    if (r.attempts > 1) {
      attributes[SLUICE.attempts] = r.attempts;
      if (r.failovers > 0) attributes[SLUICE.failovers] = r.failovers;
    }
    if (r.target !== undefined) attributes[SLUICE.target] = r.target;
    if (r.provider !== undefined && r.target !== undefined) {
      const model = r.target.slice(r.provider.length + 1);
      attributes[GEN_AI.responseModel] = r.responseModel ?? model;
      // Required on every GenAI inference span, the request's too (docs/telemetry.md).
      if (this.provider !== undefined) attributes[GEN_AI.providerName] = this.provider;
    }
    if (r.firstEventMs >= 0) attributes[GEN_AI.responseTimeToFirstChunk] = r.firstEventMs / 1000;
    if (r.finishReason !== undefined) attributes[GEN_AI.responseFinishReasons] = [finishReasonName(r.finishReason)];
    const u = r.usage;
    if (u && r.target !== undefined) {
      attributes[GEN_AI.usageInputTokens] = u.inputTokens;
      attributes[GEN_AI.usageOutputTokens] = u.outputTokens;
      if (u.cacheReadTokens !== undefined) attributes[GEN_AI.usageCacheReadInputTokens] = u.cacheReadTokens;
      if (u.cacheWriteTokens !== undefined) attributes[GEN_AI.usageCacheCreationInputTokens] = u.cacheWriteTokens;
      if (u.reasoningTokens !== undefined) attributes[GEN_AI.usageReasoningOutputTokens] = u.reasoningTokens;
      if (u.estimated === true) attributes[SLUICE.usageEstimated] = true;
    }
    if (r.costUsd !== undefined) attributes[SLUICE.costUsd] = r.costUsd;
    if (this.output) attributes[GEN_AI.outputMessages] = outputMessages(this.output.list, finishReasonName(r.finishReason ?? 'stop'));
    if (r.errorCode !== undefined && r.endReason !== 'client_abort') {
      attributes[GENERAL.errorType] = r.errorCode;
    }
    span.setAttributes(attributes);
    if (FAILED_ENDS.has(r.endReason) || (r.endReason !== 'client_abort' && r.status >= 500)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: r.errorCode ?? r.endReason });
    }
    span.end(hrTime(this.startedAt + r.totalMs));
  }
}

function endReasonOf(code: string): string {
  return code === 'first_byte_timeout' || code === 'idle_timeout' || code === 'total_timeout' ? code : 'upstream_error';
}

const hosts = new Map<string, string | undefined>();

/** The host of an upstream base URL (never its userinfo, port, path or query), parsed once per URL. */
function hostOf(baseUrl: string): string | undefined {
  if (hosts.has(baseUrl)) return hosts.get(baseUrl);
  let host: string | undefined;
  try {
    host = new URL(baseUrl).hostname || undefined;
  } catch {
    host = undefined;
  }
  if (hosts.size < 1024) hosts.set(baseUrl, host);
  return host;
}

/** The answer as the client received it, folded from its events (content capture only). */
class OutputFold {
  readonly list: ResponseBlock[] = [];
  private readonly byIndex = new Map<number, ResponseBlock>();

  push = (ev: StreamEvent): void => {
    switch (ev.type) {
      case 'block-start': {
        const b = ev.block;
        const block: ResponseBlock =
          b.kind === 'tool-call'
            ? { kind: 'tool-call', id: b.id, name: b.name, arguments: '' }
            : b.kind === 'redacted-reasoning'
              ? { kind: 'redacted-reasoning', data: '' }
              : { kind: b.kind, text: '' };
        this.byIndex.set(ev.index, block);
        this.list.push(block);
        break;
      }
      case 'text-delta':
      case 'reasoning-delta': {
        const block = this.byIndex.get(ev.index);
        if (block && (block.kind === 'text' || block.kind === 'reasoning')) block.text += ev.text;
        break;
      }
      case 'tool-args-delta': {
        const block = this.byIndex.get(ev.index);
        if (block?.kind === 'tool-call') block.arguments += ev.json;
        break;
      }
    }
  };
}

/** A performance.now() reading as an absolute HrTime, the same conversion for every span. */
export function hrTime(perfMs: number): HrTime {
  return millisToHrTime(performance.timeOrigin + perfMs);
}
