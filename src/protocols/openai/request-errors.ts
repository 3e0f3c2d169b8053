// Turns the first zod issue of a rejected request into a message worded like OpenAI's own
// (`Missing required parameter: 'messages[0].content'.`, `Invalid type for 'model': expected a
// string, but got a number instead.`), with the field path as the OpenAI `param`.

import type { z } from 'zod';
import { GatewayError } from '../../core/errors.ts';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

export function requestValidationError(issues: readonly Issue[], body: unknown): GatewayError {
  const first = issues[0];
  if (!first) return new GatewayError('invalid_request', 'Invalid request body.');
  const { issue, path } = mostSpecific(first, []);
  const param = formatPath(path);
  return new GatewayError('invalid_request', describe(issue, param, valueAt(body, path)), { param: param || undefined });
}

export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * A union reports "no branch matched" with each branch's issues. The branch that got furthest into
 * the value (longest path) is the one the client meant: a content array with one bad part should
 * name that part, not say "expected a string or an array".
 */
function mostSpecific(issue: Issue, base: Path): { issue: Issue; path: Path } {
  const path = [...base, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, path };
  let best: { issue: Issue; path: Path } | undefined;
  for (const branch of issue.errors) {
    const head = branch[0];
    if (!head) continue;
    const candidate = mostSpecific(head, path);
    if (candidate.path.length > path.length && (!best || candidate.path.length > best.path.length)) best = candidate;
  }
  if (best) return best;
  // All branches failed at the union itself: one whose type matched but whose value did not
  // (`tool_choice: "sometimes"` against the string enum) says more than "expected an object".
  const valueMiss = issue.errors.filter((branch) => branch[0] !== undefined && branch[0].code !== 'invalid_type' && branch[0].path.length === 0);
  if (valueMiss.length === 1) return { issue: valueMiss[0]![0]!, path };
  return { issue, path };
}

function describe(issue: Issue, param: string, value: unknown): string {
  const field = param === '' ? 'the request body' : `'${param}'`;
  if (value === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_union' || issue.code === 'invalid_value')) {
    return `Missing required parameter: ${field}.`;
  }
  switch (issue.code) {
    case 'invalid_type':
      return `Invalid type for ${field}: expected ${article(issue.expected)}, but got ${kindOf(value)} instead.`;
    case 'invalid_union': {
      // A discriminated union whose discriminator matched no option; zod 4 adds `options` at runtime
      // although its issue type does not declare it.
      const options = (issue as { options?: unknown[] }).options;
      if (issue.errors.length === 0 && Array.isArray(options)) {
        return `Invalid value for ${field}: expected one of ${options.map(quote).join(', ')}, but got ${quote(value)}.`;
      }
      const expected = issue.errors.flatMap((branch) => (branch[0]?.code === 'invalid_type' ? [article(branch[0].expected)] : []));
      const wanted = expected.length > 0 ? [...new Set(expected)].join(' or ') : 'a different value';
      return `Invalid type for ${field}: expected ${wanted}, but got ${kindOf(value)} instead.`;
    }
    case 'invalid_value':
      return `Invalid value for ${field}: expected ${issue.values.length === 1 ? quote(issue.values[0]) : `one of ${issue.values.map(quote).join(', ')}`}, but got ${quote(value)}.`;
    case 'too_small':
      if (issue.origin === 'array' && Number(issue.minimum) <= 1) return `${field} must be a non-empty array`;
      if (issue.origin === 'string' && Number(issue.minimum) <= 1) return `${field} must be a non-empty string`;
      return `Invalid ${field}: expected ${issue.origin === 'array' ? 'at least ' : issue.inclusive ? 'a value >= ' : 'a value > '}${String(issue.minimum)}${issue.origin === 'array' ? ' items' : ''}, but got ${sizeOf(value)} instead.`;
    case 'too_big':
      return `Invalid ${field}: expected ${issue.origin === 'array' ? 'at most ' : issue.inclusive ? 'a value <= ' : 'a value < '}${String(issue.maximum)}${issue.origin === 'array' ? ' items' : ''}, but got ${sizeOf(value)} instead.`;
    default:
      return `Invalid value for ${field}: ${issue.message}.`;
  }
}

function valueAt(body: unknown, path: Path): unknown {
  let v = body;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

const ARTICLES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  null: 'null',
};

function article(expected: string): string {
  return ARTICLES[expected] ?? expected;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal';
  if (typeof value === 'object') return 'an object';
  return article(typeof value);
}

function sizeOf(value: unknown): string {
  return Array.isArray(value) ? `${value.length} items` : JSON.stringify(value) ?? String(value);
}

function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  return JSON.stringify(value) ?? String(value);
}
