// The mock's normal answers must be accepted by the official SDKs pointed straight at it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { MOCK_TOOL_ARGS, type MockServer, mockReasoning, mockText, startMock } from '../../src/mock/server.ts';
import { ANTHROPIC_TOOLS, GEMINI_TOOLS, OPENAI_TOOLS, USER, geminiBody, jsonEvents, raw } from './helpers.ts';

let mock: MockServer;
let openai: OpenAI;
let anthropic: Anthropic;

before(async () => {
  mock = await startMock();
  openai = new OpenAI({ baseURL: mock.url + '/v1', apiKey: 'x', maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ baseURL: mock.url, apiKey: 'x', maxRetries: 0, timeout: 10_000 });
});
after(() => mock.close());

describe('OpenAI SDK', () => {
  test('streaming text equals mockText(12), one id, role first, usage when asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gpt-mock',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const ids = new Set<string>();
    let role: string | undefined;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      ids.add(chunk.id);
      const choice = chunk.choices[0];
      role ??= choice?.delta.role;
      text += choice?.delta.content ?? '';
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, mockText(12).join(''));
    assert.equal(ids.size, 1);
    assert.equal(role, 'assistant');
    assert.equal(finish, 'stop');
    assert.deepEqual([usage?.prompt_tokens, usage?.completion_tokens], [11, 12]);
  });

  test('chunks from a directive; non-streaming create', async () => {
    const res = await openai.chat.completions.create(
      { model: 'gpt-mock', messages: [{ role: 'user', content: 'Hi' }] },
      { headers: { 'x-mock': 'chunks=5' } },
    );
    assert.equal(res.choices[0].message.content, mockText(5).join(''));
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(res.usage?.completion_tokens, 5);
  });

  test('tool calls and reasoning survive ChatCompletionStream.finalChatCompletion()', async () => {
    const stream = openai.chat.completions.stream(
      { model: 'gpt-mock', messages: [{ role: 'user', content: 'Hi' }], tools: OPENAI_TOOLS as OpenAI.ChatCompletionTool[] },
      { headers: { 'x-mock': 'chunks=3;tools=2;reasoning=2' } },
    );
    let reasoning = '';
    for await (const chunk of stream) reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    const final = await stream.finalChatCompletion();
    const message = final.choices[0].message;
    assert.equal(reasoning, mockReasoning(2).join(''));
    assert.equal(message.content, mockText(3).join(''));
    assert.equal(final.choices[0].finish_reason, 'tool_calls');
    const calls = message.tool_calls ?? [];
    assert.equal(calls.length, 2);
    assert.deepEqual(
      calls.map((c) => (c.type === 'function' ? c.function.name : '')),
      ['get_forecast', 'get_time'],
    );
    for (const c of calls) {
      assert.ok(c.id.length > 0);
      assert.deepEqual(JSON.parse(c.type === 'function' ? c.function.arguments : ''), MOCK_TOOL_ARGS);
    }
  });

  test('a base path prefix works', async () => {
    const prefixed = new OpenAI({ baseURL: mock.url + '/openai/v1', apiKey: 'x', maxRetries: 0 });
    const res = await prefixed.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.choices[0].message.content, mockText(12).join(''));
  });

  test('fault=status reaches the SDK as an APIError with the status', async () => {
    await assert.rejects(
      openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-mock': 'fault=status;status=429' } }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 429,
    );
  });
});

