// sse.md §3 "Worked examples", row by row (`␊` = LF, `␍` = CR in the spec table).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, newDecoded, recordingDecoder } from './collect.ts';
import type { DecodedEvent } from './collect.ts';

interface Row {
  name: string;
  wire: string;
  /** Events fired by the WHATWG algorithm, i.e. before end(). */
  events: DecodedEvent[];
  /** What end() adds under sluice's EOF leniency; the spec discards it. */
  salvaged?: DecodedEvent[];
}

const message = (data: string, id = ''): DecodedEvent => ({ event: '', data, id });

const ROWS: Row[] = [
  { name: 'two data lines join with LF', wire: 'data: a\ndata: b\n\n', events: [message('a\nb')] },
  { name: 'data:x without space', wire: 'data:x\n\n', events: [message('x')] },
  { name: 'data: x with one space', wire: 'data: x\n\n', events: [message('x')] },
  { name: 'only one space is stripped', wire: 'data:  x\n\n', events: [message(' x')] },
  { name: 'data without colon is an empty data field', wire: 'data\n\n', events: [message('')] },
  { name: 'two valueless data lines', wire: 'data\ndata\n\n', events: [message('\n')] },
  { name: 'comment fires nothing', wire: ': keepalive\n\n', events: [] },
  { name: 'event without data fires nothing', wire: 'event: ping\n\n', events: [] },
  { name: 'CRLF terminators', wire: 'data: {"a":1}\r\n\r\n', events: [message('{"a":1}')] },
  { name: 'bare CR terminators', wire: 'data: {"a":1}\r\r', events: [message('{"a":1}')] },
  {
    name: 'no blank line before EOF',
    wire: 'data: {"a":1}',
    events: [],
    salvaged: [message('{"a":1}')],
  },
  { name: 'id persists across events', wire: 'id: 7\ndata: x\n\ndata: y\n\n', events: [message('x', '7'), message('y', '7')] },
];

describe('sse.md §3 worked examples', () => {
  for (const row of ROWS) {
    test(row.name, () => {
      const out = newDecoded();
      const decoder = recordingDecoder(out);
      decoder.push(bytes(row.wire));
      assert.deepEqual(out.events, row.events, 'events fired by the spec algorithm');
      decoder.end();
      assert.deepEqual(out.events, [...row.events, ...(row.salvaged ?? [])], 'events after end()');
      assert.deepEqual(out.errors, []);
    });
  }
});
