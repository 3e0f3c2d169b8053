// Opaque reasoning state through a Responses client (docs/protocols/openai-responses.md §4).
//
// A Responses client gets reasoning as `reasoning` items and sends them back unchanged in later
// turns (Codex always, with `include: ["reasoning.encrypted_content"]`). sluice uses the two opaque
// fields of that item to carry what the upstream needs on replay:
//
// - reasoning that came from OpenAI's own /v1/responses: its item `id` and `encrypted_content` must
//   reach OpenAI again byte for byte. In the canonical model they ride as the reasoning block's
//   `signature`, written `oai-responses:` + JSON [id, encrypted_content]; other fronts hand that
//   signature out and take it back like any other (Anthropic front: a thinking block's signature).
// - reasoning from another upstream (Anthropic thinking + signature, redacted thinking, Gemini thought
//   signatures bound to a function call): `encrypted_content` is sluice's own envelope,
//   `sluice.v1.` + base64url(JSON), holding exactly the canonical part, so the replay is exact even if
//   the client trims the visible summary.

import { Buffer } from 'node:buffer';
import type { ReasoningPart } from '../../core/request.ts';

const RESPONSES_PREFIX = 'oai-responses:';
const ENVELOPE_PREFIX = 'sluice.v1.';

/** An OpenAI reasoning item's identity, as a canonical signature. */
export function responsesSignature(id: string, encryptedContent: string | undefined): string {
  return RESPONSES_PREFIX + JSON.stringify(encryptedContent === undefined ? [id] : [id, encryptedContent]);
}

/** The id and encrypted_content inside a responsesSignature(), or undefined for any other signature. */
export function readResponsesSignature(signature: string | undefined): { id: string; encryptedContent?: string } | undefined {
  if (signature === undefined || !signature.startsWith(RESPONSES_PREFIX)) return undefined;
  try {
    const value = JSON.parse(signature.slice(RESPONSES_PREFIX.length)) as unknown;
    if (!Array.isArray(value) || typeof value[0] !== 'string') return undefined;
    return typeof value[1] === 'string' ? { id: value[0], encryptedContent: value[1] } : { id: value[0] };
  } catch {
    return undefined;
  }
}

/** What a sluice envelope holds: a canonical reasoning part, or a call-bound signature (Gemini). */
export type Envelope =
  | { kind: 'reasoning'; part: ReasoningPart }
  | { kind: 'call-signature'; signature: string };

interface EnvelopeJson {
  /** reasoning text */
  t?: string;
  /** reasoning signature */
  s?: string;
  /** redacted reasoning data */
  r?: string;
  /** signature bound to the function call that follows the reasoning item */
  c?: string;
}

export function sealEnvelope(envelope: Envelope): string {
  const json: EnvelopeJson =
    envelope.kind === 'call-signature'
      ? { c: envelope.signature }
      : {
          t: envelope.part.text,
          ...(envelope.part.signature !== undefined && { s: envelope.part.signature }),
          ...(envelope.part.redactedData !== undefined && { r: envelope.part.redactedData }),
        };
  return ENVELOPE_PREFIX + Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}

/** The envelope in an encrypted_content, or undefined when it is not sluice's (OpenAI's own blob). */
export function openEnvelope(encryptedContent: string | null | undefined): Envelope | undefined {
  if (typeof encryptedContent !== 'string' || !encryptedContent.startsWith(ENVELOPE_PREFIX)) return undefined;
  let json: EnvelopeJson;
  try {
    json = JSON.parse(Buffer.from(encryptedContent.slice(ENVELOPE_PREFIX.length), 'base64url').toString('utf8')) as EnvelopeJson;
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  if (typeof json.c === 'string') return { kind: 'call-signature', signature: json.c };
  const part: ReasoningPart = { type: 'reasoning', text: typeof json.t === 'string' ? json.t : '' };
  if (typeof json.s === 'string') part.signature = json.s;
  if (typeof json.r === 'string') part.redactedData = json.r;
  return { kind: 'reasoning', part };
}
