// ConverseStream events -> canonical events (bedrock.md §5; ). The framing
// (event-stream.ts) hands over each message's JSON payload and its `:event-type`; exceptions arrive
// as `exception:<type>`. Payloads carry a random `"p"` padding field, which is simply not read.
//
// Text and reasoning blocks have no contentBlockStart: the first delta of an unseen index opens them.
// Redacted reasoning is opaque and can come in several deltas: it is gathered and emitted whole when
// its block stops. Usage comes in `metadata`, usually after `messageStop`; the stream is complete when
// both have been seen, or at a clean EOF after `messageStop`. EOF before `messageStop` is truncation.

import type { EventSink } from '../../core/events.ts';
import { GatewayError } from '../../core/errors.ts';
import type { DecodeContext, UpstreamStreamDecoder } from '../../core/protocol.ts';
import { EXCEPTION_PREFIX } from './event-stream.ts';
import { streamException } from './errors.ts';
import { fromBedrockStopReason, MALFORMED_STOP_REASONS } from './finish-reason.ts';
import type { ModelFamily } from './family.ts';
import { toolNames } from './tool-names.ts';
import { toCanonicalUsage } from './usage.ts';
import { malformedEvent } from '../shared/malformed.ts';


type Json = Record<string, unknown>;

/** What is open at an upstream block index. */
type Block =
  | { kind: 'text' }
  | { kind: 'reasoning' }
  | { kind: 'tool'; sawArgs: boolean }
  | { kind: 'redacted'; data: string[] };

