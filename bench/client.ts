// The client side of the bench: request bodies in each client dialect, a bounded load generator,
// timed streams, and many held-open streams. Every loop is bounded by a count and a deadline, and
// only 127.0.0.1 is ever addressed.

import { Pool } from 'undici';

export type Dialect = 'openai' | 'anthropic' | 'responses' | 'cohere' | 'gemini';

/** How a client reaches one contender for one kind of upstream. */
export interface Endpoint {
  port: number;
  path: string;
  headers: Record<string, string>;
  /** The client's dialect: decides the body shape, what a content event looks like and how a stream ends. */
  dialect: Dialect;
  /** Model name sent by the client. */
  model: string;
}

export function requestBody(ep: Endpoint, text: string, stream: boolean): string {
  // Gemini: the model and whether it streams are in the path (requestPath).
  if (ep.dialect === 'gemini') return JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }] });
  const messages = [{ role: 'user', content: text }];
  if (ep.dialect === 'responses') return JSON.stringify({ model: ep.model, stream, store: false, input: text });
  return ep.dialect !== 'anthropic'
    ? JSON.stringify({ model: ep.model, stream, messages })
    : JSON.stringify({ model: ep.model, stream, max_tokens: 1024, messages });
}

/** Gemini endpoints are `…/models/{model}` plus the method (gemini.md §8.1). */
function requestPath(ep: Endpoint, stream: boolean): string {
  if (ep.dialect !== 'gemini') return ep.path;
  return `${ep.path}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
}

/** A user message carrying `sluice mock` directives. */
export function mockText(directives: string): string {
  return `bench [[mock ${directives}]]`;
}

export function pool(port: number, connections = 64): Pool {
  return new Pool(`http://127.0.0.1:${port}`, { connections, keepAliveTimeout: 30_000, headersTimeout: 60_000, bodyTimeout: 120_000 });
}

// Cohere's last event is message-end; a failed one says ERROR/TIMEOUT instead of COMPLETE. Gemini has
// no terminal event: its last chunk carries the finishReason.
const TERMINAL: Record<Dialect, string> = {
  openai: 'data: [DONE]',
  anthropic: 'event: message_stop',
  responses: 'event: response.completed',
  cohere: '"finish_reason":"COMPLETE"',
  gemini: '"finishReason"',
};
const CONTENT: Record<Dialect, (line: string) => boolean> = {
  openai: (line) => /"content":"[^"]/.test(line),
  anthropic: (line) => line.includes('"text_delta"'),
  responses: (line) => line.includes('"response.output_text.delta"'),
  cohere: (line) => /"content-delta".*"text":"[^"]/.test(line),
  gemini: (line) => /"text":"[^"]/.test(line),
};
const TAIL = 256;
const RESPONSES_TERMINAL = Buffer.from('event: response.completed');

/**
 * Whether a stream reached its dialect's terminal event. OpenAI and Anthropic streams end with it, so
 * their last bytes tell; a Responses stream's terminal event carries the whole response (every output
 * item, usage), so its name is looked for in each chunk (Buffer.indexOf, with the previous chunk's end
 * for a name split across two).
 */
class TerminalWatch {
  readonly #dialect: Dialect;
  #seen = false;
  #carry: Buffer = Buffer.alloc(0);

  constructor(dialect: Dialect) {
    this.#dialect = dialect;
  }

