// two events glued into one data value (Azure AI Foundry, openclaw/openclaw#32179).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { splitGluedJson } from '../../src/sse/index.ts';
import { bytes, decodeChunks } from './collect.ts';

const DELTA_A = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}';
const DELTA_B = '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}';

describe('splitGluedJson', () => {
  const recoverable: Array<{ name: string; data: string; documents: string[] }> = [
    { name: 'object, spaces, event line, then the next data line joined by the decoder', data: `${DELTA_A}    event: content_block_delta\n${DELTA_B}`, documents: [DELTA_A, DELTA_B] },
    { name: 'object, event and data on one line', data: `${DELTA_A} event: content_block_delta data: ${DELTA_B}`, documents: [DELTA_A, DELTA_B] },
    { name: 'object followed by a dangling event line', data: `${DELTA_A}    event: content_block_delta`, documents: [DELTA_A] },
    { name: 'two objects back to back', data: `${DELTA_A}${DELTA_B}`, documents: [DELTA_A, DELTA_B] },
    { name: 'object, LF, data prefix, object', data: `${DELTA_A}\ndata: ${DELTA_B}`, documents: [DELTA_A, DELTA_B] },
    { name: 'object, CRLF, data prefix without space, object', data: `${DELTA_A}\r\ndata:${DELTA_B}`, documents: [DELTA_A, DELTA_B] },
    { name: 'three documents including an array', data: '{"a":1}[1,{"b":[2]}] {"c":3}', documents: ['{"a":1}', '[1,{"b":[2]}]', '{"c":3}'] },
    { name: 'braces and quotes inside strings', data: '{"t":"}{ event: x \\"}\\\\"}{"u":"[\\u007b"}', documents: ['{"t":"}{ event: x \\"}\\\\"}', '{"u":"[\\u007b"}'] },
    { name: 'JSON then the OpenAI end marker (Q-2)', data: '{"id":"c"}data: [DONE]', documents: ['{"id":"c"}', '[DONE]'] },
    { name: 'whitespace padding (Q-11)', data: '  {"type":"message_stop"      }  {"x":1}\n', documents: ['{"type":"message_stop"      }', '{"x":1}'] },
  ];
  for (const { name, data, documents } of recoverable) {
    test(`recovers: ${name}`, () => {
      const result = splitGluedJson(data);
      assert.deepEqual(result, documents);
      for (const document of result ?? []) if (document !== '[DONE]') JSON.parse(document);
    });
  }

  const unrecoverable: Array<{ name: string; data: string }> = [
    { name: 'trailing garbage', data: `${DELTA_A} garbage` },
    { name: 'truncated second object', data: `${DELTA_A}{"type":"content_bl` },
    { name: 'an invalid document', data: '{"a":1}{"b":}' },
    { name: 'an unterminated string', data: '{"a":"}' },
    { name: 'plain text', data: 'hello' },
    { name: 'an event line only', data: 'event: ping' },
    { name: 'empty', data: '' },
    { name: 'a bare scalar', data: '{"a":1} 42' },
    { name: 'an unknown field prefix', data: '{"a":1} id: 3 {"b":2}' },
  ];
  for (const { name, data } of unrecoverable) {
    test(`gives up: ${name}`, () => {
      assert.equal(splitGluedJson(data), undefined);
    });
  }

  test('end to end: the glued Foundry stream decodes to one event whose data splits into two', () => {
    const wire = `event: content_block_delta\ndata: ${DELTA_A}    event: content_block_delta\ndata: ${DELTA_B}\n\n`;
    const { events } = decodeChunks([bytes(wire)]);
    assert.equal(events.length, 1);
    assert.throws(() => JSON.parse(events[0].data), SyntaxError);
    assert.deepEqual(splitGluedJson(events[0].data), [DELTA_A, DELTA_B]);
  });
});
