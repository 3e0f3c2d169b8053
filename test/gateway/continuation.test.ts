// gateway/continuation.ts without a network: what may continue, the request that asks for it, and how
// the continuing upstream's events join the client's stream — the whitespace seam, block numbering,
// summed usage, what is left of max_tokens.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../src/core/errors.ts';
import type { StreamEvent } from '../../src/core/events.ts';
import type { ChatRequest } from '../../src/core/request.ts';
import { Continuation, DeliveredText, addUsage } from '../../src/gateway/continuation.ts';

const broke = new GatewayError('stream_truncated', 'upstream connection closed mid-response');

function chat(over: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: true,
    includeUsage: true,
    front: 'openai',
    raw: {},
    ...over,
  };
}

/** A client stream so far: message-start, an open text block with `texts`. */
function deliveredText(texts: string[], extra: StreamEvent[] = []): DeliveredText {
  const d = new DeliveredText();
  d.observe({ type: 'message-start' });
  d.observe({ type: 'block-start', index: 0, block: { kind: 'text' } });
  for (const t of texts) d.observe({ type: 'text-delta', index: 0, text: t });
  for (const ev of extra) d.observe(ev);
  return d;
}

/** Splices `events` and returns what the client gets, observing it as the pipeline does. */
function splice(c: Continuation, d: DeliveredText, events: StreamEvent[]): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (const ev of events) {
    c.splice(ev, (e) => {
      out.push(e);
      d.observe(e);
    });
  }
  return out;
}

const textOf = (events: StreamEvent[]): string => events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('');

describe('what may continue', () => {
  test('text only, before the finish', () => {
    assert.equal(deliveredText(['Hello']).continuable(), true);
    assert.equal(deliveredText([]).continuable(), false, 'nothing said yet');
    assert.equal(deliveredText(['Hi'], [{ type: 'finish', reason: 'stop' }]).continuable(), false);
    const tool = deliveredText(['Let me look.'], [
      { type: 'block-end', index: 0 },
      { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'c1', name: 'f' } },
      { type: 'tool-args-delta', index: 1, json: '{"ci' },
    ]);
    assert.equal(tool.continuable(), false, 'a broken tool call');
    const reasoning = new DeliveredText();
    reasoning.observe({ type: 'block-start', index: 0, block: { kind: 'reasoning' } });
    reasoning.observe({ type: 'reasoning-delta', index: 0, text: 'thinking' });
    assert.equal(reasoning.continuable(), false, 'a broken reasoning block');
    reasoning.observe({ type: 'block-end', index: 0 });
    reasoning.observe({ type: 'block-start', index: 1, block: { kind: 'text' } });
    reasoning.observe({ type: 'text-delta', index: 1, text: 'The answer' });
    assert.equal(reasoning.continuable(), true, 'text after finished reasoning');
  });
});

describe('the continuation request', () => {
  test('the conversation plus the text so far; reasoning off; the rest of max_tokens; canonical build', () => {
    const d = deliveredText(['Sluice', ' streams'], [{ type: 'usage', usage: { inputTokens: 12, outputTokens: 4 } }]);
    const c = new Continuation(chat({ maxTokens: 100, reasoning: { effort: 'high' } }), d, broke);
    const r = c.request;
    assert.equal(r.continuation, true);
    assert.equal(r.reasoning, undefined);
    assert.equal(r.maxTokens, 96);
    assert.deepEqual(r.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: 'Sluice streams' }] });
    assert.equal(r.messages.length, 2);
  });

  test('the client’s own prefill and the text so far make one prefix', () => {
    const c = new Continuation(
      chat({ front: 'anthropic', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }, { role: 'assistant', content: [{ type: 'text', text: 'The answer is' }] }] }),
      deliveredText([' 42,']),
      broke,
    );
    assert.deepEqual(c.request.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: 'The answer is 42,' }] });
    assert.equal(c.request.messages.length, 2);
  });
});

