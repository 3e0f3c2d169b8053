// The Cohere front's own stream invariants (SPEC §4.5 in Cohere's terms; docs/protocols/cohere.md
// §4, §6), for the conformance suite (protocols/plugin.ts FrontConformance): it replays every
// upstream fixture through this front, and the answer the stream carries shows nothing was lost.

import assert from 'node:assert/strict';
import { SseDecoder } from '../../sse/decoder.ts';
import type { FrontConformance } from '../plugin.ts';
import type { FrontAnswer } from '../shared/conformance.ts';

export type CohereStreamAnswer = FrontAnswer;

const FINISH = new Set(['COMPLETE', 'STOP_SEQUENCE', 'MAX_TOKENS', 'TOOL_CALL', 'ERROR', 'TIMEOUT']);

type Json = Record<string, any>;

/** Parses a Cohere front's SSE output; `violations` is empty when every invariant holds. */
export function checkCohereStream(output: string): { answer: CohereStreamAnswer; violations: string[] } {
  const violations: string[] = [];
  const v = (message: string): void => {
    violations.push(message);
  };
  const answer: CohereStreamAnswer = { text: '', reasoning: '', tools: [] };
  const events: Array<{ event: string; data: string }> = [];
  const d = new SseDecoder({ onEvent: (data, event) => events.push({ event, data }) });
  d.push(Buffer.from(output));
  d.end();
  if (output !== '' && !output.endsWith('\n\n')) v('output does not end with a blank line');
  if (events.length === 0) v('no events');

  let contentNext = 0;
  let toolNext = 0;
  let open: { kind: 'content'; index: number; type: string } | { kind: 'tool'; index: number; args: string } | undefined;
  events.forEach((ev, i) => {
    const at = `event ${i}`;
    if (ev.data.includes('\n')) v(`${at}: data spans several lines (the SDK reads one line per event)`);
    if (ev.data.includes('[DONE]')) v(`${at}: data contains [DONE] (the SDK stops reading there)`);
    let p: Json;
    try {
      p = JSON.parse(ev.data) as Json;
    } catch {
      v(`${at}: data is not JSON`);
      return;
    }
    const type = p.type;
    if (ev.event !== type) v(`${at}: event name ${ev.event} differs from type ${type}`);
    const first = i === 0;
    const last = i === events.length - 1;
    if (first !== (type === 'message-start')) v(`${at}: message-start must come first, and once`);
    if (last !== (type === 'message-end')) v(`${at}: message-end must come last, and once`);
    switch (type) {
      case 'message-start':
        if (typeof p.id !== 'string' || p.id === '') v(`${at}: message-start without id`);
        return;
      case 'content-start': {
        if (open) v(`${at}: content-start while a block is open`);
        if (p.index !== contentNext) v(`${at}: content index ${p.index}, expected ${contentNext}`);
        const c = p.delta?.message?.content;
        if (c?.type !== 'text' && c?.type !== 'thinking') v(`${at}: content type ${c?.type}`);
        open = { kind: 'content', index: contentNext++, type: c?.type };
        return;
      }
      case 'content-delta': {
        if (open?.kind !== 'content' || open.index !== p.index) {
          v(`${at}: content-delta outside its block`);
          return;
        }
        const c = p.delta?.message?.content ?? {};
        const value = c[open.type];
        if (typeof value !== 'string') v(`${at}: a ${open.type} block's delta lacks .${open.type}`);
        else if (open.type === 'text') answer.text += value;
        else answer.reasoning += value;
        return;
      }
      case 'content-end':
        if (open?.kind !== 'content' || open.index !== p.index) v(`${at}: content-end for a block that is not open`);
        open = undefined;
        return;
      case 'tool-call-start': {
        if (open) v(`${at}: tool-call-start while a block is open`);
        if (p.index !== toolNext) v(`${at}: tool index ${p.index}, expected ${toolNext}`);
        const call = p.delta?.message?.tool_calls;
        if (typeof call?.id !== 'string' || call.id === '' || typeof call?.function?.name !== 'string') v(`${at}: tool call without id or name`);
        answer.tools.push({ id: call?.id, name: call?.function?.name, arguments: '' });
        open = { kind: 'tool', index: toolNext++, args: '' };
        return;
      }
      case 'tool-call-delta': {
        const args = p.delta?.message?.tool_calls?.function?.arguments;
        if (open?.kind !== 'tool' || open.index !== p.index || typeof args !== 'string') {
          v(`${at}: tool-call-delta outside its call`);
          return;
        }
        open.args += args;
        answer.tools[answer.tools.length - 1]!.arguments += args;
        return;
      }
      case 'tool-call-end':
        if (open?.kind !== 'tool' || open.index !== p.index) v(`${at}: tool-call-end for a call that is not open`);
        else if (open.args.trim() !== '') {
          try {
            JSON.parse(open.args);
          } catch {
            v(`${at}: tool call ended with arguments that are not complete JSON`);
          }
        }
        open = undefined;
        return;
      case 'message-end': {
        const reason = p.delta?.finish_reason;
        if (!FINISH.has(reason)) v(`${at}: finish_reason ${reason}`);
        answer.finish = reason;
        if (typeof p.delta?.error === 'string') {
          if (reason !== 'ERROR' && reason !== 'TIMEOUT') v(`${at}: an error with finish_reason ${reason}`);
          answer.error = { type: reason, message: p.delta.error };
          if (open?.kind === 'content') v(`${at}: a content block left open before the error`);
        } else {
          if (open) v(`${at}: message-end with a block still open`);
          if (typeof p.delta?.usage?.tokens?.input_tokens !== 'number') v(`${at}: message-end without usage`);
          answer.usage = p.delta?.usage;
        }
        return;
      }
      default:
        v(`${at}: unknown event type ${type}`);
    }
  });
  return { answer, violations };
}

export const cohereConformance: FrontConformance = {
  check(output) {
    assert.ok(!output.includes('\r'), 'the writer never emits CR');
    const { answer, violations } = checkCohereStream(output);
    assert.deepEqual(violations, [], 'Cohere stream invariants');
    return answer;
  },
};
