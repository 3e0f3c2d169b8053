// InvokeModel / InvokeModelWithResponseStream with Anthropic Messages bodies (bedrock.md §8): the
// body is an Anthropic request without `model` and `stream`, with `anthropic_version:
// "bedrock-2023-05-31"` and the betas in `anthropic_beta`. Decoding and encoding are the Anthropic
// front's own (imported, not copied): the request becomes an Anthropic-dialect ChatRequest, so an
// Anthropic upstream receives the client's blocks unchanged. The stream is Anthropic's events, each
// JSON event base64-encoded in a `chunk` message (`{"bytes":"…"}`); the last, message_stop, carries
// `amazon-bedrock-invocationMetrics` as Bedrock's does.

import { Buffer } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import type { StreamEvent, Usage } from '../../core/events.ts';
import { GatewayError } from '../../core/errors.ts';
import type { FrontContext, StreamOutput } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import { decodeAnthropicRequest } from '../anthropic/decode-request.ts';
import { createAnthropicStreamEncoder } from '../anthropic/encode-stream.ts';
import { encodeEvent, encodeException } from './event-stream.ts';
import { streamExceptionFor } from './errors.ts';
import { validationError } from './decode-request.ts';
import { byteOutput } from './encode-stream.ts';

export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';
/** The Messages API version the Anthropic front assumes for an invoke body. */
const MESSAGES_API_VERSION = '2023-06-01';

export function decodeInvokeRequest(body: unknown, headers: IncomingHttpHeaders, o: { model: string; stream: boolean }): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError('', 'Malformed input request: the body must be a JSON object');
  }
  const { anthropic_version: version, anthropic_beta: betas, model: _model, stream: _stream, ...rest } = body as Record<string, unknown>;
  if (version === undefined) {
    throw new GatewayError('invalid_request', 'Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.', { param: 'anthropic_version' });
  }
  if (typeof version !== 'string') throw validationError('anthropic_version', 'Member must be a string');
  if (betas !== undefined && (!Array.isArray(betas) || !betas.every((b) => typeof b === 'string'))) {
    throw validationError('anthropic_beta', 'Member must be an array of strings');
  }
  const messagesBody: Record<string, unknown> = { ...rest, model: o.model, stream: o.stream };
  const betaList = [...((betas as string[] | undefined) ?? []), ...headerList(headers['anthropic-beta'])];
  const anthropicHeaders: IncomingHttpHeaders = { ...headers, 'anthropic-version': MESSAGES_API_VERSION };
  if (betaList.length > 0) anthropicHeaders['anthropic-beta'] = betaList.join(',');
  else delete anthropicHeaders['anthropic-beta'];
  const req = decodeAnthropicRequest(messagesBody, anthropicHeaders);
  if (betaList.length > 0) req.anthropicBeta = betaList.join(',');
  return req;
}

function headerList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v.join(',') : v)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Anthropic's own events as Bedrock `chunk` messages. */
export function createInvokeStreamEncoder(ctx: FrontContext, out: StreamOutput): (ev: StreamEvent) => void {
  const startedAt = Date.now();
  let firstByteMs = -1;
  let usage: Usage | undefined;
  let failure: GatewayError | undefined;
  const bytes = byteOutput(out);
  const sse: StreamOutput = {
    write(text: string): void {
      // The Anthropic encoder writes one whole `event: NAME\ndata: JSON\n\n` per call.
      const nameEnd = text.indexOf('\n');
      const name = text.startsWith('event: ') ? text.slice(7, nameEnd) : '';
      if (name === 'error' && failure !== undefined) {
        const ex = streamExceptionFor(failure);
        bytes(encodeException(ex.type, ex.json));
        return;
      }
      const dataAt = text.indexOf('data: ');
      let json = text.slice(dataAt + 6, text.length - 2);
      if (firstByteMs < 0) firstByteMs = Date.now() - startedAt;
      if (name === 'message_stop') json = withMetrics(json, usage, Date.now() - startedAt, firstByteMs);
      bytes(chunkMessage(json));
    },
  };
  const encode = createAnthropicStreamEncoder(ctx, sse);
  return (ev: StreamEvent): void => {
    if (ev.type === 'usage') usage = ev.usage;
    else if (ev.type === 'error') failure = ev.error;
    encode(ev);
  };
}

export function chunkMessage(json: string): Buffer {
  return encodeEvent('chunk', `{"bytes":"${Buffer.from(json, 'utf8').toString('base64')}"}`);
}

/** What Bedrock appends to the final message_stop (bedrock.md §8). */
function withMetrics(json: string, u: Usage | undefined, latencyMs: number, firstByteMs: number): string {
  const read = u?.cacheReadTokens ?? 0;
  const write = u?.cacheWriteTokens ?? 0;
  const metrics = {
    inputTokenCount: Math.max(0, (u?.inputTokens ?? 0) - read - write),
    outputTokenCount: u?.outputTokens ?? 0,
    invocationLatency: latencyMs,
    firstByteLatency: firstByteMs,
    cacheReadInputTokenCount: read,
    cacheWriteInputTokenCount: write,
  };
  return `${json.slice(0, -1)},"amazon-bedrock-invocationMetrics":${JSON.stringify(metrics)}}`;
}

/** A ping in a chunk: what a waiting invoke stream sends (the Anthropic SDK ignores pings). */
export const INVOKE_KEEPALIVE: Buffer = chunkMessage('{"type":"ping"}');
