// What `sluice doctor --protocol NAME` needs from a front's protocol folder: how to ask it for a
// streamed answer, and the rules of its stream grammar. The doctor's other checks (headers,
// buffering, keepalive, errors) are the same for every dialect.

import type { TimedEvent } from './sse-record.ts';
import type { StreamEnding } from './checks/sequence-common.ts';
import type { Check } from './types.ts';

export interface DoctorProbe {
  /** The `--protocol` value that selects it (SPEC §1: openai | responses | anthropic | gemini). */
  readonly name: string;
  /** Auth (and dialect) headers: the key goes where this dialect's clients put it. */
  headers(key: string | undefined): Record<string, string>;
  /** The streaming request for `model` asking for `prompt`, bounded at `maxTokens`. */
  chatRequest(model: string, prompt: string, maxTokens: number): { path: string; body: string };
  /** Checks of the recorded events against the dialect's grammar (valid-json, stream-start, consistent-id, stream-end). */
  sequenceChecks(events: TimedEvent[], ending: StreamEnding): Check[];
  /** The message of a JSON error body in this dialect, or undefined when the body is not one. */
  errorMessage(json: unknown): string | undefined;
}
