// Checks on a real streaming chat request through the chain: status, SSE headers, compression, time
// to first byte and event, pacing, and the stream grammar (openai-sequence.ts, anthropic-sequence.ts). The request asks for
// compression as browsers do, so a compressing hop shows itself.

import { brotliDecompressSync, constants, gunzipSync, inflateSync } from 'node:zlib';
import { describeHops, detectHops, fixesFor, mergeHops } from '../hops.ts';
import { exchange, ExchangeError, headerValue, type ExchangeResult } from '../http.ts';
import { createSseRecorder, type SseRecord } from '../sse-record.ts';
import { ms, type Session } from '../session.ts';
import { analyseArrivals } from '../timing.ts';
import type { Check } from '../types.ts';
import { explainConnectError } from './reachability.ts';
import type { StreamEnding } from './sequence-common.ts';

const SEQUENCE_CHECKS = ['valid-json', 'stream-start', 'consistent-id', 'stream-end'];
const STREAM_CHECKS = ['sse-headers', 'compression', 'first-byte', 'chat-buffering', ...SEQUENCE_CHECKS];

export async function checkChatStream(s: Session, requestedModel: string | undefined): Promise<Check[]> {
  const model = requestedModel ?? (await pickModel(s));
  const { path, body } = s.target.chatRequest(model);
  const recorder = createSseRecorder();
  let encoding: string | undefined;
  let res: ExchangeResult;
  try {
    res = await exchange({
      url: s.target.url(path),
      method: 'POST',
      body,
      headers: s.target.headers({ accept: 'text/event-stream', 'accept-encoding': 'gzip, deflate, br' }),
      timeoutMs: s.target.timeoutMs,
      onHeaders(_status, headers) {
        encoding = contentEncoding(headerValue(headers, 'content-encoding'));
      },
      onChunk(chunk, at) {
        if (!encoding) recorder.push(chunk, at);
      },
    });
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    const why = explainConnectError(err, s.target.url(path));
    return [{ name: 'chat-status', status: 'fail', detail: `POST ${path} (model ${model}): ${err.message}`, ...why }, ...skipAll(STREAM_CHECKS, 'no response')];
  }
  mergeHops(s.hops, detectHops(res.headers));
  const status = statusCheck(s, res, path, model);
  if (status.status !== 'pass') return [status, ...skipAll(STREAM_CHECKS, `the chat request answered ${res.status}`)];

  const record = encoding ? replayCompressed(res, encoding) : recorder.end(res.endedAt);
  const contentType = headerValue(res.headers, 'content-type') ?? '';
  const checks = [status, headersCheck(s, res), compressionCheck(s, encoding)];
  if (!contentType.startsWith('text/event-stream')) {
    return [...checks, ...skipAll(['first-byte', 'chat-buffering', ...SEQUENCE_CHECKS], `the body is ${contentType || 'untyped'}, not an event stream`)];
  }
  const data = record.events.filter((e) => e.data !== '[DONE]');
  checks.push(firstByteCheck(res, record));
  checks.push(encoding ? skip('chat-buffering', 'compressed body: event arrival times are not measurable') : bufferingCheck(s, data.map((e) => e.at), res.startedAt));
  const ending: StreamEnding = { end: res.end, error: res.error, unterminatedTail: record.unterminatedTail, hopsText: describeHops(s.hops) };
  const sequence = s.target.probe.sequenceChecks(record.events, ending);
  return [...checks, ...sequence];
}

/** --model, else `demo` when listed (free and deterministic), else the first listed model, else `demo`. */
async function pickModel(s: Session): Promise<string> {
  try {
    const res = await exchange({ url: s.target.url('/v1/models'), headers: s.target.headers(), timeoutMs: Math.min(10_000, s.target.timeoutMs) });
    if (res.status !== 200) return 'demo';
    const ids = ((JSON.parse(res.body.toString('utf8')) as { data?: Array<{ id?: unknown }> }).data ?? [])
      .map((m) => m.id)
      .filter((id): id is string => typeof id === 'string');
    return ids.includes('demo') ? 'demo' : (ids[0] ?? 'demo');
  } catch {
    return 'demo';
  }
}

