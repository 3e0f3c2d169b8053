// One JSON line per request on stdout (SPEC §5). Records carry names, never secrets: the key's name,
// the provider's name, the model. pino's redact paths are a second net for every other log call.
//
// Cost (bench/RESULTS.md): logging was the largest per-request item after the I/O itself. Lines are
// written asynchronously in batches (up to LOG_BATCH_BYTES, at most LOG_FLUSH_MS late; pino flushes
// the rest on exit) rather than one fs.write through the thread pool per line; a warning or an error
// flushes at once. The request line skips pino's generic path and its redact pass (logRecord), and
// request lines are gathered in an array and handed to the destination a batch at a time (LineBatch):
// sonic-boom appends each string to the last and measures the result's byte length, which flattens
// it, so handing it lines one by one copied half a batch per line (docs/operations.md, "The request
// log").

import pino, { type Logger } from 'pino';
import type { RequestRecord } from '../gateway/pipeline.ts';

const LOG_BATCH_BYTES = 16384;
/** sonic-boom's cap on one write (it must exceed minLength); batches split at line boundaries under it. */
const LOG_MAX_WRITE = 65536;
const LOG_FLUSH_MS = 100;
/**
 * Cluster workers share one stdout: a write of at most PIPE_BUF (4096 bytes on Linux) to a pipe is
 * atomic, so batches are capped there and only ever hold whole lines (sonic-boom splits batches at
 * line boundaries under maxWrite), and two workers' lines never interleave mid-line.
 */
const WORKER_BATCH_BYTES = 2048;
const WORKER_MAX_WRITE = 4096;
/** The cluster worker id in every line (0: the primary), undefined outside a cluster. */
let workerId: number | undefined;
/** pino's numeric level of `warn`. */
const WARN = 40;
const noop = (): void => {};

/** Makes every later logger (and the request lines) carry `worker: id`; call before createLogger. */
export function setLogWorker(id: number): void {
  workerId = id;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const batched =
    destination === undefined
      ? pino.destination(
          workerId === undefined
            ? { fd: 1, sync: false, minLength: LOG_BATCH_BYTES, maxWrite: LOG_MAX_WRITE, periodicFlush: LOG_FLUSH_MS }
            : { fd: 1, sync: false, minLength: WORKER_BATCH_BYTES, maxWrite: WORKER_MAX_WRITE, periodicFlush: LOG_FLUSH_MS },
        )
      : undefined;
  const lines = batched && new LineBatch(batched, workerId === undefined ? LOG_BATCH_BYTES : WORKER_BATCH_BYTES);
  const logger = pino(
    {
      level,
      hooks: lines && {
        logMethod(args, method, lvl) {
          // Request lines gathered so far go first: the log stays in the order things happened.
          lines.release();
          method.apply(this, args);
          // With a callback, a flush also covers a write already in progress.
          if (lvl >= WARN) batched.flush(noop);
        },
      },
      base: workerId === undefined ? undefined : { worker: workerId },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['api_key', 'apiKey', 'key', 'authorization', '*.authorization', '*.api_key', '*.apiKey', 'headers["x-api-key"]'],
        censor: '[redacted]',
      },
    },
    batched ?? destination!,
  );
  if (lines) batches.set(logger, lines);
  return logger;
}

/** The request lines not yet handed to the destination, per logger (loggers built by createLogger with stdout). */
const batches = new WeakMap<Logger, LineBatch>();

type SonicBoom = ReturnType<typeof pino.destination>;

/**
 * Request lines held in an array until they make a batch, then handed to the destination as one
 * string. Whatever flushes the destination (pino's flush, its periodic flush, its exit handler,
 * a warning) releases them first, so none waits longer or is lost on exit.
 */
class LineBatch {
  private readonly lines: string[] = [];
  private chars = 0;
  private readonly stream: SonicBoom;
  private readonly limit: number;

  constructor(stream: SonicBoom, limit: number) {
    this.stream = stream;
    this.limit = limit;
    const flush = stream.flush.bind(stream);
    const flushSync = stream.flushSync.bind(stream);
    stream.flush = (cb?: (err?: Error) => unknown): void => {
      this.release();
      flush(cb);
    };
    stream.flushSync = (): void => {
      this.release();
      flushSync();
    };
  }

  push(line: string): void {
    this.lines.push(line);
    // UTF-16 units, bytes for the ASCII a request line nearly always is: a batch's size, not a bound.
    this.chars += line.length;
    if (this.chars >= this.limit) this.release();
  }

  release(): void {
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines.length = 0;
    this.chars = 0;
    this.stream.write(text);
  }
}

/**
 * The request line, in pino's format (level label, ISO time, the fields, msg), serialised with one
 * JSON.stringify of a fixed-shape object and handed to the logger's destination: pino's generic
 * path (hooks, per-key serialisation, the redact pass) cost more than the rest of the request
 * bookkeeping together. The fields are a fixed list of names, never a secret.
 */
export function logRecord(log: Logger, r: RequestRecord): void {
  if (!log.isLevelEnabled('info')) return;
  const line = JSON.stringify({
    level: 'info',
    time: new Date().toISOString(),
    // Omitted by JSON.stringify outside a cluster.
    worker: workerId,
    request_id: r.requestId,
    key_name: r.keyName ?? null,
    front: r.front,
    model: r.model,
    stream: r.stream,
    target: r.target ?? null,
    attempts: r.attempts,
    retries: r.retries,
    failovers: r.failovers,
    continuations: r.continuations ?? 0,
    status: r.status,
    end_reason: r.endReason,
    error: r.errorCode ?? null,
    ttfe_ms: r.firstEventMs < 0 ? null : round(r.firstEventMs),
    total_ms: round(r.totalMs),
    events: r.events,
    tokens_in: r.usage?.inputTokens ?? null,
    tokens_out: r.usage?.outputTokens ?? null,
    // Parts of tokens_in (cache) and tokens_out (reasoning), when the upstream reported them (SPEC §5).
    tokens_cache_read: r.usage?.cacheReadTokens ?? null,
    tokens_cache_write: r.usage?.cacheWriteTokens ?? null,
    tokens_reasoning: r.usage?.reasoningTokens ?? null,
    tokens_estimated: r.usage?.estimated === true,
    cost_usd: r.costUsd ?? null,
    msg: 'request',
  });
  const lines = batches.get(log);
  if (lines !== undefined) lines.push(`${line}\n`);
  else (log as unknown as Record<symbol, { write(chunk: string): unknown }>)[pino.symbols.streamSym]!.write(`${line}\n`);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
