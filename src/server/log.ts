// One JSON line per request on stdout (SPEC §5). Records carry names, never secrets: the key's name,
// the provider's name, the model. pino's redact paths are a second net for anything added later.

import pino, { type Logger } from 'pino';
import type { RequestRecord } from '../gateway/pipeline.ts';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['api_key', 'apiKey', 'key', 'authorization', '*.authorization', '*.api_key', '*.apiKey', 'headers["x-api-key"]'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export function logRecord(log: Logger, r: RequestRecord): void {
  log.info(
    {
      request_id: r.requestId,
      key_name: r.keyName ?? null,
      front: r.front,
      model: r.model,
      stream: r.stream,
      target: r.target ?? null,
      attempts: r.attempts,
      retries: r.retries,
      failovers: r.failovers,
      status: r.status,
      end_reason: r.endReason,
      error: r.errorCode ?? null,
      ttfe_ms: r.firstEventMs < 0 ? null : round(r.firstEventMs),
      total_ms: round(r.totalMs),
      events: r.events,
      tokens_in: r.usage?.inputTokens ?? null,
      tokens_out: r.usage?.outputTokens ?? null,
      tokens_estimated: r.usage?.estimated === true,
    },
    'request',
  );
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
