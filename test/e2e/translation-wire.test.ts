// The SPEC §4.5 invariants on the raw bytes sluice sends, end to end: both fronts × every upstream
// type of `sluice mock` (and the demo), with reasoning, text and parallel tool calls, under the
// upstream quirks each dialect is known for (docs/quirks.md). The checkers are the conformance
// suite's (test/conformance/invariants.ts); here the bytes come through real sockets.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_TOOL_ARGS, mockReasoning, mockText } from '../../src/mock/server.ts';
import { checkAnthropicStream, checkOpenAIStream } from '../conformance/invariants.ts';
import { ALL_MOCK, FORECAST_SCHEMA, TARGETS, TIME_SCHEMA, startTranslationEnv, within, type MockModel, type TranslationEnv } from './translation-env.ts';

let env: TranslationEnv;

before(async () => {
  env = await startTranslationEnv();
});
after(() => env?.close());

/** Framing and content quirks per upstream dialect (mock faults), each run with reasoning + 2 tools. */
const QUIRKS: Record<'openai' | 'anthropic' | 'gemini', string[]> = {
  openai: ['', 'fault=crlf', 'fault=glued', 'fault=whole_tool', 'fault=tool_id_missing', 'fault=tool_id_repeat', 'fault=empty_deltas', 'fault=usage_every_chunk', 'fault=finish_on_content', 'fault=azure_filter', 'fault=stop_with_tools', 'keepalive=5'],
  anthropic: ['', 'fault=crlf', 'fault=glued', 'fault=no_event_lines', 'fault=done_after_stop', 'fault=padding', 'fault=whole_tool', 'fault=empty_deltas', 'fault=stop_with_tools', 'keepalive=5'],
  gemini: ['', 'fault=crlf', 'fault=cr', 'fault=done_after_stop', 'fault=empty_deltas', 'fault=no_final_blank', 'keepalive=5'],
};
/** Response-mode quirks every dialect has. */
const BODY_QUIRKS = ['fault=json_sse', 'fault=json_sse,bom', 'fault=ignore_stream', 'fault=ignore_stream,bom', 'fault=sse_as_json', 'fault=bom'];

async function post(path: string, body: unknown): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${env.sluice.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

function assertSseHeaders(h: Headers): void {
  assert.match(h.get('content-type') ?? '', /^text\/event-stream/);
  assert.match(h.get('cache-control') ?? '', /no-cache/);
  assert.equal(h.get('x-accel-buffering'), 'no');
  assert.equal(h.get('content-encoding'), null);
}

const OPENAI_TOOLS = [
  { type: 'function', function: { name: 'get_forecast', parameters: FORECAST_SCHEMA } },
  { type: 'function', function: { name: 'get_time', parameters: TIME_SCHEMA } },
];
const ANTHROPIC_TOOLS = [
  { name: 'get_forecast', input_schema: FORECAST_SCHEMA },
  { name: 'get_time', input_schema: TIME_SCHEMA },
];

/** Models whose upstream streams natively, so framing quirks apply to what sluice parses. */
function quirksFor(model: MockModel): string[] {
  return model.endsWith('-sim') ? [''] : [...QUIRKS[TARGETS[model]], ...BODY_QUIRKS];
}

describe('OpenAI front: invariants and exact content', () => {
  for (const model of ALL_MOCK) {
    for (const quirk of quirksFor(model)) {
      test(`${model} ${quirk || 'plain'}`, async () => {
        const res = await within(
          8000,
          post('/v1/chat/completions', {
            model,
            stream: true,
            stream_options: { include_usage: true },
            include_reasoning: true,
            tools: OPENAI_TOOLS,
            messages: [{ role: 'user', content: `Go [[mock reasoning=2 tools=2 chunks=4 ${quirk}]]` }],
          }),
        );
        assert.equal(res.status, 200, res.text);
        assertSseHeaders(res.headers);
        const answer = checkOpenAIStream(res.text, model, { includeUsage: true });
        assert.equal(answer.error, undefined);
        assert.equal(answer.reasoning, mockReasoning(2).join(''));
        assert.equal(answer.text, mockText(4).join(''));
        assert.deepEqual(answer.tools.map((t) => t.name), ['get_forecast', 'get_time']);
        for (const t of answer.tools) assert.deepEqual(JSON.parse(t.arguments), MOCK_TOOL_ARGS);
        assert.equal(answer.finish, 'tool_calls');
        assert.ok((answer.usage?.completion_tokens as number) > 0);
      });
    }
  }

  test('demo: text and a tool call', async () => {
    const text = checkOpenAIStream((await post('/v1/chat/completions', { model: 'demo', stream: true, messages: [{ role: 'user', content: 'hi' }] })).text, 'demo', {
      includeUsage: false,
    });
    assert.equal(text.finish, 'stop');
    const tool = checkOpenAIStream(
      (await post('/v1/chat/completions', { model: 'demo', stream: true, tools: OPENAI_TOOLS, messages: [{ role: 'user', content: 'hi' }] })).text,
      'demo',
      { includeUsage: false },
    );
    assert.equal(tool.finish, 'tool_calls');
    assert.equal(tool.tools.length, 1);
  });
});

describe('Anthropic front: invariants and exact content', () => {
  for (const model of ALL_MOCK) {
    for (const quirk of quirksFor(model)) {
      test(`${model} ${quirk || 'plain'}`, async () => {
        const res = await within(
          8000,
          post('/v1/messages', {
            model,
            stream: true,
            max_tokens: 2000,
            thinking: { type: 'enabled', budget_tokens: 1024 },
            tools: ANTHROPIC_TOOLS,
            messages: [{ role: 'user', content: `Go [[mock reasoning=2 tools=2 chunks=4 ${quirk}]]` }],
          }),
        );
        assert.equal(res.status, 200, res.text);
        assertSseHeaders(res.headers);
        const answer = checkAnthropicStream(res.text, model);
        assert.equal(answer.error, undefined);
        assert.equal(answer.reasoning, mockReasoning(2).join(''));
        assert.equal(answer.text, mockText(4).join(''));
        assert.deepEqual(answer.tools.map((t) => t.name), ['get_forecast', 'get_time']);
        for (const t of answer.tools) assert.deepEqual(JSON.parse(t.arguments), MOCK_TOOL_ARGS);
        assert.equal(answer.finish, 'tool_use');
        assert.ok((answer.usage?.output_tokens as number) > 0);
      });
    }
  }

  test('demo: text and a tool call', async () => {
    const text = checkAnthropicStream((await post('/v1/messages', { model: 'demo', stream: true, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })).text, 'demo');
    assert.equal(text.finish, 'end_turn');
    const tool = checkAnthropicStream(
      (await post('/v1/messages', { model: 'demo', stream: true, max_tokens: 100, tools: ANTHROPIC_TOOLS, messages: [{ role: 'user', content: 'hi' }] })).text,
      'demo',
    );
    assert.equal(tool.finish, 'tool_use');
    assert.equal(tool.tools.length, 1);
  });
});
