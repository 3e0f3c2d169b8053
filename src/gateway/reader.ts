// The upstream reader: one reusable stage that turns an upstream response into canonical events.
//   sniff → framing → decode → normalize → usage
// Whatever the body is — the codec's framing (SSE, AWS event-stream, …), a whole JSON document
// standing in for a stream, SSE without its content type, an error status — it
// ends in the event chain's 'done' or in one GatewayError. The reader knows no dialect: the codec
// decodes, its framing cuts, and the chain (createEventChain) enforces the stream rules.

import type { ChatRequest } from '../core/request.ts';
import type { EventSink, StreamEvent } from '../core/events.ts';
import { GatewayError } from '../core/errors.ts';
import { createNormalizer } from '../core/normalize.ts';
import { ResponseCollector, responseToEvents, type ChatResponse } from '../core/response.ts';
import type { DecodeContext, FrameDecoder, UpstreamCodec, UpstreamStreamDecoder } from '../core/protocol.ts';
import type { UpstreamResponseHead } from '../transport/http.ts';
import { withUsageEstimate } from './usage.ts';

/** Error bodies are read up to this size; the message only needs the start. */
export const MAX_ERROR_BODY = 64 * 1024;
/** A JSON body (non-streaming answer, or Q-2) may be large but not unbounded. */
export const MAX_JSON_BODY = 64 * 1024 * 1024;

export interface ChainSink {
  /** A normalized event ('error' never: failures go to onError). 'done' is the last. */
  onEvent(ev: StreamEvent): void;
  onError(err: GatewayError): void;
}

/** normalize → usage estimate: what every source of canonical events (HTTP reader, local upstream) feeds. */
export function createEventChain(req: ChatRequest, sink: ChainSink): EventSink {
  return createNormalizer(
    withUsageEstimate(req, (ev) => {
      if (ev.type === 'error') sink.onError(ev.error);
      else sink.onEvent(ev);
    }),
  );
}

export interface ReaderSink {
  /** A decoded upstream event, into the event chain. */
  emit: EventSink;
  /** The response cannot be read as an answer: the attempt fails with this. */
  fail(err: GatewayError): void;
  /** A 2xx response head arrived (the idle limit starts counting from here). */
  responded(status: number): void;
  /** Raw upstream events for `--tap`. */
  onTap?(line: string): void;
}

export interface BodyReader {
  head(h: UpstreamResponseHead): void;
  data(chunk: Buffer): void;
  /** The body ended normally. */
  end(): void;
}

type ReadState =
  | { kind: 'head' }
  /** Holding the first bytes until the first non-blank byte says JSON or stream. */
  | { kind: 'sniff'; body: BodySniffer }
  | { kind: 'stream'; frames: FrameDecoder; decoder: UpstreamStreamDecoder }
  | { kind: 'json'; body: BodySniffer }
  | { kind: 'error'; status: number; headers: UpstreamResponseHead['headers']; body: BodySniffer }
  | { kind: 'finished' };