function statusCheck(s: Session, res: ExchangeResult, path: string, model: string): Check {
  const name = 'chat-status';
  const took = ms(res.headersAt - res.startedAt);
  if (res.status === 200) return { name, status: 'pass', detail: `POST ${path} model ${model} → 200 in ${took}`, data: { model } };
  const message = errorMessage(res.body);
  const detail = `POST ${path} model ${model} → ${res.status}${message ? `: ${message}` : ''}`;
  if (res.status === 401 || res.status === 403) {
    s.couldNotTest = true;
    return { name, status: 'fail', detail, culprit: 'the gateway refused the client key', fix: 'pass a valid key with --key (it is never printed)', data: { model } };
  }
  if (res.status === 404 || res.status === 400) {
    return { name, status: 'fail', detail, culprit: `the gateway does not serve model "${model}"`, fix: 'pass a configured model with --model (see GET /v1/models)', data: { model } };
  }
  return { name, status: 'fail', detail, culprit: res.status >= 500 ? 'the gateway or its upstream failed' : 'the gateway rejected the request', fix: 'check the gateway log for this request', data: { model } };
}

function headersCheck(s: Session, res: ExchangeResult): Check {
  const name = 'sse-headers';
  const type = headerValue(res.headers, 'content-type') ?? '';
  const cache = headerValue(res.headers, 'cache-control') ?? '';
  const length = headerValue(res.headers, 'content-length');
  const data = { 'content-type': type, 'cache-control': cache, 'content-length': length ?? null };
  const who = describeHops(s.hops);
  if (!type.startsWith('text/event-stream')) {
    return {
      name,
      status: 'fail',
      detail: `Content-Type is "${type}", not text/event-stream${looksLikeJson(res.body) ? ' (a complete JSON body: the stream request was answered without streaming)' : ''}`,
      culprit: `${gatewayOr(who)} answered a streaming request without an event stream`,
      fix: 'stream with Content-Type: text/event-stream (docs/protocols/sse.md §6); sluice turns JSON-bodied upstream answers into streams (docs/spec.md §4.3)',
      data,
    };
  }
  if (length !== undefined) {
    return {
      name,
      status: 'fail',
      detail: `the stream carries Content-Length: ${length}: the whole response was buffered before sending`,
      culprit: `${who ?? 'a proxy between you and the gateway'} buffers the response`,
      fix: fixesFor('buffering', s.hops),
      data,
    };
  }
  if (!/\bno-transform\b/i.test(cache)) {
    return {
      name,
      status: 'warn',
      detail: `Cache-Control is "${cache}" without no-transform: CDNs may compress or rewrite the stream`,
      culprit: `${gatewayOr(who)} does not send (or a hop rewrote) Cache-Control: no-cache, no-transform`,
      fix: 'send Cache-Control: no-cache, no-transform on streams (docs/protocols/sse.md §6); do not let proxies override it',
      data,
    };
  }
  return { name, status: 'pass', detail: `${type}; Cache-Control ${cache}; no Content-Length`, data };
}

function compressionCheck(s: Session, encoding: string | undefined): Check {
  if (!encoding) return { name: 'compression', status: 'pass', detail: 'not compressed (asked with Accept-Encoding: gzip, deflate, br)' };
  return {
    name: 'compression',
    status: 'fail',
    detail: `the event stream arrived with Content-Encoding: ${encoding}; a compressor holds events until its buffer fills`,
    culprit: `${describeHops(s.hops) ?? 'a hop between you and the gateway'} compresses the event stream`,
    fix: fixesFor('compression', s.hops),
  };
}

