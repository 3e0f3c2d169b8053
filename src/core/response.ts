// A non-streaming answer is the fold of a stream: collectResponse(events) builds it, and
// responseToEvents(resp) turns one back into a stream (Q-3 re-streaming, `streaming: simulate`).

import type { FinishReason, StreamEvent, Usage } from './events.ts';
import { GatewayError } from './errors.ts';

export type ResponseBlock =
  | { kind: 'text'; text: string }
  | { kind: 'reasoning'; text: string; signature?: string }
  | { kind: 'redacted-reasoning'; data: string }
  | { kind: 'tool-call'; id: string; name: string; arguments: string; signature?: string };

export interface ChatResponse {
  /** The upstream's id, if any; fronts mint their own. */
  id?: string;
  /** The upstream's model name, if any; fronts echo the name the client asked for. */
  model?: string;
  blocks: ResponseBlock[];
  finishReason: FinishReason;
  stopSequence?: string;
  usage?: Usage;
}

/** Folds a canonical event stream into a response. Throws the stream's GatewayError if it failed. */
export class ResponseCollector {
  private readonly blocks: ResponseBlock[] = [];
  private readonly byIndex = new Map<number, ResponseBlock>();
  private textParts = new Map<number, string[]>();
  private id?: string;
  private model?: string;
  private finish?: FinishReason;
  private stopSequence?: string;
  private usage?: Usage;
  private error?: GatewayError;
  private done = false;

  push = (ev: StreamEvent): void => {
    switch (ev.type) {
      case 'message-start':
        this.id ??= ev.id;
        this.model ??= ev.model;
        if (ev.usage) this.usage = ev.usage;
        break;
      case 'block-start': {
        const b: ResponseBlock =
          ev.block.kind === 'tool-call'
            ? { kind: 'tool-call', id: ev.block.id, name: ev.block.name, arguments: '', signature: ev.block.signature }
            : ev.block.kind === 'redacted-reasoning'
              ? { kind: 'redacted-reasoning', data: ev.block.data }
              : ev.block.kind === 'reasoning'
                ? { kind: 'reasoning', text: '' }
                : { kind: 'text', text: '' };
        this.blocks.push(b);
        this.byIndex.set(ev.index, b);
        this.textParts.set(ev.index, []);
        break;
      }
      case 'text-delta':
      case 'reasoning-delta':
        this.textParts.get(ev.index)?.push(ev.text);
        break;
      case 'tool-args-delta':
        this.textParts.get(ev.index)?.push(ev.json);
        break;
      case 'signature-delta': {
        const b = this.byIndex.get(ev.index);
        if (b?.kind === 'reasoning') b.signature = (b.signature ?? '') + ev.signature;
        break;
      }
      case 'block-end':
        this.seal(ev.index);
        break;
      case 'usage':
        this.usage = ev.usage;
        break;
      case 'finish':
        this.finish = ev.reason;
        this.stopSequence = ev.stopSequence;
        break;
      case 'done':
        this.done = true;
        break;
      case 'error':
        this.error = ev.error;
        break;
    }
  };

  private seal(index: number): void {
    const b = this.byIndex.get(index);
    const parts = this.textParts.get(index);
    if (!b || !parts) return;
    // Joined once per block: appending per delta would be quadratic on long answers.
    if (b.kind === 'text' || b.kind === 'reasoning') b.text += parts.join('');
    else if (b.kind === 'tool-call') b.arguments += parts.join('');
    this.textParts.delete(index);
  }

  result(): ChatResponse {
    if (this.error) throw this.error;
    for (const index of [...this.textParts.keys()]) this.seal(index);
    if (!this.done && this.finish === undefined) {
      throw new GatewayError('stream_truncated', 'upstream stream ended before it finished');
    }
    return {
      id: this.id,
      model: this.model,
      blocks: this.blocks,
      finishReason: this.finish ?? 'stop',
      stopSequence: this.stopSequence,
      usage: this.usage,
    };
  }
}

export function collectResponse(events: Iterable<StreamEvent>): ChatResponse {
  const c = new ResponseCollector();
  for (const ev of events) c.push(ev);
  return c.result();
}

/**
 * Re-emit a complete response as a stream. `pieceSize` > 0 splits text into small deltas and tool
 * arguments into fragments (`streaming: simulate`); 0 emits each block in one delta.
 */
export function responseToEvents(resp: ChatResponse, emit: (ev: StreamEvent) => void, pieceSize = 0): void {
  emit({ type: 'message-start', id: resp.id, model: resp.model });
  resp.blocks.forEach((b, index) => {
    switch (b.kind) {
      case 'text':
        emit({ type: 'block-start', index, block: { kind: 'text' } });
        for (const piece of pieces(b.text, pieceSize)) emit({ type: 'text-delta', index, text: piece });
        break;
      case 'reasoning':
        emit({ type: 'block-start', index, block: { kind: 'reasoning' } });
        for (const piece of pieces(b.text, pieceSize)) emit({ type: 'reasoning-delta', index, text: piece });
        if (b.signature) emit({ type: 'signature-delta', index, signature: b.signature });
        break;
      case 'redacted-reasoning':
        emit({ type: 'block-start', index, block: { kind: 'redacted-reasoning', data: b.data } });
        break;
      case 'tool-call':
        emit({ type: 'block-start', index, block: { kind: 'tool-call', id: b.id, name: b.name, signature: b.signature } });
        for (const piece of pieces(b.arguments, pieceSize)) emit({ type: 'tool-args-delta', index, json: piece });
        break;
    }
    emit({ type: 'block-end', index });
  });
  if (resp.usage) emit({ type: 'usage', usage: resp.usage });
  emit({ type: 'finish', reason: resp.finishReason, stopSequence: resp.stopSequence });
  emit({ type: 'done' });
}

/** Split on code points, never inside a surrogate pair; prefers word boundaries for natural deltas. */
function pieces(text: string, size: number): string[] {
  if (text === '') return [];
  if (size <= 0 || text.length <= size) return [text];
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start) end = space + 1;
      const code = text.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end++; // keep a surrogate pair together
    }
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}