/** Reads one streamed upstream response with `codec` (its framing, then its stream decoder). */
export function createBodyReader(codec: UpstreamCodec, ctx: DecodeContext, sink: ReaderSink): BodyReader {
  let state: ReadState = { kind: 'head' };
  let headers: UpstreamResponseHead['headers'] = {};
  let status = 0;

  const openStream = (): { frames: FrameDecoder; decoder: UpstreamStreamDecoder } => {
    const decoder = codec.createStreamDecoder(sink.emit, ctx);
    const tap = sink.onTap;
    const frames = codec.framing.create({
      onEvent: tap
        ? (data, event) => {
            tap(event ? `event: ${event} data: ${data}` : `data: ${data}`);
            decoder.onEvent(data, event);
          }
        : (data, event) => decoder.onEvent(data, event),
      // A tapped stream (debug) sees every event as text, so it takes the usual path.
      onDataLine: decoder.onDataLine === undefined || tap ? undefined : (bytes, start, end) => decoder.onDataLine!(bytes, start, end),
      onError(err) {
        state = { kind: 'finished' };
        sink.fail(new GatewayError('upstream_malformed', `upstream stream could not be parsed: ${err.message}`));
      },
    });
    return { frames, decoder };
  };

  /** one JSON body where a stream was expected: a completion to re-stream, or an error. */
  const finishJson = (text: string): void => {
    state = { kind: 'finished' };
    let resp: ChatResponse;
    try {
      resp = decodeJsonBody(codec, status, text, headers, ctx);
    } catch (err) {
      sink.fail(asGatewayError(err));
      return;
    }
    responseToEvents(resp, sink.emit, 0);
  };

  const streamChunks = (chunks: Buffer[]): void => {
    const s = openStream();
    state = { kind: 'stream', ...s };
    for (const c of chunks) {
      s.frames.push(c);
      // A framing error ends the read at once.
      if ((state as ReadState).kind !== 'stream') return;
    }
  };

  return {
    head(h) {
      status = h.status;
      headers = h.headers;
      if (h.status < 200 || h.status >= 300) {
        state = { kind: 'error', status: h.status, headers: h.headers, body: new BodySniffer(MAX_ERROR_BODY) };
        return;
      }
      sink.responded(h.status);
      if (codec.framing.sniffJson) state = { kind: 'sniff', body: new BodySniffer(MAX_JSON_BODY) };
      else state = { kind: 'stream', ...openStream() };
    },
    data(chunk) {
      switch (state.kind) {
        case 'stream':
          state.frames.push(chunk);
          return;
        case 'error':
          if (state.body.size < MAX_ERROR_BODY) state.body.add(chunk);
          return;
        case 'sniff':
        case 'json': {
          const body = state.body;
          if (!body.add(chunk)) {
            state = { kind: 'finished' };
            sink.fail(new GatewayError('upstream_malformed', 'upstream body exceeded the size limit'));
            return;
          }
          if (state.kind === 'sniff') {
            const kind = body.sniff();
            if (kind === 'stream') {
              streamChunks(body.take());
              return;
            }
            if (kind === undefined) return;
            state = { kind: 'json', body };
          }
          // Q-2 (Azure Foundry): a complete JSON body may arrive on a connection the upstream keeps
          // open. Answer as soon as the document is complete rather than at EOF.
          if (endsLikeJson(chunk)) {
            const text = body.text();
            if (isCompleteJson(text)) finishJson(text);
          }
          return;
        }
        default:
          return;
      }
    },
    end() {
      switch (state.kind) {
        case 'error': {
          const s = state;
          state = { kind: 'finished' };
          sink.fail(codec.decodeError(s.status, s.body.text(), s.headers, ctx));
          return;
        }
        case 'json':
          finishJson(state.body.text());
          return;
        case 'sniff':
          if (state.body.size > 0 && state.body.sniff() !== 'stream') {
            finishJson(state.body.text());
            return;
          }
          streamChunks(state.body.take());
          break;
        case 'stream':
          break;
        default:
          return;
      }
      const current = state as ReadState;
      if (current.kind !== 'stream') return;
      const { frames, decoder } = current;
      state = { kind: 'finished' };
      frames.end();
      decoder.end();
      // The decoder neither finished nor failed: truncation. Ignored if 'done' already settled.
      sink.fail(new GatewayError('stream_truncated', 'upstream stream ended without a terminal event'));
    },
  };
}

/** A whole streamed body, read after the fact (a non-streaming call the upstream answered with a stream). */
export function collectStream(codec: UpstreamCodec, chunks: Buffer[], ctx: DecodeContext): ChatResponse {
  const collector = new ResponseCollector();
  const normalized = createNormalizer(collector.push);
  const decoder = codec.createStreamDecoder(normalized, ctx);
  let failure: Error | undefined;
  const frames = codec.framing.create({
    onEvent: (data, event) => decoder.onEvent(data, event),
    onError: (err) => {
      failure ??= err;
    },
  });
  for (const c of chunks) frames.push(c);
  frames.end();
  if (failure) throw new GatewayError('upstream_malformed', `upstream stream could not be parsed: ${failure.message}`);
  decoder.end();
  return collector.result();
}

export function decodeJsonBody(
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
    throw new GatewayError('upstream_malformed', `upstream sent a body that is neither a stream nor JSON: ${text.slice(0, 120)}`);
  }
  // A null `error` is no error: OpenAI Responses objects always carry `"error": null`.
  if (json === null || typeof json !== 'object' || ((json as { error?: unknown }).error ?? null) !== null) {
    // An error body under a 2xx status: let the dialect read its status and message.
    throw codec.decodeError(errorStatusOf(json) ?? (status >= 400 ? status : 502), text, headers, ctx);
  }
  return codec.decodeResponse(json, ctx);
}

function errorStatusOf(json: unknown): number | undefined {
  const code = (json as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : undefined;
}

export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal', err instanceof Error ? err.message : String(err), { cause: err });
}

/**
 * Holds the first bytes of a body until its first non-whitespace byte says what it is: `{`/`[` is
 * JSON, anything else is a stream (`data:`, `event:`, `:`, `id:`…; Q-4), whatever the
 * Content-Type claims. Chunks are kept as a list and joined once.
 */
export class BodySniffer {
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
  sniff(): 'json' | 'stream' | undefined {
    for (const c of this.chunks) {
      for (let i = 0; i < c.length; i++) {
        const b = c[i]!;
        if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue;
        return b === 0x7b || b === 0x5b ? 'json' : 'stream';
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
export function endsLikeJson(chunk: Buffer): boolean {
  for (let i = chunk.length - 1; i >= 0; i--) {
    const b = chunk[i]!;
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7d || b === 0x5d;
  }
  return false;
}

export function isCompleteJson(text: string): boolean {
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
