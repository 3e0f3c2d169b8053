// The state machine shared by the streaming decoder and the non-streaming one: it turns parsed
// GenerateContentResponse objects into canonical events. A whole reply is just a stream of one chunk
// (core/response.ts: non-stream = fold of the stream), so both paths map parts identically.
//
// Gemini facts it relies on (gemini.md §4, Q-29): each chunk holds only new parts; function calls
// arrive whole (name + args object) and usually without id; finishReason marks the end (there is no
// [DONE]); usageMetadata is cumulative on every chunk; STOP also ends tool turns.

import type { BlockStart, EventSink, FinishReason, Usage } from '../../core/events.ts';
import { GatewayError } from '../../core/errors.ts';
import { mintId } from '../../core/ids.ts';
import { mapGeminiFinishReason } from './finish-reason.ts';
import { convertGeminiUsage, sameUsage } from './usage.ts';
import { errorMember, streamErrorFromBody } from './errors.ts';
import type { GeminiCandidate, GeminiResponse, GeminiResponsePart } from './wire.ts';

/** The block currently open downstream. Tool calls open and close within one part, so never stay open. */
type OpenBlock = { kind: 'none' } | { kind: 'text'; index: number } | { kind: 'reasoning'; index: number };

const NONE: OpenBlock = { kind: 'none' };

export class GeminiChunkReader {
  readonly #emit: EventSink;
  #open: OpenBlock = NONE;
  #nextIndex = 0;
  #started = false;
  #finished = false;
  /** An error or 'done' went out: nothing more may be emitted. */
  #closed = false;
  #sawToolCalls = false;
  #usage: Usage | undefined;

  constructor(emit: EventSink) {
    this.#emit = emit;
  }

  /** An error or 'done' was emitted: the reader ignores all further input. */
  get closed(): boolean {
    return this.#closed;
  }