describe('the seam', () => {
  const cases: Array<[string, string[], string[], string]> = [
    // [what the client got, the continuation's deltas, …, what the client must get next]
    ['no whitespace at the end', ['Hello'], [' world'], ' world'],
    ['a space cut off, repeated by the continuation', ['Hello '], [' world'], 'world'],
    ['a space cut off, the continuation starts without one', ['Hello '], ['world'], 'world'],
    ['a newline cut off, the continuation starts with a space', ['Hello\n'], [' world'], 'world'],
    ['indentation cut off and repeated, across deltas', ['if x:\n', '    '], ['\n', '    ', 'return 1'], 'return 1'],
    ['more whitespace than was cut: the rest is kept', ['a '], ['  b'], ' b'],
  ];
  for (const [name, sent, next, expected] of cases) {
    test(name, () => {
      const d = deliveredText(sent);
      const c = new Continuation(chat(), d, broke);
      const prefix = (c.request.messages.at(-1)!.content[0] as { text: string }).text;
      assert.equal(prefix, sent.join('').replace(/\s+$/u, ''), 'the prefix never ends in whitespace');
      const out = splice(c, d, [
        { type: 'message-start' },
        { type: 'block-start', index: 0, block: { kind: 'text' } },
        ...next.map((text): StreamEvent => ({ type: 'text-delta', index: 0, text })),
        { type: 'block-end', index: 0 },
        { type: 'finish', reason: 'stop' },
        { type: 'done' },
      ]);
      assert.equal(textOf(out), expected);
    });
  }
});

describe('splicing', () => {
  test('one message: the first text joins the open block; later blocks are numbered after the client’s', () => {
    const d = deliveredText(['Checking']);
    const c = new Continuation(chat(), d, broke);
    const out = splice(c, d, [
      { type: 'message-start', id: 'msg_other' },
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: ' the weather.' },
      { type: 'block-end', index: 0 },
      { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'c9', name: 'weather' } },
      { type: 'tool-args-delta', index: 1, json: '{}' },
      { type: 'block-end', index: 1 },
      { type: 'finish', reason: 'tool-calls' },
      { type: 'done' },
    ]);
    assert.deepEqual(out, [
      { type: 'text-delta', index: 0, text: ' the weather.' },
      { type: 'block-end', index: 0 },
      { type: 'block-start', index: 1, block: { kind: 'tool-call', id: 'c9', name: 'weather' } },
      { type: 'tool-args-delta', index: 1, json: '{}' },
      { type: 'block-end', index: 1 },
      { type: 'finish', reason: 'tool-calls' },
      { type: 'done' },
    ]);
  });

  test('a continuation that starts with reasoning closes the client’s text block first', () => {
    const d = deliveredText(['Hmm']);
    const c = new Continuation(chat(), d, broke);
    const out = splice(c, d, [
      { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
      { type: 'reasoning-delta', index: 0, text: 'x' },
    ]);
    assert.deepEqual(out.slice(0, 2), [
      { type: 'block-end', index: 0 },
      { type: 'block-start', index: 1, block: { kind: 'reasoning' } },
    ]);
  });

  test('usage is the sum of every upstream call, estimated where one reported none', () => {
    const d = deliveredText(['one two'], [{ type: 'usage', usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 4 } }]);
    // 'one two' is 7 characters, about 2 tokens: the report is not behind what was sent.
    const c = new Continuation(chat(), d, broke);
    const out = splice(c, d, [
      { type: 'block-start', index: 0, block: { kind: 'text' } },
      { type: 'text-delta', index: 0, text: ' three' },
      { type: 'usage', usage: { inputTokens: 14, outputTokens: 2 } },
    ]);
    assert.deepEqual(out.at(-1), { type: 'usage', usage: { inputTokens: 24, outputTokens: 4, cacheReadTokens: 4 } });
    // A second break: the first two calls are carried, the second as it reported itself.
    c.next(broke);
    const again = splice(c, d, [{ type: 'usage', usage: { inputTokens: 16, outputTokens: 5 } }]);
    assert.deepEqual(again.at(-1), { type: 'usage', usage: { inputTokens: 40, outputTokens: 9, cacheReadTokens: 4 } });
    // A call whose last report is behind what it sent counts what it sent, marked estimated.
    const behind = deliveredText(['a long answer of many words'], [{ type: 'usage', usage: { inputTokens: 10, outputTokens: 1 } }]);
    const b = new Continuation(chat(), behind, broke);
    const raised = splice(b, behind, [{ type: 'usage', usage: { inputTokens: 3, outputTokens: 3 } }]).at(-1) as { usage: { outputTokens: number; estimated?: boolean } };
    assert.equal(raised.usage.outputTokens, 7 + 3);
    assert.equal(raised.usage.estimated, true);
    // No usage from the broken call: estimated from its text, and marked.
    const quiet = deliveredText(['12345678']);
    const q = new Continuation(chat(), quiet, broke);
    const est = splice(q, quiet, [{ type: 'usage', usage: { inputTokens: 5, outputTokens: 5 } }]).at(-1) as { usage: { outputTokens: number; estimated?: boolean } };
    assert.equal(est.usage.outputTokens, 5 + 2);
    assert.equal(est.usage.estimated, true);
    assert.equal(addUsage(undefined, { inputTokens: 1, outputTokens: 1 })?.inputTokens, 1);
  });
});
