// One trace per request (SPEC §12, docs/telemetry.md): a SERVER span for the request, continuing the
// client's `traceparent`, and a CLIENT child span per upstream attempt, whose context is sent
// upstream as `traceparent`. Nothing here runs per event unless content capture is on.
//
// The spans are not the SDK's: a request keeps its span's ids, start and attributes in plain fields
// and, when the span ends, hands one FinishedSpan (the SDK's ReadableSpan, what its exporters read)
// to the BatchSpanProcessor. The SDK's Tracer and Span took about four times the CPU (5.7 against
// 1.5 µs per request), and their bigger objects, waiting in the export queue, were promoted out of
// the young generation (docs/telemetry.md, Cost). The export is what the SDK's spans gave: ids
// from its generator, the same times, attributes in the same order, status, flags, resource and
// scope, and its sampler's choice (ParentBased(AlwaysOn), the TracerProvider's default: a client's
// unsampled traceparent is continued with flags 00 and nothing is exported).

import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  isSpanContextValid,
  trace,
  type Attributes,
  type HrTime,
  type Link,
  type SpanContext,
  type SpanStatus,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator, hrTimeDuration, millisToHrTime, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { RandomIdGenerator, type ReadableSpan, type TimedEvent } from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders } from 'node:http';
import type { StreamEvent } from '../core/events.ts';
import type { GatewayError } from '../core/errors.ts';
import type { ResponseBlock } from '../core/response.ts';
import type { AttemptStats, ResolvedTarget } from '../gateway/attempt.ts';
import type { AttemptInfo, ChatContext, ObservedRequest, RequestObserver, RequestRecord } from '../gateway/pipeline.ts';
import { inputMessages, outputMessages } from './content.ts';
import type { SpanSink } from './export.ts';
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
/** The SDK's own id generator (what its Tracer used). */
const ids = new RandomIdGenerator();

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];
const NO_EVENTS: TimedEvent[] = Object.freeze([]) as unknown as TimedEvent[];

/**
 * A span as the SDK's exporters read it (ReadableSpan), made when the span ends. Small on purpose:
 * it waits in the export queue for up to a batch interval. Times are kept as performance.now()
 * readings and converted to HrTime (hrTime) when read, the conversion the SDK's spans were given;
 * an end before the start is the start, as the SDK made it.
 */
export class FinishedSpan implements ReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes;
  readonly status: SpanStatus;
  private readonly context: SpanContext;
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly sink: SpanSink;

  constructor(
    sink: SpanSink,
    name: string,
    kind: SpanKind,
    context: SpanContext,
    parent: SpanContext | undefined,
    startMs: number,
    endMs: number,
    attributes: Attributes,
    status: SpanStatus,
  ) {
    this.sink = sink;
    this.name = name;
    this.kind = kind;
    this.context = context;
    this.parentSpanContext = parent;
    this.startMs = startMs;
    this.endMs = endMs;
    this.attributes = attributes;
    this.status = status;
  }

  spanContext(): SpanContext {
    return this.context;
  }
  get startTime(): HrTime {
    return hrTime(this.startMs);
  }
  get endTime(): HrTime {
    return hrTime(this.endMs < this.startMs ? this.startMs : this.endMs);
  }
  get duration(): HrTime {
    return hrTimeDuration(this.startTime, this.endTime);
  }
  get ended(): boolean {
    return true;
  }
  get resource(): Resource {
    return this.sink.resource;
  }
  get instrumentationScope(): InstrumentationScope {
    return this.sink.scope;
  }
  get links(): Link[] {
    return NO_LINKS;
  }
  get events(): TimedEvent[] {
    return NO_EVENTS;
  }
  get droppedAttributesCount(): number {
    return 0;
  }
  get droppedEventsCount(): number {
    return 0;
  }
  get droppedLinksCount(): number {
    return 0;
  }
}

/** The context of a new span: the parent's trace (a new one without), sampled as its parent is (ParentBased(AlwaysOn)). */
function childContext(parent: SpanContext | undefined): SpanContext {
  if (parent === undefined) return { traceId: ids.generateTraceId(), spanId: ids.generateSpanId(), traceFlags: TraceFlags.SAMPLED };
  const context: SpanContext = {
    traceId: parent.traceId,
    spanId: ids.generateSpanId(),
    traceFlags: parent.traceFlags & TraceFlags.SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
  };
  if (parent.traceState !== undefined) context.traceState = parent.traceState;
  return context;
}

/** The span of a request refused before it was served (index.ts), a trace of its own, made finished. */
export function refusedSpan(
  sink: SpanSink,
  name: string,
  startMs: number,
  endMs: number,
  attributes: Attributes,
  failed: boolean,
  message?: string,
): void {
  const status: SpanStatus = !failed ? UNSET : message === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message };
  sink.end(new FinishedSpan(sink, name, SpanKind.SERVER, childContext(undefined), undefined, startMs, endMs, attributes, status));
}

