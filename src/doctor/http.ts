// One HTTP exchange, timed at the byte level. The doctor uses node:http directly rather than fetch:
// it must see the body exactly as the last hop sent it (no transparent decompression, so compression
// is detectable), stamp each network chunk on arrival, tell a body that ended cleanly from one a hop
// cut (a chunked body without its final chunk), and know whether a keep-alive socket was reused.

import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

/** Epoch milliseconds from the monotonic clock: comparable with a server's `sent_at` up to a constant skew. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export interface ExchangeRequest {
  url: URL;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** A keep-alive agent to share a connection between exchanges; default: a fresh connection. */
  agent?: http.Agent;
  /** Called when the status line and headers arrive; return false to stop reading the body. */
  onHeaders?: (status: number, headers: IncomingHttpHeaders, at: number) => boolean | void;
  /** Called for every network chunk of the body with its arrival time; return false to stop reading. */
  onChunk?: (chunk: Buffer, at: number) => boolean | void;
  /** Keep up to this many body bytes in the result (default 256 KiB). */
  keepBodyBytes?: number;
  /** Abandons the exchange: before the response it rejects with code ABORTED, after it the body ends as `stopped`. */
  signal?: AbortSignal;
}

/** How the body ended: `cut` means the connection closed or reset before the end of the body. */
export type BodyEnd = 'complete' | 'cut' | 'timeout' | 'stopped';

export interface ExchangeResult {
  status: number;
  headers: IncomingHttpHeaders;
  startedAt: number;
  headersAt: number;
  endedAt: number;
  end: BodyEnd;
  /** Why the body was cut or timed out. */
  error?: string;
  /** The request went over a connection that had already served a request. */
  reusedSocket: boolean;
  body: Buffer;
  bodyBytes: number;
}

/** No response at all: the request could not be sent or no status line arrived in time. */
export class ExchangeError extends Error {
  readonly code: string;
  readonly elapsedMs: number;

  constructor(code: string, message: string, elapsedMs: number) {
    super(message);
    this.name = 'ExchangeError';
    this.code = code;
    this.elapsedMs = elapsedMs;
  }
}

const DEFAULT_KEEP_BODY = 256 * 1024;

export function exchange(req: ExchangeRequest): Promise<ExchangeResult> {
  const startedAt = now();
  const keepLimit = req.keepBodyBytes ?? DEFAULT_KEEP_BODY;
  const transport = req.url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(Buffer.byteLength(req.body));
  }
  return new Promise<ExchangeResult>((resolve, reject) => {
    let settled = false;
    let result: ExchangeResult | undefined;
    const kept: Buffer[] = [];
    let keptBytes = 0;

    const finish = (end: BodyEnd, error?: string): void => {
      if (settled || !result) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', abort);
      result.end = end;
      result.endedAt = now();
      if (error !== undefined) result.error = error;
      result.body = Buffer.concat(kept, keptBytes);
      resolve(result);
    };
    const fail = (code: string, message: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', abort);
      reject(new ExchangeError(code, message, now() - startedAt));
    };

    const request = transport.request(req.url, { method: req.method ?? 'GET', headers, agent: req.agent ?? false });
    const timer = setTimeout(() => {
      if (result) finish('timeout', `no end of body after ${req.timeoutMs} ms`);
      else fail('TIMEOUT', `no response within ${req.timeoutMs} ms`);
      request.destroy();
    }, req.timeoutMs);

    const abort = (): void => {
      if (result) finish('stopped');
      else fail('ABORTED', 'abandoned');
      request.destroy();
    };
    if (req.signal?.aborted) queueMicrotask(abort);
    else req.signal?.addEventListener('abort', abort, { once: true });

    request.on('error', (err: NodeJS.ErrnoException) => {
      if (result) finish('cut', err.message);
      else fail(err.code ?? 'ERROR', err.message);
    });
    request.on('response', (res) => {
      const headersAt = now();
      result = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        startedAt,
        headersAt,
        endedAt: headersAt,
        end: 'complete',
        reusedSocket: request.reusedSocket,
        body: Buffer.alloc(0),
        bodyBytes: 0,
      };
      const stop = (): void => {
        finish('stopped');
        res.destroy();
        request.destroy();
      };
      if (req.onHeaders?.(result.status, res.headers, headersAt) === false) return stop();
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        const at = now();
        result!.bodyBytes += chunk.length;
        if (keptBytes < keepLimit) {
          const part = chunk.length <= keepLimit - keptBytes ? chunk : chunk.subarray(0, keepLimit - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
        if (req.onChunk?.(chunk, at) === false) stop();
      });
      res.on('end', () => finish('complete'));
      // 'close' without 'end': the body was cut (e.g. a chunked body without its terminating chunk).
      res.on('close', () => finish('cut', 'connection closed before the end of the body'));
      res.on('error', (err) => finish('cut', err.message));
    });
    request.end(req.body);
  });
}

/** A keep-alive agent with one socket, so consecutive exchanges share one connection when the server allows. */
export function singleConnectionAgent(url: URL): http.Agent {
  const options = { keepAlive: true, maxSockets: 1 };
  return url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
