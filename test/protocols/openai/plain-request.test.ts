// The hand check of the common chat request (src/protocols/openai/plain-request.ts) against zod: on
// generated bodies, every one it accepts is accepted by chatRequestSchema with an output equal to the
// body itself (so the decoder reads the same values either way), and it does accept the bodies SDKs
// send most.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { isPlainChatRequest } from '../../../src/protocols/openai/plain-request.ts';
import { decodeOpenAIRequest } from '../../../src/protocols/openai/decode-request.ts';
import { chatRequestSchema } from '../../../src/protocols/openai/wire.ts';
import { mulberry32 } from '../../helpers/prng.ts';

/** Values a field takes in generated bodies, valid and not; `undefined` leaves the field out. */
const INTS = [undefined, null, 1, 100, 0, -1, 1.5, 2 ** 53, 2 ** 53 - 1, '5', true];
const TOP: Record<string, unknown[]> = {
  model: ['gpt-4o', 'm', '', 5, null, undefined],
  stream: [undefined, null, true, false, 'true', 0],
  stream_options: [undefined, null, {}, { include_usage: true }, { include_usage: null }, { include_usage: 'yes' }, [], 'x', { include_usage: false, extra: 1 }],
  max_tokens: INTS,
  max_completion_tokens: INTS,
  n: INTS,
  temperature: [undefined, null, 0, 0.7, 2, 2.01, -0.1, '1', Number.NaN, Number.POSITIVE_INFINITY],
  top_p: [undefined, null, 0, 1, 0.5, 1.01, -0.5, '0.5'],
  presence_penalty: [undefined, null, -2, 2, 0, -2.5, 2.5, 'x'],
  frequency_penalty: [undefined, null, -2, 2, 1.2, -3, 3, false],
  top_k: [undefined, null, -1, 0, 40, 0.5, 2 ** 60, '4'],
  seed: [undefined, null, 0, -7, 42, 1.25, 2 ** 55, 's'],
  stop: [undefined, null, 'x', '', ['a', 'b'], [], [1], ['a', null], 5, {}],
  reasoning_effort: [undefined, null, 'low', 'minimal', 'max', 'xhigh', 'bogus', 1],
  include_reasoning: [undefined, null, true, 'no'],
  parallel_tool_calls: [undefined, null, false, 1],
  user: [undefined, null, 'u-1', 3, {}],
  tools: [undefined, undefined, null, [], [{ type: 'function', function: { name: 'f' } }], [{ type: 'function', function: { name: '' } }], 'x'],
  tool_choice: [undefined, undefined, null, 'auto', 'bogus'],
  functions: [undefined, undefined, null, [], [{ name: 'f' }]],
  function_call: [undefined, undefined, null, 'auto', { name: 'f' }, 3],
  response_format: [undefined, undefined, null, { type: 'text' }, { type: 'json_schema' }],
  reasoning: [undefined, undefined, null, { effort: 'low' }, { effort: 'huge' }],
  x_unknown: [undefined, undefined, 1, { deep: [1] }],
};
const ROLES = ['user', 'user', 'system', 'developer', 'assistant', 'tool', 'function', 'bogus', 3, undefined];
const CONTENTS = ['hi', 'hi', '', null, undefined, [{ type: 'text', text: 'x' }], [{ type: 'image_url', image_url: { url: 'data:,' } }], 5, { text: 'x' }];
const MESSAGE_FIELDS: Record<string, unknown[]> = {
  name: [undefined, undefined, null, 'n', 4],
  tool_call_id: [undefined, 'call_1', 'call_1', 3],
  tool_calls: [undefined, undefined, null, [], [{ id: 'a', function: { name: 'f', arguments: '{}' } }], 'x'],
  function_call: [undefined, undefined, null, { name: 'f', arguments: '{}' }],
  refusal: [undefined, undefined, null, 'no', 2],
  x_extra: [undefined, undefined, true],
};

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** Half the bodies are near the common shape (few fields, plain messages), half anything. */
function message(rand: () => number, near: boolean): unknown {
  const r = rand();
  if (r < 0.03) return null;
  if (r < 0.05) return ['user', 'hi'];
  const m: Record<string, unknown> = {};
  const role = near ? pick(rand, ['user', 'system', 'developer', 'assistant', 'tool']) : pick(rand, ROLES);
  if (role !== undefined) m.role = role;
  const content = near ? pick(rand, ['hi', '', null, 'x']) : pick(rand, CONTENTS);
  if (content !== undefined) m.content = content;
  if (near && role === 'tool' && rand() < 0.8) m.tool_call_id = 'call_1';
  for (const [k, values] of Object.entries(MESSAGE_FIELDS)) {
    if (rand() < (near ? 0.9 : 0.6)) continue;
    const v = pick(rand, values);
    if (v !== undefined) m[k] = v;
  }
  return m;
}

