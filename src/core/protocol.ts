// The contracts between the gateway and a protocol folder (docs/adding-a-protocol.md). A protocol
// (wire dialect) can be a front (clients speak it to sluice), an upstream codec (sluice speaks it to
// a provider), and can declare provider types (`type:` in sluice.yaml). Framing (how an upstream body
// is cut into events) and outbound auth (how a request gets its credentials) are capabilities of the
// codec and the provider type: the attempt calls them and never knows which one it runs.

import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { z } from 'zod';
import type { ChatRequest } from './request.ts';
import type { EventSink, StreamEvent } from './events.ts';
import type { ChatResponse } from './response.ts';
import type { GatewayError } from './errors.ts';
import type { EmbeddingsBatching, EmbeddingsRequest, EmbeddingsResponse } from './embeddings.ts';

// ---------------------------------------------------------------------------------------------
// Front side

/** What the server does with a request on a front route. */
export type FrontOperation =
  /** The gateway pipeline: decodeRequest → route → stream or complete → encode. */
  | 'chat'
  /** decodeRequest, then the first target's own count (codec.countTokens) or the local counter, rendered by encodeCount. */
  | 'count-tokens'
  /** FrontCodec.embeddings: routed like chat to targets whose codec has `embeddings` (docs/embeddings.md). */
  | 'embeddings'
  /** `handle` answers by itself, after client-key auth unless the route is `open`. */
  | 'custom';

export interface FrontRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /**
   * A literal path, or a pattern with `{name}` (one segment) and `{name+}` (greedy: may hold '/', and
   * may be empty, for decodeRequest to name the missing value),
   * e.g. `/v1beta/models/{model+}:streamGenerateContent`. Parameters arrive URL-decoded; a trailing
   * slash on the request path is ignored.
   */
  path: string;
  op: FrontOperation;
  /** Handed to decodeRequest and the encoders (e.g. 'stream' for a path that always streams). */
  variant?: string;
  handle?: (req: FrontHttpRequest, services: FrontServices) => Promise<FrontHttpResponse> | FrontHttpResponse;
  /** Custom routes only: no client key needed. */
  open?: boolean;
}

/** What a front learns about the HTTP request besides its body. */
export interface FrontRequestInfo {
  headers: IncomingHttpHeaders;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  variant?: string;
  /** Name of the client key that authenticated the request; undefined on an open gateway (and in clientKey). */
  keyName?: string;
}

export interface FrontHttpRequest extends FrontRequestInfo {
  method: string;
  path: string;
  /** The raw body (empty for GET). */
  body: Buffer;
  requestId: string;
}

export interface FrontHttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON text (content-type application/json unless headers say otherwise). */
  body: string;
}

/** How a streamed answer is framed on the wire to the client. */
export interface DownstreamFraming {
  contentType: string;
  /** Written whenever nothing else was for `server.keepalive`; absent: headers only, no keepalive bytes. */
  keepalive?: string;
}

export const SSE_DOWNSTREAM: DownstreamFraming = {
  contentType: 'text/event-stream; charset=utf-8',
  keepalive: ': keepalive\n\n',
};

/** Where a front stream encoder writes; each write is flushed as it comes. */
export interface StreamOutput {
  /** Text, sent as UTF-8. */
  write(chunk: string): void;
  /** Bytes as they are (binary framings such as AWS event-stream); the gateway's outputs all have it. */
  writeBytes?(chunk: Uint8Array): void;
}

/** Services a front may use while decoding and encoding (stored documents, its settings, the log). */
export interface FrontServices {
  /** Every model name a client may ask for. */
  modelNames(): string[];
  /** Small JSON documents with an expiry, kept in the configured store (SQLite or PostgreSQL). */
  documents?: DocumentStore;
  /** The front's own config section (Protocol.settings), resolved; undefined when it declares none. */
  settings?: unknown;
  log(fields: Record<string, unknown>, message: string): void;
}

export interface DocumentStore {
  get(kind: string, id: string): Promise<unknown>;
  put(kind: string, id: string, value: unknown, ttlMs: number): Promise<void>;
  /** True when a document was deleted. */
  delete(kind: string, id: string): Promise<boolean>;
}

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
  variant?: string;
  /** The decoded request (its frontState, tools, …). */
  chat?: ChatRequest;
  services?: FrontServices;
}

export interface RenderedError {
  status: number;
  /** JSON text in the front's dialect. */
  body: string;
  headers: Record<string, string>;
}

