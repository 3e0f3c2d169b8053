// A client's JSON body, parsed once and bounded in depth. JSON.parse itself takes any nesting, but
// JSON.stringify and sluice's recursive walkers (schema conversion, token counting) recurse per
// level: a body of 5,000 nested arrays overflowed the stack while the upstream request was built,
// and the client got a 500 "internal" for its own bad input. So a body deeper than MAX_JSON_DEPTH is
// the client's 400, before any of that runs (docs/errors.md).

import { GatewayError } from '../core/errors.ts';
import { parseJsonBytes, rememberRawJson } from '../core/raw-json.ts';

/** Far above any real request (a deeply nested tool schema has a few dozen levels), far below the stack's limit. */
export const MAX_JSON_DEPTH = 256;

/**
 * Parses a request body; throws GatewayError (400) for invalid JSON or nesting deeper than
 * MAX_JSON_DEPTH. `contentType` (the request's header) only shapes the message: a JSON body is read
 * whatever it says (curl -d sends JSON as form data), a body that is not JSON names it.
 */
export function parseClientJson(body: Buffer, contentType?: string | string[]): unknown {
  let json: unknown;
  try {
    // In pieces when large (core/raw-json.ts): the same value and errors as JSON.parse of the text.
    json = parseJsonBytes(body);
  } catch (err) {
    throw notJson(body, contentType, err as Error);
  }
  if (exceedsDepth(json, 1)) {
    throw new GatewayError('invalid_request', `request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
  }
  // A same-dialect upstream body is then spliced from these bytes, not serialised again.
  rememberRawJson(json, body);
  return json;
}

function notJson(body: Buffer, contentType: string | string[] | undefined, err: Error): GatewayError {
  if (body.toString('utf8').trim() === '') return new GatewayError('invalid_request', 'the request body is empty; send a JSON object');
  const type = typeof contentType === 'string' ? contentType.slice(0, 100) : '';
  const sent = type !== '' && !/json/i.test(type) ? ` (sent as Content-Type: ${type}; send application/json)` : '';
  return new GatewayError('invalid_request', `request body is not valid JSON${sent}: ${err.message}`);
}

/** Whether `value` (at nesting `depth`) holds a container deeper than MAX_JSON_DEPTH; stops at the limit, so it cannot overflow. */
function exceedsDepth(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_JSON_DEPTH) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (exceedsDepth(item, depth + 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) if (exceedsDepth(record[key], depth + 1)) return true;
  return false;
}
