// What the doctor talks to: the normalised base URL, the client's dialect and key, and the request
// bodies it sends. The key only ever goes into request headers, never into a report or a log line.

import type { DoctorOptions, FrontProtocol } from './types.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Bound on the streamed answer: enough events to judge pacing, cheap on a paid model. */
const MAX_TOKENS = 64;
const PROMPT = 'Count from one to twenty in words, separated by spaces. (sent by sluice doctor)';

export interface Target {
  /** Normalised base URL: no trailing slash, no trailing `/v1` (SPEC §7). */
  base: string;
  protocol: FrontProtocol;
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
  const protocol: FrontProtocol = opts.protocol ?? 'openai';
  if (protocol !== 'openai' && protocol !== 'anthropic') throw new TargetError(`unknown protocol "${String(protocol)}" (openai or anthropic)`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new TargetError(`timeout must be a positive number of ms, got ${timeoutMs}`);
  const auth: Record<string, string> = {};
  if (opts.key) {
    if (protocol === 'anthropic') auth['x-api-key'] = opts.key;
    else auth.authorization = `Bearer ${opts.key}`;
  }
  // Anthropic clients always send a version; sluice defaults it, a real Anthropic endpoint requires it.
  if (protocol === 'anthropic') auth['anthropic-version'] = '2023-06-01';
  return {
    base,
    protocol,
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
      const messages = [{ role: 'user', content: PROMPT }];
      return protocol === 'anthropic'
        ? { path: '/v1/messages', body: JSON.stringify({ model, max_tokens: MAX_TOKENS, stream: true, messages }) }
        : { path: '/v1/chat/completions', body: JSON.stringify({ model, max_tokens: MAX_TOKENS, stream: true, messages }) };
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