export interface TokenCount {
  inputTokens: number;
  /** True when counted locally by a tokenizer rather than by the upstream. */
  estimated: boolean;
}

export interface FrontCodec {
  readonly name: string;
  readonly routes: readonly FrontRoute[];
  /**
   * The response header this dialect's SDKs read the request id from, sent beside `x-request-id`
   * with the same value (Anthropic: `request-id`, the SDK's `_request_id` and `APIError.requestID`;
   * Bedrock: `x-amzn-requestid`, the AWS SDK's `$metadata.requestId`).
   */
  readonly requestIdHeader?: string;
  /** The client key presented with a request; when absent or undefined: `Authorization: Bearer` or `x-api-key`. */
  clientKey?(info: FrontRequestInfo): string | undefined;
  /** Validates and decodes a parsed JSON body; throws GatewayError('invalid_request', …) naming the field. */
  decodeRequest(body: unknown, info: FrontRequestInfo, services: FrontServices): ChatRequest | Promise<ChatRequest>;
  /** Wire framing of the streamed answer (default: SSE_DOWNSTREAM). */
  streamFraming?(ctx: FrontContext): DownstreamFraming;
  /**
   * Returns a push function for canonical events, writing to `out`. It receives a normalized
   * stream (core/normalize.ts): one message-start first, contiguous block indices, blocks closed
   * before the next opens, finish then done, or an error as the last event.
   */
  createStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void;
  /** Non-streaming response body (JSON text). */
  encodeResponse(resp: ChatResponse, ctx: FrontContext): string;
  /**
   * An error before the commit point: status, JSON body and headers (retry-after) in this dialect.
   * `requestId`: the request's id, for dialects whose error bodies carry it (Anthropic's `request_id`).
   */
  encodeError(err: GatewayError, ctx?: { variant?: string; requestId?: string }): RenderedError;
  /** A count-tokens answer (routes with op 'count-tokens'). */
  encodeCount?(count: TokenCount, ctx: FrontContext): string;
  /** Routes with op 'embeddings': the request in, the vectors out, in this dialect. */
  embeddings?: {
    /** Throws GatewayError('invalid_request', …) naming the field. */
    decodeRequest(body: unknown, info: FrontRequestInfo): EmbeddingsRequest;
    encodeResponse(resp: EmbeddingsResponse, req: EmbeddingsRequest, usage: { inputTokens: number }): string;
  };
}

// ---------------------------------------------------------------------------------------------
// Upstream side

/** What a codec sees of a provider (config's ProviderConfig extends it). */
export interface UpstreamEndpoint {
  name: string;
  baseUrl: string;
  apiKey?: string;
  headers: Record<string, string>;
  /**
   * Quirk flags declared by the provider type, camelCase of their YAML names (upstream-quirks in
   * docs/quirks.md). Each protocol reads them through its own typed view.
   */
  quirks: Readonly<Record<string, unknown>>;
  /** Other type-specific settings (region, project, api_version, …), camelCase. */
  settings?: Readonly<Record<string, unknown>>;
  defaultMaxTokens?: number;
}

export interface UpstreamHttpRequest {
  /** Absolute URL. */
  url: string;
  /** Default POST. */
  method?: 'POST' | 'GET' | 'PATCH' | 'DELETE';
  /** Without credentials: the provider's OutboundAuth adds them. */
  headers: Record<string, string>;
  /** JSON text ('' for GET); bytes when spliced from the client's body (core/raw-json.ts). */
  body: string | Buffer;
}

/** What an error decoder may know: which provider answered. */
export interface ErrorContext {
  /** Provider name, for error messages. */
  provider: string;
  endpoint: UpstreamEndpoint;
}

export interface DecodeContext extends ErrorContext {
  /** The request as sent (some decoders need the declared tools or the stop sequences). */
  request: ChatRequest;
}

/** The whole answer to one of a codec's own calls (UpstreamCalls.send). */
export interface UpstreamReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (bounded in size). */
  text: string;
}

/**
 * What a codec's `prepare` step may do before its request is built: calls of its own to the same
 * provider, signed by the provider's OutboundAuth, over the attempt's dispatcher and connect limit.
 */
