// Gemini thought signatures in Google's OpenAI-compatible convention:
// `tool_calls[].extra_content.google.thought_signature` (translation.md §9, Q-20).

import type { WireExtraContent } from './wire.ts';

/** The signature in an `extra_content` value, read without trusting its shape. */
export function thoughtSignature(extra: unknown): string | undefined {
  if (typeof extra !== 'object' || extra === null) return undefined;
  const google = (extra as Record<string, unknown>).google;
  if (typeof google !== 'object' || google === null) return undefined;
  const sig = (google as Record<string, unknown>).thought_signature;
  return typeof sig === 'string' && sig !== '' ? sig : undefined;
}

export function extraContent(signature: string): WireExtraContent {
  return { google: { thought_signature: signature } };
}
