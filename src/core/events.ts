// The canonical stream: every upstream decoder emits these, every front encoder consumes them.
// Block-structured (Anthropic needs block start/stop; the OpenAI encoder drops them).

export type FinishReason =
  | 'stop'
  | 'stop-sequence'
  | 'length'
  | 'context-exceeded'
  | 'tool-calls'
  | 'content-filter'
  | 'refusal'
  | 'pause';

export interface Usage {
  /** All prompt tokens, cached ones included (OpenAI semantics; Anthropic's input_tokens excludes them). */
  inputTokens: number;
  /** All output tokens, reasoning included. */
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
  /** True when sluice estimated the numbers because the upstream reported none (SPEC §4.4). */
  estimated?: boolean;
}

export type BlockStart =
  | { kind: 'text' }
  | { kind: 'reasoning' }
  | { kind: 'redacted-reasoning'; data: string }
  /** `signature`: opaque reasoning state bound to this call (Gemini thought signatures) that must round-trip. */
  | { kind: 'tool-call'; id: string; name: string; signature?: string };

import type { GatewayError } from './errors.ts';

export type StreamEvent =
  /** Lifecycle: the upstream started a message. Held back until the commit point. */
  | { type: 'message-start'; id?: string; model?: string; usage?: Usage }
  | { type: 'block-start'; index: number; block: BlockStart }
  | { type: 'text-delta'; index: number; text: string }
  | { type: 'reasoning-delta'; index: number; text: string }
  | { type: 'signature-delta'; index: number; signature: string }
  | { type: 'tool-args-delta'; index: number; json: string }
  | { type: 'block-end'; index: number }
  /** Cumulative usage: replaces what came before. */
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; reason: FinishReason; stopSequence?: string }
  /** The upstream stream completed normally (after finish and any trailing usage). */
  | { type: 'done' }
  /** The stream failed; nothing follows. */
  | { type: 'error'; error: GatewayError };

export type StreamEventType = StreamEvent['type'];

/** Content-bearing events decide the commit point (SPEC §4.4). */
export function isContentEvent(ev: StreamEvent): boolean {
  switch (ev.type) {
    case 'text-delta':
    case 'reasoning-delta':
    case 'tool-args-delta':
      return true;
    case 'block-start':
      return ev.block.kind === 'tool-call' || ev.block.kind === 'redacted-reasoning';
    default:
      return false;
  }
}

export type EventSink = (ev: StreamEvent) => void;