/** `family`: the model family of the target (codecFor(model) binds it), for the usage rule. */
export function createBedrockStreamDecoder(emit: EventSink, ctx: DecodeContext, family: ModelFamily = 'other'): UpstreamStreamDecoder {
  let closed = false;
  let started = false;
  let stopped = false;
  let sawMetadata = false;
  const blocks = new Map<number, Block>();

  const fail = (error: GatewayError): void => {
    closed = true;
    emit({ type: 'error', error });
  };
  const malformed = (what: string): void => fail(malformedEvent(ctx.provider, what));
  const ensureStarted = (): void => {
    if (!started) {
      started = true;
      emit({ type: 'message-start' });
    }
  };
  const finishIfComplete = (): void => {
    if (stopped && sawMetadata) {
      closed = true;
      emit({ type: 'done' });
    }
  };
  /** The block at `index`, opened as `kind` on its first delta (text and reasoning have no start event). */
  const open = (index: number, kind: 'text' | 'reasoning'): void => {
    if (blocks.has(index)) return;
    ensureStarted();
    blocks.set(index, { kind });
    emit({ type: 'block-start', index, block: { kind } });
  };

  const onBlockStart = (ev: Json, data: string): void => {
    const index = ev.contentBlockIndex;
    const start = ev.start;
    if (typeof index !== 'number' || typeof start !== 'object' || start === null) return malformed(data);
    const toolUse = (start as Json).toolUse;
    if (typeof toolUse !== 'object' || toolUse === null) return; // toolResult/image starts: nothing sluice forwards
    const t = toolUse as Json;
    if (typeof t.toolUseId !== 'string' || typeof t.name !== 'string') return malformed(data);
    ensureStarted();
    blocks.set(index, { kind: 'tool', sawArgs: false });
    emit({ type: 'block-start', index, block: { kind: 'tool-call', id: t.toolUseId, name: toolNames(ctx.request).fromWire(t.name) } });
  };

  const onBlockDelta = (ev: Json, data: string): void => {
    const index = ev.contentBlockIndex;
    const delta = ev.delta;
    if (typeof index !== 'number' || typeof delta !== 'object' || delta === null) return malformed(data);
    const d = delta as Json;
    if (typeof d.text === 'string') {
      open(index, 'text');
      if (d.text !== '') emit({ type: 'text-delta', index, text: d.text });
      return;
    }
    if (d.toolUse !== undefined) {
      const input = (d.toolUse as Json | null)?.input;
      const b = blocks.get(index);
      if (typeof input !== 'string' || b?.kind !== 'tool') return malformed(data);
      if (input !== '') {
        b.sawArgs = true;
        emit({ type: 'tool-args-delta', index, json: input });
      }
      return;
    }
    if (d.reasoningContent !== undefined) {
      const r = d.reasoningContent as Json | null;
      if (typeof r !== 'object' || r === null) return malformed(data);
      if (typeof r.redactedContent === 'string') {
        const b = blocks.get(index);
        if (b === undefined) blocks.set(index, { kind: 'redacted', data: [r.redactedContent] });
        else if (b.kind === 'redacted') b.data.push(r.redactedContent);
        return;
      }
      if (typeof r.text === 'string') {
        open(index, 'reasoning');
        if (r.text !== '') emit({ type: 'reasoning-delta', index, text: r.text });
        return;
      }
      if (typeof r.signature === 'string') {
        open(index, 'reasoning');
        emit({ type: 'signature-delta', index, signature: r.signature });
      }
      return;
    }
    // citation, image, toolResult deltas and future members carry nothing sluice forwards.
  };

  const onBlockStop = (ev: Json, data: string): void => {
    const index = ev.contentBlockIndex;
    if (typeof index !== 'number') return malformed(data);
    const b = blocks.get(index);
    if (b === undefined) return;
    blocks.delete(index);
    if (b.kind === 'redacted') {
      ensureStarted();
      emit({ type: 'block-start', index, block: { kind: 'redacted-reasoning', data: b.data.join('') } });
    } else if (b.kind === 'tool' && !b.sawArgs) {
      // A tool without arguments streams `"input":""`: its arguments are {}.
      emit({ type: 'tool-args-delta', index, json: '{}' });
    }
    emit({ type: 'block-end', index });
  };

  const onMessageStop = (ev: Json): void => {
    ensureStarted();
    const reason = typeof ev.stopReason === 'string' ? ev.stopReason : 'end_turn';
    if (MALFORMED_STOP_REASONS.has(reason)) {
      return fail(new GatewayError('upstream_error', `${ctx.provider}: the model's output could not be used (stopReason ${reason})`));
    }
    stopped = true;
    const extra = ev.additionalModelResponseFields;
    const stopSequence = typeof extra === 'object' && extra !== null ? (extra as Json).stop_sequence : undefined;
    if (typeof stopSequence === 'string') emit({ type: 'finish', reason: fromBedrockStopReason(reason), stopSequence });
    else emit({ type: 'finish', reason: fromBedrockStopReason(reason) });
    finishIfComplete();
  };

  const onMetadata = (ev: Json): void => {
    sawMetadata = true;
    const usage = toCanonicalUsage(ev.usage, family);
    if (usage) {
      ensureStarted();
      emit({ type: 'usage', usage });
    }
    finishIfComplete();
  };

  return {
    onEvent(data: string, event: string): void {
      if (closed) return;
      if (event.startsWith(EXCEPTION_PREFIX)) return fail(streamException(event.slice(EXCEPTION_PREFIX.length), data));
      let value: unknown;
      try {
        value = JSON.parse(data);
      } catch {
        return malformed(data);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return malformed(data);
      const ev = value as Json;
      switch (event) {
        case 'contentBlockDelta':
          return onBlockDelta(ev, data);
        case 'contentBlockStart':
          return onBlockStart(ev, data);
        case 'contentBlockStop':
          return onBlockStop(ev, data);
        case 'messageStart':
          return ensureStarted();
        case 'messageStop':
          return onMessageStop(ev);
        case 'metadata':
          return onMetadata(ev);
        default:
          return; // event types added later
      }
    },
    end(): void {
      if (closed) return;
      closed = true;
      // The AWS SDK ends normally when the socket closes on a message boundary: sluice does not.
      if (stopped) emit({ type: 'done' });
      else emit({ type: 'error', error: new GatewayError('stream_truncated', `${ctx.provider} stream ended before messageStop`) });
    },
  };
}