function firstByteCheck(res: ExchangeResult, record: SseRecord): Check {
  const headersMs = Math.round(res.headersAt - res.startedAt);
  const first = record.events[0];
  const firstEventMs = first ? Math.round(first.at - res.startedAt) : null;
  const data = { headersMs, firstEventMs, comments: record.comments.length };
  if (firstEventMs === null) return { name: 'first-byte', status: 'fail', detail: `headers after ${ms(headersMs)}, but no event arrived`, culprit: gatewayOr(undefined), fix: 'check the gateway log for this request', data };
  const comments = record.comments.length ? `; ${record.comments.length} keepalive ${record.comments.length === 1 ? 'comment' : 'comments'} while waiting` : '';
  return { name: 'first-byte', status: 'pass', detail: `headers after ${ms(headersMs)}, first event after ${ms(firstEventMs)}${comments}`, data };
}

function bufferingCheck(s: Session, arrivals: number[], startedAt: number): Check {
  const name = 'chat-buffering';
  const spread = analyseArrivals(arrivals, startedAt);
  const data = { ...spread };
  switch (spread.verdict) {
    case 'too-few':
      return { name, status: 'skip', detail: `only ${spread.events} events: too few to judge pacing`, data };
    case 'too-fast':
      return { name, status: 'skip', detail: `${spread.events} events within ${spread.streamMs} ms: too quick to tell streaming from buffering (the buffering check covers it)`, data };
    case 'spread':
      return { name, status: 'pass', detail: `${spread.events} events spread over ${ms(spread.streamMs)} (median gap ${spread.medianGapMs} ms)`, data };
  }
  const shape =
    spread.verdict === 'burst'
      ? `${spread.events} events arrived within ${spread.tailWindowMs} ms at the very end of a ${ms(spread.totalMs)} response`
      : `${spread.events} events arrived in only ${spread.deliveries} deliveries over ${ms(spread.streamMs)}`;
  if (s.debugVerdict === 'spread') {
    // The hops in front of sluice pass /debug/stream as sent, so the batching happens behind sluice.
    return {
      name,
      status: 'warn',
      detail: `${shape}, while /debug/stream arrived spread out`,
      culprit: 'the upstream model or a proxy between sluice and the upstream batches the answer',
      fix: "run sluice with --tap N to see the upstream's raw events; use streaming: native for that provider",
      data,
    };
  }
  return {
    name,
    status: spread.verdict === 'burst' ? 'fail' : 'warn',
    detail: `${shape} (buffering)`,
    culprit: `${describeHops(s.hops) ?? 'a proxy between you and the gateway'} buffers the response`,
    fix: fixesFor('buffering', s.hops),
    data,
  };
}

/** A compressed body is decoded once at the end: the events lose their arrival times, not their content. */
function replayCompressed(res: ExchangeResult, encoding: string): SseRecord {
  const recorder = createSseRecorder();
  const flush = { finishFlush: constants.Z_SYNC_FLUSH };
  try {
    const plain =
      encoding === 'br'
        ? brotliDecompressSync(res.body, { finishFlush: constants.BROTLI_OPERATION_FLUSH })
        : encoding === 'deflate'
          ? inflateSync(res.body, flush)
          : gunzipSync(res.body, flush);
    recorder.push(plain, res.endedAt);
  } catch {
    // Undecodable: the sequence checks then report an empty stream.
  }
  return recorder.end(res.endedAt);
}

function contentEncoding(value: string | undefined): string | undefined {
  const v = value?.trim().toLowerCase();
  return v && v !== 'identity' ? v : undefined;
}

function errorMessage(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message);
    if (typeof m === 'string') return m.slice(0, 200);
  } catch {
    // Not JSON: fall through to a text excerpt.
  }
  const t = text.replace(/\s+/g, ' ').trim();
  return t ? t.slice(0, 120) : undefined;
}

function looksLikeJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

function gatewayOr(who: string | undefined): string {
  return who ? `the gateway (or ${who})` : 'the gateway';
}

function skip(name: string, detail: string): Check {
  return { name, status: 'skip', detail };
}

function skipAll(names: string[], why: string): Check[] {
  return names.map((n) => skip(n, `skipped: ${why}`));
}
