// SPEC §4.5 for the Bedrock front's ConverseStream, as an executable check (protocols/plugin.ts
// FrontConformance). The output is binary: it arrives as a latin1 string of the bytes. Every message
// must pass both CRCs; messageStart comes once, first; block indices are contiguous from 0 and each
// block is stopped before the next opens; tool input is complete JSON when its block stops; a
// successful stream ends with messageStop then metadata, a failed one with one exception message.

import assert from 'node:assert/strict';
import type { FrontAnswer } from '../shared/conformance.ts';
import type { FrontConformance } from '../plugin.ts';
import { EXCEPTION_PREFIX, EventStreamDecoder } from './event-stream.ts';

const STOP_REASONS = new Set(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'guardrail_intervened', 'content_filtered', 'model_context_window_exceeded']);

/** The messages of an event-stream body: every byte must belong to a whole, valid message. */
export function parseEventStream(bytes: Buffer): Array<{ event: string; data: string }> {
  const events: Array<{ event: string; data: string }> = [];
  let failure: Error | undefined;
  const d = new EventStreamDecoder({ onEvent: (data, event) => events.push({ event, data }), onError: (e) => (failure = e) });
  d.push(bytes);
  assert.equal(failure, undefined, 'every message passes its CRCs');
  let total = 0;
  for (let at = 0; at < bytes.length; at += bytes.readUInt32BE(at)) total++;
  assert.equal(events.length, total, 'no partial message at the end');
  return events;
}

export function checkConverseStream(output: string): FrontAnswer {
  const events = parseEventStream(Buffer.from(output, 'latin1'));
  assert.ok(events.length > 0);
  const answer: FrontAnswer = { text: '', reasoning: '', tools: [] };
  let started = 0;
  let next = 0;
  let open: { index: number; kind: 'text' | 'reasoning' | 'tool' | 'redacted'; tool?: { id: string; name: string; arguments: string } } | undefined;
  let stopped = false;
  events.forEach((ev, i) => {
    const last = i === events.length - 1;
    if (ev.event.startsWith(EXCEPTION_PREFIX)) {
      assert.ok(last, 'nothing after an exception');
      assert.ok(!stopped, 'no exception after messageStop');
      const body = JSON.parse(ev.data) as { message?: unknown };
      assert.equal(typeof body.message, 'string', 'an exception carries a message');
      answer.error = { type: ev.event.slice(EXCEPTION_PREFIX.length), message: body.message as string };
      return;
    }
    const data = JSON.parse(ev.data) as Record<string, any>;
    assert.ok(!stopped || ev.event === 'metadata', 'only metadata follows messageStop');
    switch (ev.event) {
      case 'messageStart':
        assert.equal(i, 0, 'messageStart first');
        assert.equal(data.role, 'assistant');
        started++;
        break;
      case 'contentBlockStart': {
        assert.equal(open, undefined, 'the previous block was stopped');
        assert.equal(data.contentBlockIndex, next, 'block indices contiguous from 0');
        const t = data.start?.toolUse;
        assert.ok(typeof t?.toolUseId === 'string' && typeof t?.name === 'string', 'a tool block starts with its id and name');
        open = { index: next++, kind: 'tool', tool: { id: t.toolUseId, name: t.name, arguments: '' } };
        answer.tools.push(open.tool!);
        break;
      }
      case 'contentBlockDelta': {
        const d = data.delta as Record<string, any>;
        if (open === undefined) {
          // Text and reasoning blocks open with their first delta, as Bedrock's do.
          assert.equal(data.contentBlockIndex, next, 'block indices contiguous from 0');
          assert.ok(d.toolUse === undefined, 'tool input only inside a started tool block');
          const kind = d.text !== undefined ? 'text' : d.reasoningContent?.redactedContent !== undefined ? 'redacted' : 'reasoning';
          open = { index: next++, kind };
        }
        assert.equal(data.contentBlockIndex, open.index, 'deltas belong to the open block');
        if (typeof d.text === 'string') {
          assert.equal(open.kind, 'text');
          answer.text += d.text;
        } else if (d.reasoningContent !== undefined) {
          assert.ok(open.kind === 'reasoning' || open.kind === 'redacted');
          if (typeof d.reasoningContent.text === 'string') answer.reasoning += d.reasoningContent.text;
        } else if (d.toolUse !== undefined) {
          assert.equal(open.kind, 'tool');
          assert.equal(typeof d.toolUse.input, 'string');
          open.tool!.arguments += d.toolUse.input;
        } else assert.fail(`unknown delta ${Object.keys(d).join()}`);
        break;
      }
      case 'contentBlockStop':
        assert.ok(open !== undefined && data.contentBlockIndex === open.index, 'contentBlockStop closes the open block');
        if (open.kind === 'tool' && open.tool!.arguments !== '') assert.doesNotThrow(() => JSON.parse(open!.tool!.arguments), 'tool input is complete JSON');
        open = undefined;
        break;
      case 'messageStop':
        assert.equal(open, undefined, 'every block stopped before messageStop');
        assert.ok(STOP_REASONS.has(data.stopReason), `stopReason ${data.stopReason}`);
        answer.finish = data.stopReason;
        stopped = true;
        break;
      case 'metadata':
        assert.ok(stopped && last, 'metadata last, after messageStop');
        assert.equal(typeof data.usage?.inputTokens, 'number');
        assert.equal(typeof data.usage?.outputTokens, 'number');
        answer.usage = data.usage;
        break;
      default:
        assert.fail(`unknown event ${ev.event}`);
    }
  });
  assert.equal(started, 1, 'exactly one messageStart');
  if (answer.error === undefined) assert.ok(stopped && answer.usage !== undefined, 'a complete stream ends with messageStop and metadata');
  return answer;
}

export const bedrockConformance: FrontConformance = {
  check: (output) => checkConverseStream(output),
  readable: (output) =>
    parseEventStream(Buffer.from(output, 'latin1'))
      .map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`)
      .join(''),
};