// Attributes are few and set once (bench/tracing.ts: tracing costs CPU per request, never per
// event): defaults are left out — an attempt number of 1, a completed attempt's end reason, zero
// retries or failovers — since their absence says the same.

/** Ends that are failures of the gateway or its upstreams (span status ERROR); a client leaving is not. */
const FAILED_ENDS = new Set(['upstream_error', 'first_byte_timeout', 'idle_timeout', 'total_timeout']);

export interface TraceOptions {
  content: boolean;
}

/** An attempt's span until it ends. */
interface OpenAttempt {
  context: SpanContext;
  startMs: number;
  name: string;
  attributes: Attributes;
}

export class RequestTrace implements RequestObserver {
  private readonly sink: SpanSink;
  /** The request span's context: the attempts' parent. */
  private readonly context: SpanContext;
  /** The client's span (a valid incoming traceparent). */
  private readonly parent: SpanContext | undefined;
  private readonly name: string;
  /** The request span's attributes: those known at the start, the rest added at the end. */
  private readonly attributes: Attributes;
  private readonly startedAt: number;
  private readonly operation: string;
  private attempt: OpenAttempt | undefined;
  /** gen_ai.provider.name of the latest attempt: the request span carries the answering one's. */
  private provider: string | undefined;
  private readonly output?: OutputFold;
  readonly event?: (ev: StreamEvent) => void;

  constructor(sink: SpanSink, request: ObservedRequest, ctx: ChatContext, opts: TraceOptions) {
    this.sink = sink;
    this.startedAt = ctx.startedAt;
    this.operation = request.operation;
    this.parent = ctx.incoming?.traceparent !== undefined ? remoteParent(ctx.incoming) : undefined;
    this.context = childContext(this.parent);
    const model = request.operation === 'chat' ? request.chat.model : request.embeddings.model;
    this.name = `${request.operation} ${model}`;
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
    this.attributes = attributes;
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
    // Every time on one clock (performance.now()), converted once per span (hrTime), so an attempt's
    // start is never before the previous attempt's end.
    const sc = childContext(this.context);
    this.attempt = { context: sc, startMs: performance.now(), name: `${this.operation} ${target.model}`, attributes };
    // W3C Trace Context, version 00: the attempt span is the upstream's parent.
    const headers: Record<string, string> = { traceparent: `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}` };
    const state = sc.traceState?.serialize();
    if (state) headers.tracestate = state;
    return headers;
  }

  attemptEnd(_target: ResolvedTarget, stats: AttemptStats, error?: GatewayError, clientGone?: boolean): void {
    const a = this.attempt;
    if (!a) return;
    this.attempt = undefined;
    const attributes = a.attributes;
    let spanStatus = UNSET;
    const status = stats.status > 0 ? stats.status : error?.upstreamStatus;
    if (status !== undefined) attributes[GENERAL.httpResponseStatusCode] = status;
    if (stats.firstEventMs >= 0) attributes[GEN_AI.responseTimeToFirstChunk] = stats.firstEventMs / 1000;
    if (clientGone) attributes[SLUICE.endReason] = 'client_abort';
    else if (error) {
      attributes[GENERAL.errorType] = error.code;
      attributes[SLUICE.endReason] = endReasonOf(error.code);
      spanStatus = { code: SpanStatusCode.ERROR, message: error.message };
    }
    if (a.context.traceFlags & TraceFlags.SAMPLED) {
      const end = performance.now();
      this.sink.end(new FinishedSpan(this.sink, a.name, SpanKind.CLIENT, a.context, this.context, a.startMs, end, attributes, spanStatus));
    }
  }

  end(r: RequestRecord): void {
    if (!(this.context.traceFlags & TraceFlags.SAMPLED)) return;
    const attributes = this.attributes;
    attributes[SLUICE.endReason] = r.endReason;
    attributes[GENERAL.httpResponseStatusCode] = r.status;
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
    const failed = FAILED_ENDS.has(r.endReason) || (r.endReason !== 'client_abort' && r.status >= 500);
    const status: SpanStatus = failed ? { code: SpanStatusCode.ERROR, message: r.errorCode ?? r.endReason } : UNSET;
    const end = this.startedAt + r.totalMs;
    this.sink.end(new FinishedSpan(this.sink, this.name, SpanKind.SERVER, this.context, this.parent, this.startedAt, end, attributes, status));
  }
}

/** The client's span from its `traceparent` (and `tracestate`), when valid. */
function remoteParent(incoming: IncomingHttpHeaders): SpanContext | undefined {
  const sc = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, incoming, headerGetter));
  return sc !== undefined && isSpanContextValid(sc) ? sc : undefined;
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
