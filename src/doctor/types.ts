// The shapes `sluice doctor` reports (SPEC §7). A check names one property of the chain to URL; when
// it fails it says which hop is the likely culprit and how to fix it.

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface Check {
  /** Stable kebab-case identifier, for machines reading `--json`. */
  name: string;
  status: CheckStatus;
  /** One line: what was measured. */
  detail: string;
  /** On fail/warn: the hop (or component) most likely at fault. */
  culprit?: string;
  /** On fail/warn: what to change; several alternatives are separated by newlines. */
  fix?: string;
  /** Measurements behind the verdict (timings, headers, counts). */
  data?: Record<string, unknown>;
}

export interface DoctorReport {
  /** The base URL that was diagnosed (normalised: no trailing slash, no `/v1`). */
  url: string;
  /** No check failed and the chain could be tested. */
  ok: boolean;
  /** The chain could not be tested at all (nothing answered, or the gateway refused the key). */
  couldNotTest: boolean;
  checks: Check[];
}

export interface DoctorOptions {
  /** Base URL of the gateway or of a proxy in front of it; a trailing `/v1` is accepted. */
  url: string;
  /** Model for the chat request; default: `demo` if listed, else the first of GET /v1/models, else `demo`. */
  model?: string;
  /** Client key, sent as `Authorization: Bearer` (OpenAI) or `x-api-key` (Anthropic). Never reported. */
  key?: string;
  /** The front to diagnose: a protocol name of the registry with a doctor probe (default openai). */
  protocol?: string;
  /** Limit for each request, in ms (default 30 000). The keepalive probe needs longer than the gateway's keepalive. */
  timeoutMs?: number;
  /** Progress lines while checks run (e.g. before a long idle-timeout probe). */
  log?: (line: string) => void;
}