  push(chunk: Buffer): void {
    if (this.#dialect !== 'responses' || this.#seen) return;
    const n = RESPONSES_TERMINAL.length;
    if (chunk.indexOf(RESPONSES_TERMINAL) >= 0 || Buffer.concat([this.#carry, chunk.subarray(0, n)]).indexOf(RESPONSES_TERMINAL) >= 0) this.#seen = true;
    this.#carry = chunk.subarray(Math.max(0, chunk.length - n));
  }

  complete(tail: string): boolean {
    return this.#dialect === 'responses' ? this.#seen : tail.includes(TERMINAL[this.#dialect]);
  }
}

function send(p: Pool, ep: Endpoint, text: string, stream: boolean) {
  return p.request({
    method: 'POST',
    path: requestPath(ep, stream),
    headers: { 'content-type': 'application/json', ...ep.headers },
    body: requestBody(ep, text, stream),
  });
}

export interface LoadResult {
  completed: number;
  failed: number;
  wallMs: number;
  /** The first failure, for the report. */
  error?: string;
}

/**
 * Runs up to `total` requests with `concurrency` in flight, stopping at the deadline. A stream counts
 * as completed only when it ended with its dialect's terminal event.
 */
export async function load(
  p: Pool,
  ep: Endpoint,
  text: string,
  opts: { total: number; concurrency: number; deadlineMs: number; stream: boolean },
): Promise<LoadResult> {
  const start = performance.now();
  const deadline = start + opts.deadlineMs;
  let issued = 0;
  const result: LoadResult = { completed: 0, failed: 0, wallMs: 0 };
  const fail = (why: string): void => {
    result.failed++;
    result.error ??= why;
  };
  const worker = async (): Promise<void> => {
    while (issued < opts.total && performance.now() < deadline) {
      issued++;
      try {
        const res = await send(p, ep, text, opts.stream);
        let tail = '';
        let bytes = 0;
        const terminal = new TerminalWatch(ep.dialect);
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          terminal.push(chunk);
          tail = chunk.length >= TAIL ? chunk.toString('latin1', chunk.length - TAIL) : (tail + chunk.toString('latin1')).slice(-TAIL);
        }
        if (res.statusCode !== 200) fail(`status ${res.statusCode}: ${tail.slice(0, 200)}`);
        else if (opts.stream && !terminal.complete(tail)) fail(`stream ended without ${TERMINAL[ep.dialect]}: …${tail.slice(-120)}`);
        else if (!opts.stream && bytes === 0) fail('empty body');
        else result.completed++;
      } catch (err) {
        fail((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  result.wallMs = performance.now() - start;
  return result;
}

/** Counts the content-bearing events (model text) in a chunk of SSE bytes from a `dialect` server. */
export function countContentEvents(chunk: Buffer, dialect: Dialect): number {
  let n = 0;
  let i = -1;
  while ((i = chunk.indexOf('data:', i + 1)) >= 0) {
    if (i !== 0 && chunk[i - 1] !== 0x0a && chunk[i - 1] !== 0x0d) continue;
    const end = chunk.indexOf(0x0a, i);
    const line = chunk.toString('utf8', i, end < 0 ? chunk.length : end);
    if (CONTENT[dialect](line)) n++;
  }
  return n;
}

export interface TimedStream {
  /** performance.now() when the request was sent. */
  sentAt: number;
  /** performance.now() at the arrival of each content event, in order. */
  contentArrivals: number[];
  bytes: number;
  complete: boolean;
}

/**
 * One streaming request, timing each content event as its bytes arrive ('data' events, no async
 * iterator in between, so the figure is as close to the socket as a client gets).
 */
export async function timedStream(p: Pool, ep: Endpoint, text: string): Promise<TimedStream> {
  const sentAt = performance.now();
  const res = await send(p, ep, text, true);
  const out: TimedStream = { sentAt, contentArrivals: [], bytes: 0, complete: false };
  let tail = '';
  const terminal = new TerminalWatch(ep.dialect);
  await new Promise<void>((resolve, reject) => {
    res.body.on('data', (chunk: Buffer) => {
      const now = performance.now();
      out.bytes += chunk.length;
      terminal.push(chunk);
      for (let n = countContentEvents(chunk, ep.dialect); n > 0; n--) out.contentArrivals.push(now);
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - TAIL))).slice(-TAIL);
    });
    res.body.on('end', () => resolve());
    res.body.on('error', reject);
  });
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${tail.slice(0, 200)}`);
  out.complete = terminal.complete(tail);
  return out;
}

/** One request drained as fast as possible: wall time, bytes and whether it ended properly. */
export async function drain(p: Pool, ep: Endpoint, text: string): Promise<{ ms: number; bytes: number; complete: boolean }> {
  const t0 = performance.now();
  const res = await send(p, ep, text, true);
  let bytes = 0;
  let tail = '';
  const terminal = new TerminalWatch(ep.dialect);
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    terminal.push(chunk);
    tail = chunk.length >= TAIL ? chunk.toString('latin1', chunk.length - TAIL) : (tail + chunk.toString('latin1')).slice(-TAIL);
  }
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${tail.slice(0, 200)}`);
  return { ms: performance.now() - t0, bytes, complete: terminal.complete(tail) };
}

export interface HeldStreams {
  /** Streams open and past their first content event. */
  held: number;
  failed: number;
  error?: string;
  /** Closes every held stream (the client hangs up). */
  release(): Promise<void>;
}

/**
 * Opens up to `n` streams whose upstream stalls after its first events, and keeps them open. Each
 * counts once its first content event arrived (the gateway committed it). At most `parallel` are
 * being opened at a time; the whole thing stops at the deadline.
 */
export async function holdStreams(port: number, ep: Endpoint, text: string, n: number, opts: { parallel: number; deadlineMs: number }): Promise<HeldStreams> {
  const p = pool(port, n + 16);
  const deadline = performance.now() + opts.deadlineMs;
  const out: HeldStreams = {
    held: 0,
    failed: 0,
    release: async () => {
      await p.destroy();
    },
  };
  let issued = 0;
  const openOne = async (): Promise<void> => {
    const res = await send(p, ep, text, true);
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no content event within 15 s')), 15_000);
      const onData = (chunk: Buffer): void => {
        if (countContentEvents(chunk, ep.dialect) > 0) {
          clearTimeout(timer);
          res.body.off('data', onData);
          // Keep reading (keepalives) so the stream stays healthy; nothing else arrives.
          res.body.on('data', () => {});
          resolve();
        }
      };
      res.body.on('data', onData);
      res.body.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      res.body.on('end', () => {
        clearTimeout(timer);
        reject(new Error('stream ended while it should stall'));
      });
    });
  };
  const worker = async (): Promise<void> => {
    while (issued < n && performance.now() < deadline) {
      issued++;
      try {
        await openOne();
        out.held++;
      } catch (err) {
        out.failed++;
        out.error ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.parallel }, worker));
  return out;
}
