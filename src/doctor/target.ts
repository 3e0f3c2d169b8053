// What the doctor talks to: the normalised base URL, the client's dialect and key, and the request
// bodies it sends. The key only ever goes into request headers, never into a report or a log line.

import type { DoctorOptions } from './types.ts';
import type { DoctorProbe } from './probe.ts';
import { doctorProbe, doctorProtocols } from '../protocols/index.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Bound on the streamed answer: enough events to judge pacing, cheap on a paid model. */
const MAX_TOKENS = 64;
const PROMPT = 'Count from one to twenty in words, separated by spaces. (sent by sluice doctor)';

export interface Target {
  /** Normalised base URL: no trailing slash, no trailing `/v1` (SPEC §7). */
  base: string;
  /** The front's dialect name (a protocol of the registry with a doctor probe). */
  protocol: string;
  probe: DoctorProbe;
  timeoutMs: number;
  log: (line: string) => void;
  /** Absolute URL of a gateway path such as `/v1/models`, keeping any path prefix of the base. */
  url(path: string, query?: Record<string, string | number>): URL;
  /** Auth (and dialect) headers for every request. */
  headers(extra?: Record<string, string>): Record<string, string>;
  /** The streaming chat request for `model` in the client's dialect. */
  chatRequest(model: string): { path: string; body: string };
}

export class TargetError extends Error {}

export function createTarget(opts: DoctorOptions): Target {
  const base = normaliseBaseUrl(opts.url);
  const protocol = opts.protocol ?? 'openai';
  const probe = doctorProbe(protocol);
  if (!probe) throw new TargetError(`unknown protocol "${String(protocol)}" (${doctorProtocols().join(', ')})`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TargetError(`timeout must be a positive number of ms, got ${timeoutMs}`);
  const auth = probe.headers(opts.key);
  return {
    base,
    protocol,
    probe,
    timeoutMs,
    log: opts.log ?? (() => {}),
    url(path, query) {
      const u = new URL(base + path);
      if (query) for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
      return u;
    },
    headers(extra) {
      return { 'user-agent': 'sluice-doctor', ...auth, ...extra };
    },
    chatRequest(model) {
      return probe.chatRequest(model, PROMPT, MAX_TOKENS);
    },
  };
}

/** `http://h:1/v1/` → `http://h:1`; `https://h/llm/v1` → `https://h/llm`. Query and fragment are dropped. */
export function normaliseBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new TargetError(`not a URL: "${raw}" (expected e.g. http://127.0.0.1:4000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TargetError(`unsupported scheme ${u.protocol} in ${raw} (http or https)`);
  if (u.username || u.password) throw new TargetError('credentials in the URL are not supported; pass --key');
  let path = u.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) path = path.slice(0, -3);
  return `${u.protocol}//${u.host}${path}`;
}