function body(rand: () => number): Record<string, unknown> {
  const b: Record<string, unknown> = {};
  const near = rand() < 0.5;
  for (const [k, values] of Object.entries(TOP)) {
    // Most fields absent, as in real requests; model and messages nearly always there.
    if (k !== 'model' && rand() < (near ? 0.93 : 0.75)) continue;
    const v = pick(rand, values);
    if (v !== undefined) b[k] = v;
  }
  const r = rand();
  if (r < 0.03) b.messages = 'hi';
  else if (r < 0.06) b.messages = [];
  else b.messages = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => message(rand, near));
  return b;
}

describe('OpenAI front: the plain request checked by hand', () => {
  test('every body it accepts, zod accepts with an output equal to the body', (t) => {
    const rand = mulberry32(20261208);
    let fast = 0;
    let zodOnly = 0;
    let neither = 0;
    for (let i = 0; i < 20_000; i++) {
      const b = body(rand);
      // As the front gets them: parsed from JSON text (NaN and Infinity become null there).
      const wire = JSON.parse(JSON.stringify(b)) as Record<string, unknown>;
      for (const candidate of [b, wire]) {
        const result = chatRequestSchema.safeParse(candidate);
        if (isPlainChatRequest(candidate)) {
          fast++;
          assert.ok(result.success, `accepted by hand, refused by zod: ${JSON.stringify(candidate)}\n${JSON.stringify(result.error?.issues)}`);
          assert.deepEqual(result.data, candidate, JSON.stringify(candidate));
        } else if (result.success) zodOnly++;
        else neither++;
      }
    }
    // The generator reaches all three outcomes often enough for the comparison to mean something.
    t.diagnostic(`by hand ${fast}, zod only ${zodOnly}, refused ${neither}`);
    assert.ok(fast > 1000, `fast ${fast}`);
    assert.ok(zodOnly > 100, `zodOnly ${zodOnly}`);
    assert.ok(neither > 1000, `neither ${neither}`);
  });

  test('the bodies SDKs send most are taken by hand', () => {
    const accepted = [
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] },
      { model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }] },
      {
        model: 'm',
        max_tokens: 1024,
        temperature: 0.2,
        top_p: 1,
        stop: ['\n\n'],
        seed: 7,
        user: 'u',
        messages: [
          { role: 'developer', content: 'rules' },
          { role: 'user', content: 'a', name: 'ann' },
          { role: 'assistant', content: 'b' },
          { role: 'tool', content: '{"ok":true}', tool_call_id: 'call_1' },
          { role: 'assistant', content: null, refusal: null },
        ],
        tools: null,
        metadata: { any: 'thing' },
      },
    ];
    for (const b of accepted) assert.equal(isPlainChatRequest(b), true, JSON.stringify(b));
    const refused = [
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [] },
      { model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [] }] },
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 3 },
      { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 },
      JSON.parse('{"model":"m","messages":[{"role":"user","content":"hi"}],"__proto__":{"x":1}}') as Record<string, unknown>,
    ];
    for (const b of refused) assert.equal(isPlainChatRequest(b), false, JSON.stringify(b));
  });

  test('a body refused by hand still decodes through zod, and its errors are zod\'s', () => {
    const withParts = decodeOpenAIRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, {});
    assert.deepEqual(withParts.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    assert.throws(() => decodeOpenAIRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 3 }, {}), /temperature/);
  });
});
