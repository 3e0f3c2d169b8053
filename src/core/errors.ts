// One error type per failure kind, in one table (fastify FST_ERR_*, undici UND_ERR_*): a stable code,
// the HTTP status a client sees before the commit point, and whether another attempt may succeed.
// Fronts render a GatewayError in their own dialect (protocols/<name>/errors.ts).

export const ERROR_KINDS = {
  // The client's request.
  invalid_request: { status: 400, retryable: false },
  unauthorized: { status: 401, retryable: false },
  forbidden: { status: 403, retryable: false },
  model_not_found: { status: 404, retryable: false },
  not_found: { status: 404, retryable: false },
  body_too_large: { status: 413, retryable: false },
  /** The request body did not arrive in time (docs/operations.md, slow clients). */
  request_timeout: { status: 408, retryable: false },
  rate_limited: { status: 429, retryable: false },
  /** A key's spend limit for the period is reached (SPEC §12); retry-after runs to the reset. */
  budget_exceeded: { status: 429, retryable: false },
  unsupported: { status: 400, retryable: false },
  // The upstream answered with an error status.
  upstream_client_error: { status: 400, retryable: false },
  upstream_auth: { status: 401, retryable: false },
  upstream_rate_limited: { status: 429, retryable: true },
  upstream_error: { status: 502, retryable: true },
  upstream_overloaded: { status: 503, retryable: true },
  upstream_timeout: { status: 504, retryable: true },
  // The upstream could not be reached or broke the stream.
  upstream_unreachable: { status: 502, retryable: true },
  connect_timeout: { status: 504, retryable: true },
  first_byte_timeout: { status: 504, retryable: true },
  idle_timeout: { status: 504, retryable: true },
  total_timeout: { status: 504, retryable: false },
  stream_truncated: { status: 502, retryable: true },
  upstream_malformed: { status: 502, retryable: true },
  // sluice itself.
  no_targets: { status: 503, retryable: false },
  shutdown: { status: 503, retryable: false },
  internal: { status: 500, retryable: false },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_KINDS;

export interface GatewayErrorOptions {
  status?: number;
  retryable?: boolean;
  cause?: unknown;
  /** Milliseconds the upstream asked us to wait (retry-after), forwarded to clients on 429/503/529. */
  retryAfterMs?: number;
  /** The provider name of the failing target (never its key or URL). */
  target?: string;
  /** The upstream's own error type string, when it gave one (e.g. overloaded_error). */
  upstreamType?: string;
  /** The status the upstream answered with, when there was one. */
  upstreamStatus?: number;
  /** Which request field was wrong (OpenAI `param`). */
  param?: string;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly target?: string;
  readonly upstreamType?: string;
  readonly upstreamStatus?: number;
  readonly param?: string;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_KINDS[code].status;
    this.retryable = options.retryable ?? ERROR_KINDS[code].retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.target = options.target;
    this.upstreamType = options.upstreamType;
    this.upstreamStatus = options.upstreamStatus;
    this.param = options.param;
  }

  /** A copy asking the client to come back after `ms` (retry-after), with `note` added to the message. */
  withRetryAfter(ms: number, note: string): GatewayError {
    return new GatewayError(this.code, `${this.message}; ${note}`, {
      status: this.status,
      retryable: this.retryable,
      cause: this.cause,
      retryAfterMs: ms,
      target: this.target,
      upstreamType: this.upstreamType,
      upstreamStatus: this.upstreamStatus,
      param: this.param,
    });
  }

  /** A copy with another message (e.g. one with secrets removed), everything else the same. */
  withMessage(message: string): GatewayError {
    return new GatewayError(this.code, message, {
      status: this.status,
      retryable: this.retryable,
      cause: this.cause,
      retryAfterMs: this.retryAfterMs,
      target: this.target,
      upstreamType: this.upstreamType,
      upstreamStatus: this.upstreamStatus,
      param: this.param,
    });
  }

  /** A copy naming the failing target in its message, as SPEC §4.2 asks. */
  withTarget(target: string): GatewayError {
    const message = this.message.includes(`provider ${target}`) ? this.message : `${this.message} (provider ${target})`;
    if (this.target === target && message === this.message) return this;
    return new GatewayError(this.code, message, {
      status: this.status,
      retryable: this.retryable,
      cause: this.cause,
      retryAfterMs: this.retryAfterMs,
      target,
      upstreamType: this.upstreamType,
      upstreamStatus: this.upstreamStatus,
      param: this.param,
    });
  }
}

export function isGatewayError(e: unknown): e is GatewayError {
  return e instanceof GatewayError;
}

/**
 * Classify an upstream HTTP error status (translation.md §8). 401/403 are auth failures of sluice's
 * upstream credentials; 400/404/409/422 are the client's request as the upstream saw it.
 */
export function codeForUpstreamStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'upstream_auth';
  if (status === 408 || status === 504) return 'upstream_timeout';
  if (status === 429) return 'upstream_rate_limited';
  if (status === 503 || status === 529) return 'upstream_overloaded';
  if (status >= 500) return 'upstream_error';
  return 'upstream_client_error';
}

/** The status a client sees for an upstream error status (translation.md §8; SPEC §4.2: 502/503/504 for upstream failures). */
export function clientStatusForUpstream(status: number): number {
  if (status === 408 || status === 504) return 504;
  if (status === 503 || status === 529) return 503;
  if (status >= 500) return 502;
  if (status === 409) return 409; // SPEC §4.6 retries 409 before giving up; OpenAI keeps it
  return status;
}

/** SPEC §4.6: which upstream statuses move on to another attempt. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Parse retry-after (seconds or HTTP date) and retry-after-ms headers into milliseconds. */
export function parseRetryAfter(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ms = first(headers['retry-after-ms']);
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const ra = first(headers['retry-after']);
  if (ra === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.ceil(Number(ra) * 1000);
  const date = Date.parse(ra);
  if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
  return undefined;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