  /** One parsed payload: a response object, or an array of them (the non-`alt=sse` form, gemini.md §1). */
  read(value: unknown): void {
    if (this.#closed) return;
    if (Array.isArray(value)) {
      for (const item of value) this.read(item);
      return;
    }
    if (typeof value !== 'object' || value === null) {
      this.fail(new GatewayError('upstream_malformed', 'Gemini sent a chunk that is not a JSON object'));
      return;
    }
    const error = errorMember(value);
    if (error !== undefined) {
      this.fail(streamErrorFromBody(error));
      return;
    }
    const chunk = value as GeminiResponse;
    if (!this.#started) this.#start(chunk);

    const candidate = firstCandidate(chunk.candidates);
    if (candidate !== undefined && !this.#finished) {
      const parts = candidate.content?.parts;
      if (Array.isArray(parts)) {
        for (const part of parts) {
          if (!this.#part(part)) return;
        }
      }
    }

    if (typeof chunk.usageMetadata === 'object' && chunk.usageMetadata !== null) {
      const usage = convertGeminiUsage(chunk.usageMetadata);
      // Cumulative on every chunk: only changes are worth an event.
      if (usage !== undefined && !sameUsage(this.#usage, usage)) {
        this.#usage = usage;
        this.#emit({ type: 'usage', usage });
      }
    }

    if (this.#finished) return;
    const reason = candidate?.finishReason;
    if (typeof reason === 'string' && reason !== '') {
      this.#finish(mapGeminiFinishReason(reason, this.#sawToolCalls));
    } else if (candidate === undefined) {
      // Prompt blocked: no candidates at all, only promptFeedback (gemini.md §3, translation.md §6).
      const blockReason = chunk.promptFeedback?.blockReason;
      if (typeof blockReason === 'string' && blockReason !== '') this.#finish('content-filter');
    }
  }

  /** End of input. `lenient`: a complete reply without finishReason still counts as finished. */
  end(lenient: boolean): void {
    if (this.#closed) return;
    if (!this.#finished) {
      if (!lenient || !this.#started) {
        const what = this.#started ? 'before a finishReason' : 'without any response';
        this.fail(new GatewayError('stream_truncated', `Gemini stream ended ${what}`));
        return;
      }
      this.#finish(this.#sawToolCalls ? 'tool-calls' : 'stop');
    }
    this.#closed = true;
    this.#emit({ type: 'done' });
  }

  /** Ends the stream with an error; an open block is closed first so the stream stays well-formed. */
  fail(error: GatewayError): void {
    if (this.#closed) return;
    this.#close();
    this.#closed = true;
    this.#emit({ type: 'error', error });
  }

  #start(chunk: GeminiResponse): void {
    this.#started = true;
    const ev: { type: 'message-start'; id?: string; model?: string } = { type: 'message-start' };
    if (typeof chunk.responseId === 'string' && chunk.responseId !== '') ev.id = chunk.responseId;
    if (typeof chunk.modelVersion === 'string' && chunk.modelVersion !== '') ev.model = chunk.modelVersion;
    this.#emit(ev);
  }

  /** Returns false when the part was malformed and the stream failed. */
  #part(raw: unknown): boolean {
    if (typeof raw !== 'object' || raw === null) return true;
    const part = raw as GeminiResponsePart;
    const signature =
      typeof part.thoughtSignature === 'string' && part.thoughtSignature !== '' ? part.thoughtSignature : undefined;
    if (part.functionCall !== undefined && part.functionCall !== null) {
      return this.#functionCall(part.functionCall, signature);
    }
    const text = typeof part.text === 'string' ? part.text : '';
    if (part.thought === true) {
      if (text !== '') this.#emit({ type: 'reasoning-delta', index: this.#openReasoning(), text });
      this.#attachSignature(signature);
      return true;
    }
    // A signature on a non-call part (often the final empty text part, gemini.md §6) belongs to the
    // reasoning before it, if any; there is no canonical slot for it otherwise.
    this.#attachSignature(signature);
    if (text !== '') this.#emit({ type: 'text-delta', index: this.#openText(), text });
    return true;
  }

  #functionCall(call: NonNullable<GeminiResponsePart['functionCall']>, signature: string | undefined): boolean {
    if (typeof call !== 'object' || typeof call.name !== 'string' || call.name === '') {
      this.fail(new GatewayError('upstream_malformed', 'Gemini sent a functionCall part without a name'));
      return false;
    }
    this.#close();
    const index = this.#nextIndex++;
    const id = typeof call.id === 'string' && call.id !== '' ? call.id : mintId('call_');
    const block: BlockStart =
      signature === undefined
        ? { kind: 'tool-call', id, name: call.name }
        : { kind: 'tool-call', id, name: call.name, signature };
    this.#sawToolCalls = true;
    this.#emit({ type: 'block-start', index, block });
    // Whole arguments in one fragment, so OpenAI clients still get a normal first-fragment + args chunk.
    this.#emit({ type: 'tool-args-delta', index, json: JSON.stringify(call.args ?? {}) });
    this.#emit({ type: 'block-end', index });
    return true;
  }

  #attachSignature(signature: string | undefined): void {
    if (signature !== undefined && this.#open.kind === 'reasoning') {
      this.#emit({ type: 'signature-delta', index: this.#open.index, signature });
    }
  }

  #openText(): number {
    if (this.#open.kind === 'text') return this.#open.index;
    this.#close();
    const index = this.#nextIndex++;
    this.#open = { kind: 'text', index };
    this.#emit({ type: 'block-start', index, block: { kind: 'text' } });
    return index;
  }

  #openReasoning(): number {
    if (this.#open.kind === 'reasoning') return this.#open.index;
    this.#close();
    const index = this.#nextIndex++;
    this.#open = { kind: 'reasoning', index };
    this.#emit({ type: 'block-start', index, block: { kind: 'reasoning' } });
    return index;
  }

  #close(): void {
    if (this.#open.kind === 'none') return;
    this.#emit({ type: 'block-end', index: this.#open.index });
    this.#open = NONE;
  }

  #finish(reason: FinishReason): void {
    this.#close();
    this.#finished = true;
    this.#emit({ type: 'finish', reason });
  }
}

/** Candidate 0: sluice follows the first candidate only (n > 1 is model-dependent, translation.md §10). */
function firstCandidate(candidates: unknown): GeminiCandidate | undefined {
  if (!Array.isArray(candidates) || candidates.length === 0) return undefined;
  for (const c of candidates) {
    if (typeof c !== 'object' || c === null) continue;
    const index = (c as GeminiCandidate).index;
    if (index === undefined || index === 0) return c as GeminiCandidate;
  }
  return undefined;
}
