// Bedrock errors <-> GatewayError (bedrock.md §5, §7; ). Before a stream: an HTTP status,
// the type in `x-amzn-ErrorType` (`ValidationException:http://internal.amazon.com/coral/…`) or the
// body's `__type`/`code`, and `{"message"}`. Inside a stream: an exception message whose
// `:exception-type` is the lower-camel member name (`throttlingException`). Both are mapped by type,
// not by status: ServiceQuotaExceededException is a 400 that means "rate limited".

import { GatewayError, codeForUpstreamStatus, clientStatusForUpstream, parseRetryAfter, type ErrorCode } from '../../core/errors.ts';

interface Kind {
  code: ErrorCode;
  status: number;
}

/** Exception type -> what sluice makes of it (status codes: the `@httpError` traits, bedrock.md §7). */
const BY_TYPE: Readonly<Record<string, Kind>> = {
  ValidationException: { code: 'upstream_client_error', status: 400 },
  ResourceNotFoundException: { code: 'upstream_client_error', status: 404 },
  // An ARN with a raw `/` reaches no operation: the path, not the client, is wrong.
  UnknownOperationException: { code: 'upstream_client_error', status: 404 },
  AccessDeniedException: { code: 'upstream_auth', status: 403 },
  UnrecognizedClientException: { code: 'upstream_auth', status: 403 },
  InvalidSignatureException: { code: 'upstream_auth', status: 403 },
  IncompleteSignatureException: { code: 'upstream_auth', status: 403 },
  MissingAuthenticationTokenException: { code: 'upstream_auth', status: 403 },
  ExpiredTokenException: { code: 'upstream_auth', status: 403 },
  // Decision (bedrock.md §7): account quota reads as a rate limit, like throttling.
  ServiceQuotaExceededException: { code: 'upstream_rate_limited', status: 429 },
  ThrottlingException: { code: 'upstream_rate_limited', status: 429 },
  ModelNotReadyException: { code: 'upstream_overloaded', status: 503 },
  ServiceUnavailableException: { code: 'upstream_overloaded', status: 503 },
  ModelTimeoutException: { code: 'upstream_timeout', status: 504 },
  ModelErrorException: { code: 'upstream_error', status: 502 },
  ModelStreamErrorException: { code: 'upstream_error', status: 502 },
  InternalServerException: { code: 'upstream_error', status: 502 },
  InternalFailure: { code: 'upstream_error', status: 502 },
};

/** What to check when Bedrock refused sluice's credentials: the fix is in sluice's config, not the request. */
const AUTH_HINT: Readonly<Record<string, string>> = {
  InvalidSignatureException: ' (check the secret access key and the region of the provider)',
  UnrecognizedClientException: ' (the access key id or session token is not valid)',
  ExpiredTokenException: ' (the session token has expired)',
  MissingAuthenticationTokenException: ' (no credentials were sent)',
};

const MAX_TEXT = 500;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `ValidationException:http://…` / `com.amazon.coral.service#UnknownOperationException` -> the bare name. */
export function bareType(raw: string): string {
  let t = raw;
  const colon = t.indexOf(':');
  if (colon >= 0) t = t.slice(0, colon);
  const hash = t.lastIndexOf('#');
  if (hash >= 0) t = t.slice(hash + 1);
  return t.trim();
}

function truncate(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

/** An error reply before the stream (status ≥ 400, or a 200 body that is an error: Q-33). */
export function decodeBedrockError(status: number, bodyText: string, headers: Headers): GatewayError {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: the status decides
  }
  const output = body?.Output;
  const inner = typeof output === 'object' && output !== null ? (output as Record<string, unknown>) : undefined;
  const rawType =
    header(headers, 'x-amzn-errortype') ??
    (typeof body?.__type === 'string' ? body.__type : undefined) ??
    (typeof inner?.__type === 'string' ? inner.__type : undefined) ??
    (typeof body?.code === 'string' ? body.code : undefined);
  const type = rawType === undefined ? undefined : bareType(rawType);
  const text = messageOf(body) ?? messageOf(inner) ?? bodyText.trim();
  return errorFor(type, text, status >= 400 ? status : undefined, parseRetryAfter(headers));
}

/** An exception message inside a 200 stream (`exception:<type>` from the framing, JSON payload). */
export function streamException(exceptionType: string, payload: string): GatewayError {
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // a payload that is not JSON still ends the stream with this exception
  }
  const type = exceptionType === '' ? 'InternalServerException' : exceptionType[0].toUpperCase() + exceptionType.slice(1);
  let message = messageOf(body) ?? 'the model stream failed';
  // modelStreamErrorException carries the model's own status and message (bedrock.md §5).
  if (typeof body?.originalMessage === 'string' && body.originalMessage !== '' && !message.includes(body.originalMessage)) {
    message += `: ${body.originalMessage}`;
  }
  return errorFor(type, message, undefined, undefined);
}

