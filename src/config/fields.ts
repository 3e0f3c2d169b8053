// Field schemas shared by every config section and by the provider fields protocol folders declare
// (core/protocol.ts ProviderType.quirkFields/settingFields). A leaf module: zod and units only.
//
// Numbers and booleans also accept their string spelling, because `${VAR}` substitution always
// yields strings (`port: ${PORT:-4000}` must work whatever the quoting).

import { z } from 'zod';
import { parseDuration, parseSize } from './units.ts';

const NUMERIC = /^-?\d+(?:\.\d+)?$/;

function fromNumericString(v: unknown): unknown {
  return typeof v === 'string' && NUMERIC.test(v.trim()) ? Number(v.trim()) : v;
}

function fromBooleanString(v: unknown): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(fromNumericString, z.number().int().min(min).max(max)).optional();
export const number = (min: number) => z.preprocess(fromNumericString, z.number().min(min)).optional();
export const bool = () => z.preprocess(fromBooleanString, z.boolean()).optional();
export const text = () => z.string().trim().min(1).optional();

/** A `string | number` field converted by `parse`; absent stays undefined. */
function unitField(parse: (v: string | number) => number, what: string) {
  const converted = z.unknown().transform((v, ctx): number => {
    if (typeof v !== 'string' && typeof v !== 'number') {
      ctx.addIssue({ code: 'custom', message: `expected a ${what}`, input: v });
      return z.NEVER;
    }
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message, input: v });
      return z.NEVER;
    }
  });
  return converted.optional();
}

export const duration = () => unitField(parseDuration, 'duration such as 250ms, 15s or 10m');
export const size = () => unitField(parseSize, 'size such as 512kb or 20mb');

// YAML reads `x-extra: 1` as a number; a header value is text either way.
export const headerValue = z.preprocess(
  (v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v),
  z.string(),
);