describe('Anthropic SDK', () => {
  test('messages.stream(): text, usage and stop_reason', async () => {
    const stream = anthropic.messages.stream({ model: 'claude-mock', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    const final = await stream.finalMessage();
    assert.equal(text, mockText(12).join(''));
    assert.equal(final.stop_reason, 'end_turn');
    assert.deepEqual([final.usage.input_tokens, final.usage.output_tokens], [11, 12]);
  });

  test('thinking, text and a tool_use block with MOCK_TOOL_ARGS', async () => {
    const final = await anthropic.messages
      .stream(
        { model: 'claude-mock', max_tokens: 100, messages: [{ role: 'user', content: 'Hi [[mock tool=get_time reasoning=3 chunks=4]]' }], tools: ANTHROPIC_TOOLS as Anthropic.Tool[] },
      )
      .finalMessage();
    assert.deepEqual(
      final.content.map((b) => b.type),
      ['thinking', 'text', 'tool_use'],
    );
    const [thinking, text, tool] = final.content;
    assert.equal(thinking.type === 'thinking' && thinking.thinking, mockReasoning(3).join(''));
    assert.ok(thinking.type === 'thinking' && thinking.signature.length > 0);
    assert.equal(text.type === 'text' && text.text, mockText(4).join(''));
    assert.ok(tool.type === 'tool_use');
    assert.equal(tool.name, 'get_time');
    assert.deepEqual(tool.input, MOCK_TOOL_ARGS);
    assert.equal(final.stop_reason, 'tool_use');
  });

  test('non-streaming create', async () => {
    const msg = await anthropic.messages.create(
      { model: 'claude-mock', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], tools: ANTHROPIC_TOOLS as Anthropic.Tool[] },
      { headers: { 'x-mock': 'chunks=2;tool=1' } },
    );
    assert.deepEqual(
      msg.content.map((b) => b.type),
      ['text', 'tool_use'],
    );
    const tool = msg.content[1];
    assert.ok(tool.type === 'tool_use');
    assert.deepEqual(tool.input, MOCK_TOOL_ARGS);
    assert.equal(msg.usage.output_tokens, 2 + 10);
  });

  test('fault=status 529 reaches the SDK as overloaded_error', async () => {
    await assert.rejects(
      anthropic.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-mock': 'fault=status;status=529' } }),
      (e: unknown) => e instanceof Anthropic.APIError && e.status === 529 && JSON.stringify(e.error).includes('overloaded_error'),
    );
  });
});

describe('Gemini (fetch)', () => {
  const base = (): string => mock.url + '/v1beta/models/gemini-mock';

  test('SSE: text, cumulative usageMetadata on every chunk, finishReason on the last, no [DONE]', async () => {
    const res = await fetch(base() + ':streamGenerateContent?alt=sse', { method: 'POST', body: JSON.stringify(geminiBody()) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const body = await res.text();
    assert.ok(!body.includes('[DONE]'));
    const chunks = jsonEvents(body);
    let text = '';
    for (const c of chunks) for (const p of c.candidates[0].content.parts) text += p.text ?? '';
    assert.equal(text, mockText(12).join(''));
    const counts = chunks.map((c) => c.usageMetadata.candidatesTokenCount);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
    assert.equal(counts.at(-1), 12);
    assert.equal(chunks.at(-1).candidates[0].finishReason, 'STOP');
    assert.ok(chunks.slice(0, -1).every((c) => c.candidates[0].finishReason === undefined));
  });

  test('without alt=sse: one JSON array, streamed element by element', async () => {
    const parts: string[] = [];
    const res = await raw(base() + ':streamGenerateContent', { body: geminiBody(), headers: { 'x-mock': 'chunks=3' }, onChunk: (c) => parts.push(c.toString()) });
    assert.equal(res.headers['content-type'], 'application/json');
    const array = JSON.parse(res.text) as any[];
    assert.equal(array.length, 3);
    assert.equal(array.map((c) => c.candidates[0].content.parts[0].text).join(''), mockText(3).join(''));
    assert.ok(parts.length >= 1);
  });

  test('generateContent: thought part, text and whole functionCall parts with a signature on the first', async () => {
    const res = await fetch(base() + ':generateContent', {
      method: 'POST',
      headers: { 'x-mock': 'chunks=2;tools=2;reasoning=1' },
      body: JSON.stringify(geminiBody({ tools: GEMINI_TOOLS })),
    });
    const json = (await res.json()) as any;
    const parts = json.candidates[0].content.parts;
    assert.equal(parts[0].thought, true);
    assert.equal(parts[1].text, mockText(2).join(''));
    assert.deepEqual(parts.slice(2).map((p: any) => p.functionCall.name), ['get_forecast', 'get_time']);
    assert.deepEqual(parts[2].functionCall.args, MOCK_TOOL_ARGS);
    assert.ok(parts[2].thoughtSignature && !parts[3].thoughtSignature);
    assert.equal(parts[2].functionCall.id, undefined);
    assert.equal(json.candidates[0].finishReason, 'STOP');
    assert.deepEqual([json.usageMetadata.promptTokenCount, json.usageMetadata.candidatesTokenCount, json.usageMetadata.thoughtsTokenCount], [11, 22, 1]);
  });

  test('streamed tool calls arrive whole, finishReason STOP', async () => {
    const res = await raw(base() + ':streamGenerateContent?alt=sse', { body: geminiBody({ tools: GEMINI_TOOLS }), headers: { 'x-mock': 'chunks=1;tool=1' } });
    const chunks = jsonEvents(res.text);
    const call = chunks.flatMap((c) => c.candidates[0].content.parts).find((p: any) => p.functionCall);
    assert.deepEqual(call.functionCall, { name: 'get_forecast', args: MOCK_TOOL_ARGS });
    assert.equal(chunks.at(-1).candidates[0].finishReason, 'STOP');
  });
});

test('usage input counts messages: 10 + messages', async () => {
  const res = await openai.chat.completions.create({
    model: 'm',
    messages: [...USER, { role: 'assistant', content: 'a' }, { role: 'user', content: 'b' }] as OpenAI.ChatCompletionMessageParam[],
  });
  assert.equal(res.usage?.prompt_tokens, 13);
});

describe('embeddings', () => {
  test('OpenAI SDK embeddings.create: float, base64 (the SDK default) and batches give mockEmbedding()', async () => {
    const { mockEmbedding } = await import('../../src/mock/embeddings.ts');
    const float = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'lock keeper', encoding_format: 'float' });
    assert.deepEqual(float.data[0]!.embedding, Array.from(mockEmbedding('lock keeper')));
    assert.equal(float.usage.prompt_tokens, 3);
    const b64 = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'bb'], dimensions: 4 });
    assert.deepEqual(b64.data.map((d) => d.embedding), [Array.from(mockEmbedding('a', 4)), Array.from(mockEmbedding('bb', 4))]);
    await assert.rejects(openai.embeddings.create({ model: 'm', input: '' }), (e: unknown) => (e as { status?: number }).status === 400);
  });

  test('Gemini embedContent and batchEmbedContents (REST shapes of the Gemini API)', async () => {
    const { mockEmbedding } = await import('../../src/mock/embeddings.ts');
    const one = await raw(mock.url + '/v1beta/models/gemini-embedding-001:embedContent', { body: { content: { parts: [{ text: 'weir' }] }, outputDimensionality: 6 } });
    assert.equal(one.status, 200);
    assert.deepEqual(JSON.parse(one.text).embedding.values, Array.from(mockEmbedding('weir', 6)));
    const batch = await raw(mock.url + '/v1beta/models/gemini-embedding-001:batchEmbedContents', {
      body: { requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'x' }] } }, { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'y' }] } }] },
    });
    assert.deepEqual(JSON.parse(batch.text).embeddings.map((e: { values: number[] }) => e.values), [Array.from(mockEmbedding('x')), Array.from(mockEmbedding('y'))]);
    const bad = await raw(mock.url + '/v1beta/models/gemini-embedding-001:batchEmbedContents', { body: { requests: [{ model: 'models/other', content: { parts: [{ text: 'x' }] } }] } });
    assert.equal(bad.status, 400);
  });
});