export interface UpstreamCalls {
  /** The attempt's signal: aborted when its time limits run out or the client goes away. */
  readonly signal: AbortSignal;
  /**
   * Aborted once half the attempt's first_byte limit has gone by: work that only makes the request
   * cheaper gives up then (and the request goes without it), so the request itself keeps its time.
   */
  readonly patience: AbortSignal;
  /**
   * Sends `req` with the provider's credentials and resolves with the whole answer, whatever its
   * status. Rejects (a GatewayError) when it cannot be sent or `signal` (default: the attempt's)
   * aborts. A call shared by several attempts passes a signal of its own.
   */
  send(req: UpstreamHttpRequest, signal?: AbortSignal): Promise<UpstreamReply>;
}

/** Consumes the events of one upstream response (as its framing cut them) and emits canonical events. */
export interface UpstreamStreamDecoder {
  /** One event (`event` is '' when the framing gave it no name). */
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

/** What a framing decoder calls for each event it cuts from the body. */
export interface FrameHandler {
  onEvent(data: string, event: string): void;
  onDataLine?(bytes: Buffer, start: number, end: number): boolean;
  /** A comment or ping (SSE `:` lines): not an event, never resets a time limit. */
  onComment?(text: string): void;
  /** The bytes cannot be framed (bad SSE, an oversized event, a CRC mismatch). */
  onError(err: Error): void;
}

export interface FrameDecoder {
  push(chunk: Buffer): void;
  /** The body ended: dispatch what is complete (and, leniently, what is not). */
  end(): void;
}

/** How a streamed upstream body is cut into events. */
export interface Framing {
  readonly name: string;
  /**
   * true for text framings: a body whose first non-blank byte is `{` or `[` is a whole JSON
   * document standing in for the stream, whatever the Content-Type says.
   */
  readonly sniffJson: boolean;
  create(handler: FrameHandler): FrameDecoder;
}

export interface UpstreamCodec {
  /**
   * The dialect. Equal to the front's name for the same dialect: content only that dialect can carry
   * (ChatRequest.nonPortable) may go to this codec only when the client spoke it too.
   */
  readonly name: string;
  readonly framing: Framing;
  /**
   * Builds the HTTP request for `model` at `endpoint`; throws GatewayError('unsupported'|'invalid_request')
   * when untranslatable. `prepared` is what this codec's own `prepare` resolved to, when it ran.
   */
  buildRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean, prepared?: unknown): UpstreamHttpRequest;
  /**
   * Optional work before the request is built, such as creating a provider-side resource the request
   * will refer to (Gemini's cachedContents). Returns undefined, synchronously, when there is nothing to
   * do (the common case stays free of a Promise), else a Promise of the value handed to buildRequest as
   * `prepared`. Runs inside the attempt: its time counts against first_byte and total, and `calls`
   * carries the attempt's signal. Work that is only an optimisation should fall back rather than
   * reject: a rejection fails the attempt like an upstream error.
   */
  prepare?(req: ChatRequest, model: string, endpoint: UpstreamEndpoint, calls: UpstreamCalls): Promise<unknown> | undefined;
  createStreamDecoder(emit: EventSink, ctx: DecodeContext): UpstreamStreamDecoder;
  /** Decodes a complete (non-streaming) 2xx JSON body; throws GatewayError for an error-shaped body. */
  decodeResponse(body: unknown, ctx: DecodeContext): ChatResponse;
  /** Maps an upstream error (status, body text, headers) to a GatewayError (docs/translation.md §8). */
  decodeError(status: number, bodyText: string, headers: Record<string, string | string[] | undefined>, ctx: ErrorContext): GatewayError;
  /** The upstream's own token count for a request, where the dialect has one. */
  countTokens?: {
    buildRequest(req: ChatRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest;
    /** Input tokens from a 2xx JSON body. */
    decodeResponse(body: unknown): number;
  };
  /**
   * Embeddings, where the dialect has them (an optional capability: a model's targets without it are
   * skipped by `/v1/embeddings`). Errors are read by `decodeError`.
   */
  embeddings?: {
    /**
     * How many inputs one upstream call may carry for `model` (default: the whole request in one
     * call). A request with more is cut into calls of at most that many, sent a few at a time
     * (`EmbeddingsBatching`), and their vectors joined in input order.
     */
    batching?(model: string): EmbeddingsBatching;
    /**
     * One call's request, for `req` as cut by `batching` (its inputs only). Throws
     * GatewayError('unsupported') for input this dialect cannot carry (token arrays), or
     * GatewayError('invalid_request') for a vendor field of the client's body of the wrong type.
     */
    buildRequest(req: EmbeddingsRequest, model: string, endpoint: UpstreamEndpoint): UpstreamHttpRequest;
    /**
     * Vectors from a 2xx JSON body, in input order, and the input tokens where the answer (body or
     * headers) says; throws GatewayError('upstream_malformed').
     */
    decodeResponse(body: unknown, req: EmbeddingsRequest, headers?: Readonly<Record<string, string | string[] | undefined>>): EmbeddingsResponse;
  };
}

/** Adds credentials to an outgoing request: an API-key header, a request signature, a bearer token. */
export interface OutboundAuth {
  /**
   * Mutates `req.headers`. Synchronous when nothing must be fetched (keys; a signature with cached
   * credentials); a Promise when a token or credentials are being fetched or refreshed. Throws (or
   * rejects with) GatewayError('upstream_auth'), naming the provider, never the secret.
   */
  apply(req: UpstreamHttpRequest, signal: AbortSignal): void | Promise<void>;
}

export const NO_AUTH: OutboundAuth = { apply() {} };

/** An in-process run of a local upstream; cancel() stops it. */
export interface LocalRun {
  cancel(): void;
}

/** One configured provider, made once per config from its provider type. */
export type Upstream =
  | {
      kind: 'http';
      /** The codec for one of this provider's models (one provider may serve several dialects). */
      codecFor(model: string): UpstreamCodec;
      auth: OutboundAuth;
      close?(): Promise<void>;
    }
  | {
      /** In-process: events come straight from `start`, with no HTTP and no framing. */
      kind: 'local';
      /** `paced`: produce at a model's pace (a streaming client); false: as fast as possible. */
      start(req: ChatRequest, model: string, emit: EventSink, opts: { paced: boolean }): LocalRun;
    };

/** A named starting point for a provider: data only (SPEC §2 `preset:`). */
export interface ProviderPreset {
  /** Absent when every deployment has its own host (Azure); the provider must then give base_url. */
  baseUrl?: string;
  /** Shown when base_url is missing for a preset without one. */
  baseUrlExample?: string;
  /** Quirk flags and settings in their YAML (snake_case) spelling. */
  options?: Readonly<Record<string, unknown>>;
  headers?: Readonly<Record<string, string>>;
  streaming?: 'native' | 'simulate' | 'always';
  /**
   * Zero-config (SPEC §1): a provider of this preset (named after it) is added when `keyVar` is set;
   * `baseUrlVar` overrides its base URL, as the vendor's own SDK does.
   */
  env?: { keyVar: string; baseUrlVar?: string };
}

/** A provider type (`type:` in sluice.yaml), declared by the protocol folder that implements it. */
export interface ProviderType {
  readonly type: string;
  /**
   * Fields this type accepts beyond the common ones (type, preset, base_url, api_key, headers,
   * timeouts, streaming, default_max_tokens, models), as zod schemas keyed by their YAML names.
   * Quirk flags land in `quirks`, settings in `settings` (camelCase). Unknown fields stay errors.
   */
  readonly quirkFields?: Readonly<Record<string, z.ZodType>>;
  readonly settingFields?: Readonly<Record<string, z.ZodType>>;
  /**
   * Base URL when neither the provider nor its preset gives one. '' means none is needed (in-process,
   * or built from settings such as region); undefined means base_url is required.
   */
  readonly defaultBaseUrl?: string;
  /** A pasted endpoint URL is cut back to the base with this (e.g. /\/chat\/completions$/i). */
  readonly pastedSuffix?: RegExp;
  readonly presets?: Readonly<Record<string, ProviderPreset>>;
  /** Rules across fields the schemas cannot express; `problem(field, message)` with the YAML field name. */
  check?(provider: UpstreamEndpoint, problem: (field: string, message: string) => void): void;
  /** Builds the upstream of one configured provider; auth caches live in what it returns. */
  create(provider: UpstreamEndpoint, env?: UpstreamEnv): Upstream;
}

/** What an upstream may use from the gateway besides its config (token sources, signers). */
export interface UpstreamEnv {
  /**
   * Wall-clock milliseconds since the epoch, on the gateway's clock: credential expiry, the times in
   * a signed assertion. Tests that drive a manual clock move it too.
   */
  now(): number;
  /** For the upstream's own HTTP calls (token endpoints); undefined: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /**
   * A line in the gateway's log for the upstream's own events (a cache resource created, or refused
   * and worked around). Fields carry names and counts, never a credential. Undefined: not logged.
   */
  log?(fields: Record<string, unknown>, message: string): void;
}
