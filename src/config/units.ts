// Durations and sizes as written in sluice.yaml (SPEC §2): `250ms`, `15s`, `10m`, `1h` (also
// combined, `1m30s`) or a plain number of milliseconds; `512kb`, `20mb`, `1gb` or a number of bytes.

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

// Binary multiples, as body-size limits in Node servers conventionally are (the `bytes` package).
const SIZE_UNITS_BYTES: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)$/;
const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;

function fromNumber(v: number, what: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be a non-negative number, got ${v}`);
  return Math.round(v);
}

/** Milliseconds for `250ms` / `15s` / `10m` / `1h` / `1m30s` / a number of milliseconds. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return fromNumber(v, 'a duration');
  const text = v.trim().toLowerCase();
  if (PLAIN_NUMBER.test(text)) return fromNumber(Number(text), 'a duration');
  let total = 0;
  let end = 0;
  DURATION_PART.lastIndex = 0;
  for (let m = DURATION_PART.exec(text); m !== null; m = DURATION_PART.exec(text)) {
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]];
    end = DURATION_PART.lastIndex;
  }
  if (text === '' || end !== text.length) {
    throw new RangeError(`invalid duration "${v}" (use e.g. 250ms, 15s, 10m, 1h, or a number of milliseconds)`);
  }
  return Math.round(total);
}

/** Bytes for `512kb` / `20mb` / `1gb` / `100b` / a number of bytes. */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') return fromNumber(v, 'a size');
  const text = v.trim().toLowerCase();
  if (PLAIN_NUMBER.test(text)) return fromNumber(Number(text), 'a size');
  const m = SIZE.exec(text);
  if (m === null) throw new RangeError(`invalid size "${v}" (use e.g. 512kb, 20mb, 1gb, or a number of bytes)`);
  return Math.round(Number(m[1]) * SIZE_UNITS_BYTES[m[2]]);
}

/** Human form for messages: 5000 → `5s`, 250 → `250ms`, 900000 → `15m`. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
