// core/raw-json.ts: a same-dialect upstream body spliced from the client's bytes. What it must hold:
// the upstream parses exactly the body the codec built; what the codec left alone goes out as the
// client's own bytes; and whenever it cannot be sure, it serialises as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonOver, RAW_JSON_MIN_BYTES, rememberRawJson, topLevelMembers } from '../../src/core/raw-json.ts';
import { parseClientJson } from '../../src/gateway/client-json.ts';

/** A body over the splicing threshold: a conversation with escapes, quotes, braces and brackets inside strings. */
function bigBodyText(extraTop = ''): string {
  const turns: string[] = [];
  for (let i = 0; i < 80; i++) {
    turns.push(
      `{ "role": "user", "content": "turn ${i}: caf\\u00e9 \\"quoted\\" {not: an object} [nor, an array] back\\\\slash \\\\\\" end" }`,
      `{"role":"assistant","content":null,"tool_calls":[{"id":"call_${i}","type":"function","function":{"name":"read","arguments":"{\\"path\\":\\"src/f${i}.ts\\"}"}}]}`,
      `{"role":"tool","tool_call_id":"call_${i}","content":"ok ${i}"}`,
    );
  }
  return `{\n  "model" : "client-model",\n  "messages": [${turns.join(',\n')}],\n  "temperature": 0.70,\n  "seed": 12345678901234567890,\n  "metadata": {"a": [1, 2, {"b": null}], "t": true}${extraTop}\n}\n`;
}

function parsed(text: string): Record<string, unknown> {
  return parseClientJson(Buffer.from(text)) as Record<string, unknown>;
}

test('the top-level members of an object, strings with escapes skipped', () => {
  const text = ` { "a" : "x\\"}" , "b":[1,{"c":"]"}], "d":-1.5e3,"e":true,"f":null, "g":{} }\n`;
  const members = topLevelMembers(Buffer.from(text))!;
  assert.deepEqual(
    members.map((m) => [m.key, text.slice(m.start, m.end)]),
    [
      ['a', '"a" : "x\\"}"'],
      ['b', '"b":[1,{"c":"]"}]'],
      ['d', '"d":-1.5e3'],
      ['e', '"e":true'],
      ['f', '"f":null'],
      ['g', '"g":{}'],
    ],
  );
  assert.deepEqual(topLevelMembers(Buffer.from('{}')), []);
  assert.equal(topLevelMembers(Buffer.from('[1]')), undefined, 'not an object');
  assert.equal(topLevelMembers(Buffer.from('{"a":1} x')), undefined, 'trailing bytes');
});

test('a large body: the upstream parses what the codec built, and unchanged members are the client bytes', () => {
  const text = bigBodyText();
  assert.ok(text.length > RAW_JSON_MIN_BYTES);
  const raw = parsed(text);
  const body: Record<string, unknown> = { ...raw, model: 'upstream-model', stream: true, stream_options: { include_usage: true } };
  delete body.temperature;
  const out = jsonOver(body, raw);
  assert.ok(Buffer.isBuffer(out), 'spliced, not serialised');
  const sent = out.toString('utf8');
  assert.deepEqual(JSON.parse(sent), JSON.parse(JSON.stringify(body)));
  // The client's spellings survive: an escape JSON.stringify would have written as é, and an
  // integer beyond 2^53 that JSON.parse rounds.
  assert.ok(sent.includes('caf\\u00e9'), 'escapes kept');
  assert.ok(sent.includes('"seed": 12345678901234567890'), 'big integer kept as written');
  assert.ok(!sent.includes('client-model') && !sent.includes('temperature'), 'replaced and removed members are gone');
  assert.ok(sent.endsWith(',"stream":true,"stream_options":{"include_usage":true}}'), 'added members at the end');
});

test('a member the codec rebuilt is serialised; one it passed on is not', () => {
  const raw = parsed(bigBodyText());
  const messages = (raw.messages as unknown[]).slice(0, 2);
  const out = jsonOver({ ...raw, messages }, raw).toString();
  assert.deepEqual(JSON.parse(out).messages, messages);
  assert.ok(out.includes('"metadata": {"a": [1, 2, {"b": null}], "t": true}'), 'untouched member byte for byte');
});

test('a top-level member replaced in raw after parsing is not taken from the stale bytes', () => {
  const raw = parsed(bigBodyText());
  raw.metadata = { replaced: true };
  const out = jsonOver({ ...raw, model: 'u' }, raw).toString();
  assert.deepEqual(JSON.parse(out).metadata, { replaced: true });
});

test('duplicate keys: the last one is what JSON.parse kept, and only it is sent', () => {
  const raw = parsed(bigBodyText(',\n  "metadata": {"second": 2}'));
  assert.deepEqual(raw.metadata, { second: 2 });
  const out = jsonOver({ ...raw, model: 'u' }, raw).toString();
  assert.equal(out.split('"metadata"').length, 2, 'one metadata member');
  assert.deepEqual(JSON.parse(out).metadata, { second: 2 });
  const replaced = jsonOver({ ...raw, metadata: { third: 3 } }, raw).toString();
  assert.equal(replaced.split('"metadata"').length, 2);
  assert.deepEqual(JSON.parse(replaced).metadata, { third: 3 });
});

test('small bodies, keys with escapes and bodies never remembered are serialised as before', () => {
  const small = parsed('{"model":"a","messages":[]}');
  assert.equal(jsonOver({ ...small, model: 'b' }, small), '{"model":"b","messages":[]}');
  const escapedKey = parsed(bigBodyText(',\n  "x\\u0041": 1'));
  const out = jsonOver({ ...escapedKey, model: 'u' }, escapedKey);
  assert.equal(typeof out, 'string');
  assert.equal(JSON.parse(out as string).xA, 1);
  const notParsedHere = { model: 'a' };
  assert.equal(jsonOver({ ...notParsedHere, model: 'b' }, notParsedHere), '{"model":"b"}');
});

test('rememberRawJson keeps nothing for arrays, scalars and small bodies', () => {
  const arr = [1, 2];
  rememberRawJson(arr, Buffer.alloc(RAW_JSON_MIN_BYTES + 1, 0x20));
  const small = { a: 1 };
  rememberRawJson(small, Buffer.from('{"a":1}'));
  assert.equal(jsonOver({ a: 2 }, small), '{"a":2}');
});
