// zod issues → `path: message` problems worded for people editing YAML. Values are echoed only
// for enum-like fields (never free text, so a secret cannot leak into a message), and each
// unknown field gets its own line with a "did you mean" from the fields that object accepts.

import type { z } from 'zod';
import { type ConfigPath, type ProblemList, formatPath } from './errors.ts';
import { didYouMean } from './suggest.ts';

type Issue = z.core.$ZodIssue;
type Schema = z.core.$ZodType;

// The parts of zod's schema definitions needed to find which fields an object accepts.
interface LooseDef {
  type: string;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
  innerType?: Schema;
  in?: Schema;
  out?: Schema;
}

const defOf = (schema: Schema): LooseDef => schema._zod.def as unknown as LooseDef;

function unwrap(schema: Schema): Schema {
  for (;;) {
    const def = defOf(schema);
    if (def.innerType !== undefined) schema = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined && def.out !== undefined) {
      schema = defOf(def.in).type === 'transform' ? def.out : def.in;
    } else return schema;
  }
}

/** Field names the object schema at `path` (relative to `schema`) accepts. */
function fieldsAt(schema: Schema, path: readonly PropertyKey[]): string[] {
  let current: Schema | undefined = unwrap(schema);
  for (const segment of path) {
    const def: LooseDef = defOf(current);
    if (def.type === 'object') current = def.shape?.[String(segment)];
    else if (def.type === 'record') current = def.valueType;
    else if (def.type === 'array') current = def.element;
    else return [];
    if (current === undefined) return [];
    current = unwrap(current);
  }
  const def = defOf(current);
  return def.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : [];
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'true/false';
  return typeof v;
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  tuple: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function message(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${kindOf(issue.input)}`;
    case 'too_small': {
      const n = String(issue.minimum);
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return issue.exact ? `must have exactly ${n} items` : `must have at least ${n} item${n === '1' ? '' : 's'}`;
      return issue.inclusive === false ? `must be greater than ${n}` : `must be at least ${n}`;
    }
    case 'too_big': {
      const n = String(issue.maximum);
      if (issue.origin === 'array') return issue.exact ? `must have exactly ${n} items` : `must have at most ${n} items`;
      return issue.inclusive === false ? `must be less than ${n}` : `must be at most ${n}`;
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      const got = typeof issue.input === 'string' ? `, got "${issue.input}"${didYouMean(issue.input, allowed)}` : '';
      return `must be one of ${allowed.join(' | ')}${got}`;
    }
    default:
      return issue.message;
  }
}

/** Adds one problem per issue (one per unknown field) under `prefix`. */
export function addIssues(problems: ProblemList, issues: readonly Issue[], schema: Schema, prefix: ConfigPath): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') {
      const known = fieldsAt(schema, issue.path);
      for (const key of issue.keys) problems.add([...path, key], `unknown field${didYouMean(key, known)}`);
    } else {
      problems.add(path, message(issue));
    }
  }
}

/**
 * Validates `value` against `schema`; problems are reported under `prefix`, except at paths in
 * `skip` (values whose `${VAR}` substitution already failed and was reported).
 */
export function parseSection<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: ConfigPath,
  problems: ProblemList,
  skip: ReadonlySet<string>,
): z.output<S> | undefined {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const relevant = result.error.issues.filter((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    return !skip.has(formatPath(path));
  });
  addIssues(problems, relevant, schema, prefix);
  return undefined;
}
