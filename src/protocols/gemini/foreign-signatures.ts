// Q-40 (docs/quirks.md): a thought signature is valid only where it was issued. The Gemini API
// refuses Vertex's and Vertex refuses the Gemini API's (and each refuses one that is corrupt), with a
// 400 for the whole request — which, in a tool loop that moved from one to the other (a fallback
// target, a changed model map), would end the conversation. When a Gemini-dialect upstream says so,
// the request's real signatures are dropped (Google's placeholder then stands on the first call of
// each step of the current turn, encode-contents.ts) and the error is made retryable, so the retry
// sends it again without them: the model loses that step's thought state, not the conversation.
// Once per request: a second refusal of the same kind is the client's 400.

import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext, ErrorContext } from '../../core/protocol.ts';
import type { ChatRequest } from '../../core/request.ts';
import { SKIP_THOUGHT_SIGNATURE } from './wire.ts';

/** Vertex: "Unable to submit request because Thought signature is not valid."; Gemini API: "Corrupted thought signature." */
const REFUSED = /thought signature is not valid|corrupted thought signature|invalid thought signature/i;
const PLACEHOLDERS = new Set([SKIP_THOUGHT_SIGNATURE, 'context_engineering_is_the_way_to_go']);

/** Whether a 400 body is Google refusing a thought signature. */
export function refusesSignature(status: number, bodyText: string): boolean {
  return status === 400 && REFUSED.test(bodyText);
}

/** Drops every real signature on the request's tool calls; true if there was one. */
function dropSignatures(req: ChatRequest): boolean {
  // A Gemini client's body goes to a Gemini upstream as it came (encode-request.ts): its parts too.
  let dropped = req.front === 'gemini' && dropRawSignatures(req.raw);
  for (const m of req.messages) {
    for (const part of m.content) {
      if (part.type !== 'tool-call' || part.signature === undefined || part.signature === '' || PLACEHOLDERS.has(part.signature)) continue;
      part.signature = undefined;
      dropped = true;
    }
  }
  return dropped;
}

/**
 * In a Gemini body: a call's real signature becomes Google's placeholder (the first call of each step
 * of the current turn must carry one), any other part's is removed.
 */
function dropRawSignatures(raw: Record<string, unknown>): boolean {
  let dropped = false;
  const contents = raw.contents;
  if (!Array.isArray(contents)) return false;
  for (const content of contents) {
    const parts = (content as { parts?: unknown } | null)?.parts;
    if (!Array.isArray(parts)) continue;
    for (const part of parts as Array<Record<string, unknown> | null>) {
      if (part === null || typeof part !== 'object') continue;
      for (const field of ['thoughtSignature', 'thought_signature']) {
        const sig = part[field];
        if (typeof sig !== 'string' || sig === '' || PLACEHOLDERS.has(sig)) continue;
        if (part.functionCall !== undefined || part.function_call !== undefined) part[field] = SKIP_THOUGHT_SIGNATURE;
        else delete part[field];
        dropped = true;
      }
    }
  }
  return dropped;
}

/**
 * `err` as decoded, or — when it is Google refusing a signature the request carried — a retryable
 * error after the signatures were dropped from the request.
 */
export function recoverFromForeignSignatures(err: GatewayError, status: number, bodyText: string, ctx: ErrorContext): GatewayError {
  if (!refusesSignature(status, bodyText)) return err;
  // Chat attempts pass the request (DecodeContext); count-tokens and embeddings calls do not.
  const req = (ctx as Partial<DecodeContext>).request;
  if (req === undefined || !dropSignatures(req)) return err;
  return new GatewayError('upstream_error', `${err.message} (thought signatures from another provider: sent again without them)`, {
    status: 502,
    retryable: true,
    upstreamStatus: status,
    upstreamType: err.upstreamType,
  });
}
