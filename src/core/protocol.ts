// The contracts between the pipeline and a protocol folder. A protocol (wire dialect) can be a front
// (clients speak it to sluice), an upstream (sluice speaks it to a provider), or both.

import type { IncomingHttpHeaders } from 'node:http';
import type { ChatRequest, ProtocolName } from './request.ts';
import type { EventSink, StreamEvent } from './events.ts';
import type { ChatResponse } from './response.ts';
import type { GatewayError } from './errors.ts';

/** Per-request facts a front needs to render the answer. */
export interface FrontContext {
  requestId: string;
  /** The model name the client asked for: every chunk/response carries it (SPEC §4.1). */
  model: string;
  /** Unix seconds, fixed for the whole response. */
  created: number;
  /** OpenAI `stream_options.include_usage`. */
  includeUsage: boolean;
  /** Whether reasoning text should be sent to a front that has no native slot for it. */
  includeReasoning: boolean;
}

/** Where a front stream encoder writes its SSE text. The server flushes each write as it comes. */
export interface StreamOutput {
  write(chunk: string): void;
}

export interface RenderedError {
  status: number;
  /** JSON text in the front's dialect. */
  body: string;
  headers: Record<string, string>;
}

export interface FrontCodec {
  readonly name: ProtocolName;
  /** Validates and decodes a parsed JSON body; throws GatewayError('invalid_request', …) naming the field. */
  decodeRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest;
  /**
   * Returns a push function for canonical events, writing SSE to `out`. It receives a normalized
   * stream (core/normalize.ts): one message-start first, contiguous block indices, blocks closed
   * before the next opens, finish then done, or an error as the last event.
   */
  createStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void;
  /** Non-streaming response body (JSON text). */
  encodeResponse(resp: ChatResponse, ctx: FrontContext): string;
  /** An error before the commit point: status, JSON body and headers (retry-after) in this dialect. */
  encodeError(err: GatewayError): RenderedError;
}

/** The parts of a provider's config an upstream codec needs (config's ProviderConfig satisfies it). */
export interface UpstreamEndpoint {
  name: string;
  baseUrl: string;
  apiKey?: string;
  headers: Record<string, string>;
  quirks: {
    inlineThinkTags?: boolean;
    bufferToolCalls?: boolean;
    supportsPrefill?: boolean;
    maxTokensField?: 'max_tokens' | 'max_completion_tokens';
    authHeader?: 'authorization' | 'x-api-key' | 'api-key' | 'x-goog-api-key';
    stripStrict?: boolean;
    reasoningEffort?: boolean;
    temperatureRange?: [number, number];
  };
  defaultMaxTokens?: number;
}

export interface UpstreamHttpRequest {
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  /** JSON text. */
  body: string;
}

export interface DecodeContext {
  /** Provider name, for error messages. */
  provider: string;
  endpoint: UpstreamEndpoint;
  /** The request as sent (some decoders need the declared tools or the stop sequences). */
  request: ChatRequest;
}

/** Consumes the SSE events of one upstream response and emits canonical events. */
export interface UpstreamStreamDecoder {
  /** One dispatched SSE event (`event` is '' when the upstream sent no event: line). */
  onEvent(data: string, event: string): void;
  /**
   * Optional fast path: an event that is one `data:` line and nothing else, as bytes (the value is
   * `bytes[start, end)`, not retained). Returns true when it handled the event exactly as `onEvent`
   * would have; false and the event comes to `onEvent` as a string.
   */
  onDataLine?(bytes: Buffer, start: number, end: number): boolean;
  /**
   * The upstream body ended. Emits 'done' when the stream had reached its terminal marker (or a
   * finish, leniently), else an error event 'stream_truncated'. Idempotent.
   */
  end(): void;
}

export interface UpstreamCodec {
  readonly name: ProtocolName;
  /** Builds the HTTP request for `model` at `endpoint`; throws GatewayError('unsupported'|'invalid_request') when untranslatable. */
  buildRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): UpstreamHttpRequest;
  createStreamDecoder(emit: EventSink, ctx: DecodeContext): UpstreamStreamDecoder;
  /** Decodes a complete (non-streaming) 2xx JSON body; throws GatewayError for an error-shaped body. */
  decodeResponse(body: unknown, ctx: DecodeContext): ChatResponse;
  /** Maps an upstream error (status, body text, headers) to a GatewayError (translation.md §8). */
  decodeError(status: number, bodyText: string, headers: Record<string, string | string[] | undefined>, ctx: DecodeContext): GatewayError;
}
