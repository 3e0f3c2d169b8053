// Validation of one part of the client's body with its zod schema; a failure becomes a 400 that names
// the field as OpenAI does (`Missing required parameter: 'input[2].call_id'.`).

import type { z } from 'zod';
import { requestValidationError } from '../openai/request-errors.ts';

/** A validation failure points into the client's body: `root` is that body, `at` the checked value's path. */
export interface Where {
  root: unknown;
  at: readonly PropertyKey[];
}

export function check<T extends z.ZodType>(schema: T, value: unknown, where: Where): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ ...issue, path: [...where.at, ...issue.path] }));
  throw requestValidationError(issues as typeof result.error.issues, where.root);
}

export function pathText(at: readonly PropertyKey[]): string {
  let out = '';
  for (const key of at) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}
