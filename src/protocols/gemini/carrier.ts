// Reasoning that must round-trip through a Gemini client. Anthropic upstreams require their signed
// thinking blocks back, unmodified, before the tool_use blocks of the current tool loop
// (anthropic-messages.md §2); Gemini clients return only the `thoughtSignature` of each step's first
// functionCall, verbatim (gemini.md §8.3: "a carrier sluice can use for its own opaque state"). So
// the Gemini front packs the step's signed reasoning into that signature, and unpacks it when the
// history comes back. Self-contained: no server-side state, any instance can read it.

import type { ReasoningPart } from '../../core/request.ts';
import { SKIP_THOUGHT_SIGNATURE } from './wire.ts';

export const CARRIER_PREFIX = 'sluice.r1.';

/** Gemini CLI's own stand-in (geminiChat.ts SYNTHETIC_THOUGHT_SIGNATURE): means "no state". */
const SYNTHETIC_SIGNATURES = new Set([SKIP_THOUGHT_SIGNATURE, 'context_engineering_is_the_way_to_go']);

type Packed = { t: string; s: string } | { r: string };

export function packReasoning(parts: readonly ReasoningPart[]): string | undefined {
  const packed: Packed[] = [];
  for (const p of parts) {
    if (p.redactedData !== undefined) packed.push({ r: p.redactedData });
    else if (p.signature !== undefined && p.signature !== '') packed.push({ t: p.text, s: p.signature });
  }
  if (packed.length === 0) return undefined;
  return CARRIER_PREFIX + Buffer.from(JSON.stringify(packed), 'utf8').toString('base64url');
}

/** What a thoughtSignature received from a client means. */
export type SignatureMeaning =
  | { kind: 'none' }
  | { kind: 'reasoning'; parts: ReasoningPart[] }
  | { kind: 'opaque'; signature: string };

export function readSignature(signature: unknown): SignatureMeaning {
  if (typeof signature !== 'string' || signature === '' || SYNTHETIC_SIGNATURES.has(signature)) return { kind: 'none' };
  if (!signature.startsWith(CARRIER_PREFIX)) return { kind: 'opaque', signature };
  let packed: unknown;
  try {
    packed = JSON.parse(Buffer.from(signature.slice(CARRIER_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return { kind: 'none' };
  }
  if (!Array.isArray(packed)) return { kind: 'none' };
  const parts: ReasoningPart[] = [];
  for (const p of packed) {
    if (typeof p !== 'object' || p === null) continue;
    const e = p as Record<string, unknown>;
    if (typeof e.r === 'string') parts.push({ type: 'reasoning', text: '', redactedData: e.r });
    else if (typeof e.t === 'string' && typeof e.s === 'string') parts.push({ type: 'reasoning', text: e.t, signature: e.s });
  }
  return { kind: 'reasoning', parts };
}

export function isCarrier(signature: unknown): boolean {
  return typeof signature === 'string' && signature.startsWith(CARRIER_PREFIX);
}
