// core/raw-json.ts: a same-dialect upstream body spliced from the client's bytes. What it must hold:
// the upstream parses exactly the body the codec built; what the codec left alone goes out as the
// client's own bytes; and whenever it cannot be sure, it serialises as before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonOver, parseJsonBytes, parseJsonPieces, PIECEWISE_MIN_BYTES, RAW_JSON_MIN_BYTES, rememberRawJson, topLevelMembers } from '../../src/core/raw-json.ts';
import { parseClientJson } from '../../src/gateway/client-json.ts';
import { mulberry32 } from '../helpers/prng.ts';

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

test('the bytes serve the first upstream body only: a retry is serialised, and the bytes are let go', () => {
  const raw = parsed(bigBodyText());
  assert.ok(Buffer.isBuffer(jsonOver({ ...raw, model: 'first' }, raw)));
  const again = jsonOver({ ...raw, model: 'retry' }, raw);
  assert.equal(typeof again, 'string');
  assert.equal(JSON.parse(again as string).model, 'retry');
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
  const again = parsed(bigBodyText(',\n  "metadata": {"second": 2}'));
  const spliced = jsonOver({ ...again, metadata: { third: 3 } }, again);
  assert.ok(Buffer.isBuffer(spliced));
  const replaced = spliced.toString();
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

// ---------------------------------------------------------------------------------------------
// parseJsonBytes: JSON.parse's result and errors, without one large string

const rng = mulberry32;

const STRINGS = ['', 'plain', 'ends in a backslash \\', '\\', 'backslash then quote \\"', 'quote " and \\ backslash', 'caf\u00e9 na\u00efve', 'emoji 😀 and 𝄞', '{not} [json], "x": 1', 'tab\tnew\nline\u0001', '\u2028\u2029', 'x'.repeat(5000)];

/** Random JSON text: whitespace, escapes and number spellings vary, keys repeat, containers nest. */
function randomJson(next: () => number, depth: number, budget: { bytes: number }): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
  const ws = (): string => (next() < 0.3 ? pick([' ', '\n', '\t', '\r\n  ', '']) : '');
  const str = (): string => {
    const s = pick(STRINGS);
    // Sometimes with \u escapes JSON.stringify would not write.
    return next() < 0.3 ? `"${[...s].map((c) => (c === '"' || c === '\\' || c < ' ' || next() < 0.2 ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c)).join('')}"` : JSON.stringify(s);
  };
  if (depth > 6 || budget.bytes <= 0 || next() < 0.15) {
    const scalar = pick([str, () => pick(['0', '-0', '1.5e3', '-12.25', '12345678901234567890', '1E-7', 'true', 'false', 'null'])])();
    budget.bytes -= scalar.length;
    return scalar;
  }
  const n = Math.floor(next() * (depth === 0 ? 60 : 12));
  const items: string[] = [];
  const isObject = next() < 0.5;
  const keys = ['model', 'messages', 'a', 'b', '1', '10', '2', 'content', 'role', 'é', 'tools'];
  for (let k = 0; k < n && budget.bytes > 0; k++) {
    const value = randomJson(next, depth + 1, budget);
    items.push(isObject ? `${ws()}${JSON.stringify(pick(keys))}${ws()}:${ws()}${value}${ws()}` : `${ws()}${value}${ws()}`);
  }
  return isObject ? `{${items.join(',')}${ws()}}` : `[${items.join(',')}${ws()}]`;
}

test('parseJsonBytes equals JSON.parse on random large documents (values, key order, duplicates)', () => {
  let piecewise = 0;
  for (let seed = 1; seed <= 120; seed++) {
    const next = rng(seed);
    // Mostly above the piecewise threshold, some below.
    const text = `{"messages":[${Array.from({ length: 3 + Math.floor(next() * 6) }, () => randomJson(next, 1, { bytes: 20_000 + next() * 60_000 })).join(',')}],"x":${randomJson(next, 1, { bytes: 2000 })},"messages":${randomJson(next, 1, { bytes: 30_000 })}}`;
    const bytes = Buffer.from(text);
    if (bytes.length >= PIECEWISE_MIN_BYTES) piecewise++;
    const expected = JSON.parse(text);
    // The pieces themselves, not the fallback: a valid document never needs it.
    for (const got of [parseJsonBytes(bytes), parseJsonPieces(bytes)]) {
      assert.deepStrictEqual(got, expected, `seed ${seed}`);
      assert.deepEqual(JSON.stringify(got), JSON.stringify(expected), `seed ${seed}: key order`);
    }
  }
  assert.ok(piecewise > 60, `${piecewise} documents took the piecewise path`);
});

test('parseJsonBytes: a large array of many small elements, a huge string, deep nesting, __proto__', () => {
  const many = Buffer.from(JSON.stringify({ messages: Array.from({ length: 20_000 }, (_, i) => ({ role: 'user', content: `m${i}` })) }));
  assert.deepEqual(parseJsonPieces(many), JSON.parse(many.toString()));
  const huge = Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: 'y'.repeat(300_000) }] }));
  assert.deepEqual(parseJsonPieces(huge), JSON.parse(huge.toString()));
  const deep = Buffer.from(`${'['.repeat(40)}${JSON.stringify('z'.repeat(200_000))}${']'.repeat(40)}`);
  assert.deepEqual(parseJsonPieces(deep), JSON.parse(deep.toString()));
  const proto = Buffer.from(`{"messages":${JSON.stringify(Array.from({ length: 20_000 }, (_, i) => `p${i}`))},"__proto__":{"polluted":true}}`);
  assert.ok(proto.length > PIECEWISE_MIN_BYTES);
  const parsed = parseJsonBytes(proto) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(parsed), Object.prototype, 'the prototype is untouched');
  assert.deepEqual(Object.keys(parsed), ['messages', '__proto__'], 'an own property, as JSON.parse makes it');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('parseJsonBytes: invalid large documents throw JSON.parse\'s own error', () => {
  const good = JSON.stringify({ messages: Array.from({ length: 3000 }, (_, i) => ({ role: 'user', content: `m${i} ${'w'.repeat(30)}` })) });
  const bad = [
    good.replace('"m10 ', '"m10 \u0001'), // a raw control character in a string
    good.replace('},{', '},,{'), // two commas
    good.replace(/}]}$/, '},]}'), // a trailing comma
    good.replace('"role"', 'role'), // an unquoted key
    `${good.slice(0, -1)}`, // cut short
    `${good} x`, // trailing garbage
    good.replace('"user"', '"user" "user"'), // two values
    good.replace('},{', '}{'), // a missing comma
  ];
  for (const text of bad) {
    let expected: Error | undefined;
    try {
      JSON.parse(text);
    } catch (err) {
      expected = err as Error;
    }
    assert.ok(expected, 'the document is invalid');
    assert.throws(() => parseJsonBytes(Buffer.from(text)), (err: Error) => err instanceof SyntaxError && err.message === expected!.message);
  }
});