function messageOf(body: Record<string, unknown> | undefined): string | undefined {
  const m = body?.message ?? body?.Message;
  return typeof m === 'string' && m !== '' ? m : undefined;
}

function errorFor(type: string | undefined, text: string, upstreamStatus: number | undefined, retryAfterMs: number | undefined): GatewayError {
  const kind = type !== undefined && Object.hasOwn(BY_TYPE, type) ? BY_TYPE[type] : undefined;
  const status = upstreamStatus ?? kind?.status ?? 502;
  const code = kind?.code ?? codeForUpstreamStatus(status);
  const what = type ?? `HTTP ${status}`;
  const body = text === '' ? 'no message' : truncate(text);
  const hint = type !== undefined && Object.hasOwn(AUTH_HINT, type) ? AUTH_HINT[type] : '';
  return new GatewayError(code, `Bedrock ${what}: ${body}${hint}`, {
    status: kind?.status ?? clientStatusForUpstream(status),
    upstreamStatus,
    upstreamType: type,
    retryAfterMs,
  });
}

// ---------------------------------------------------------------------------------------------------
// Front side: a GatewayError for a Bedrock client. Before the stream: status, `{"message"}` and
// `x-amzn-ErrorType`, which is what the AWS SDK reads to raise a typed exception
// (`loadRestJsonErrorCode`). After it: an exception message of a type ConverseStream declares.

/** The exception type a client sees for each error code. */
const FRONT_TYPE: Readonly<Record<ErrorCode, string>> = {
  invalid_request: 'ValidationException',
  unsupported: 'ValidationException',
  body_too_large: 'ValidationException',
  // The body did not arrive in time; ConverseStream declares no such exception, so the AWS SDK raises
  // a generic ServiceException under this name.
  request_timeout: 'RequestTimeoutException',
  upstream_client_error: 'ValidationException',
  unauthorized: 'UnrecognizedClientException',
  forbidden: 'AccessDeniedException',
  upstream_auth: 'AccessDeniedException',
  model_not_found: 'ResourceNotFoundException',
  not_found: 'ResourceNotFoundException',
  rate_limited: 'ThrottlingException',
  // A key over its spend budget: 429 with retry-after until the reset (SPEC §12); Bedrock's nearest is a quota.
  budget_exceeded: 'ServiceQuotaExceededException',
  upstream_rate_limited: 'ThrottlingException',
  upstream_overloaded: 'ServiceUnavailableException',
  no_targets: 'ServiceUnavailableException',
  // The gateway stopped and its drain timeout ended the request (docs/operations.md).
  shutdown: 'ServiceUnavailableException',
  upstream_unreachable: 'ServiceUnavailableException',
  upstream_timeout: 'ModelTimeoutException',
  connect_timeout: 'ModelTimeoutException',
  first_byte_timeout: 'ModelTimeoutException',
  idle_timeout: 'ModelTimeoutException',
  total_timeout: 'ModelTimeoutException',
  upstream_error: 'ModelErrorException',
  stream_truncated: 'ModelErrorException',
  upstream_malformed: 'ModelErrorException',
  internal: 'InternalServerException',
};

export function frontErrorType(err: GatewayError): string {
  // An upstream 404 (unknown model there) is a missing resource, not a validation error.
  if (err.code === 'upstream_client_error' && err.status === 404) return 'ResourceNotFoundException';
  return FRONT_TYPE[err.code] ?? 'InternalServerException';
}

export function encodeBedrockError(err: GatewayError): { status: number; body: string; headers: Record<string, string> } {
  const type = frontErrorType(err);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-errortype': type };
  if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.ceil(err.retryAfterMs / 1000));
  // A missing or wrong client key keeps SPEC §4.2's 401 (AWS itself answers 403): the AWS SDK names
  // the exception from x-amzn-ErrorType whatever the status (docs/protocols/bedrock.md §7).
  return { status: err.status, body: JSON.stringify({ message: err.message }), headers };
}

/**
 * ConverseStream declares five exceptions (`de_ConverseStreamOutput`): a failure after the commit
 * point is told as the nearest one, so the SDK raises it typed.
 */
export function streamExceptionFor(err: GatewayError): { type: string; json: string } {
  let type: string;
  switch (err.code) {
    case 'rate_limited':
    case 'upstream_rate_limited':
      type = 'throttlingException';
      break;
    case 'upstream_overloaded':
    case 'no_targets':
      type = 'serviceUnavailableException';
      break;
    case 'invalid_request':
    case 'unsupported':
    case 'upstream_client_error':
      type = 'validationException';
      break;
    case 'internal':
      type = 'internalServerException';
      break;
    default:
      type = 'modelStreamErrorException';
  }
  const body: Record<string, unknown> = { message: err.message };
  if (type === 'modelStreamErrorException' && err.upstreamStatus !== undefined) body.originalStatusCode = err.upstreamStatus;
  return { type, json: JSON.stringify(body) };
}
