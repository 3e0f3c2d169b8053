// What every front's conformance checker shares (protocols/plugin.ts FrontConformance): the answer
// a client would read, and SSE parsing of what sluice wrote. Checkers throw node:assert errors
// naming the rule a stream breaks; the conformance suite (test/conformance/) runs them against
// every upstream fixture.

import assert from 'node:assert/strict';
import { SseDecoder } from '../../sse/decoder.ts';

export interface WireEvent {
  event: string;
  data: string;
}

export interface FrontAnswer {
  text: string;
  reasoning: string;
  tools: Array<{ id: string; name: string; arguments: string }>;
  finish?: string;
  usage?: Record<string, unknown>;
  error?: { type: string; message: string };
}

/** The events of an SSE body sluice wrote; it must terminate every event and never write CR. */
export function parseWire(output: string): WireEvent[] {
  const events: WireEvent[] = [];
  const d = new SseDecoder({ onEvent: (data, event) => events.push({ event, data }) });
  d.push(Buffer.from(output));
  d.end();
  // The writer must terminate every event: nothing may be left for EOF salvage.
  assert.ok(output === '' || output.endsWith('\n\n'), 'output ends with a blank line');
  assert.ok(!output.includes('\r'), 'the writer never emits CR');
  return events;
}
