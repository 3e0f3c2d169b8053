import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get_encoding } from 'tiktoken';
import type { ChatRequest } from '../../src/core/request.ts';
import { countRequestTokens, countWith, imageSize, imageTokens, loadEncoder, MAX_IMAGE_TOKENS, OFF_THREAD_CHARS, vocabularyFor, type Encoder } from '../../src/tokenize/index.ts';

function request(over: Partial<ChatRequest>): ChatRequest {
  return { model: 'm', messages: [], stream: false, includeUsage: false, front: 'openai', raw: {}, ...over };
}

const PARAGRAPH =
  'Sluice routes each request to one of several upstream deployments, translating between protocols where they differ, ' +
  'and streams the answer back. Every front works over every upstream type: naïve café 東京 🌧 "quoted" back\\slash.\n';

test('vocabulary by model family', () => {
  assert.equal(vocabularyFor('gpt-4o-mini'), 'o200k_base');
  assert.equal(vocabularyFor('gpt-4.1'), 'o200k_base');
  assert.equal(vocabularyFor('o3-mini'), 'o200k_base');
  assert.equal(vocabularyFor('gpt-4'), 'cl100k_base');
  assert.equal(vocabularyFor('gpt-4-turbo'), 'cl100k_base');
  assert.equal(vocabularyFor('gpt-3.5-turbo'), 'cl100k_base');
  assert.equal(vocabularyFor('claude-sonnet-4-5'), 'cl100k_base');
  assert.equal(vocabularyFor('anthropic/claude-opus-4-8'), 'cl100k_base');
  assert.equal(vocabularyFor('us.anthropic.claude-sonnet-4-5-v1:0'), 'cl100k_base');
  assert.equal(vocabularyFor('models/gemini-2.5-flash'), 'o200k_base');
  assert.equal(vocabularyFor('qwen2.5'), 'o200k_base');
});

test('text counts match the reference tokenizer plus chat framing', async () => {
  const text = PARAGRAPH.repeat(40);
  const ref = get_encoding('o200k_base');
  const reference = ref.encode(text).length;
  ref.free();
  const { inputTokens, estimated, vocabulary } = await countRequestTokens(
    request({ messages: [{ role: 'user', content: [{ type: 'text', text }] }] }),
    'gpt-4o',
  );
  assert.equal(vocabulary, 'o200k_base');
  assert.equal(estimated, true);
  // 3 per message + the role + 3 for the reply primer.
  assert.equal(inputTokens, reference + 3 + 1 + 3);
});

test('system, tools, tool calls and results all count; a different text gives a different count', async () => {
  const base = request({
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Weather in Oslo?' }] },
    ],
  });
  const plain = (await countRequestTokens(base, 'gpt-4o')).inputTokens;
  const withTools = (
    await countRequestTokens(
      {
        ...base,
        tools: [{ name: 'get_forecast', description: 'Forecast by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      },
      'gpt-4o',
    )
  ).inputTokens;
  assert.ok(withTools > plain + 10, `${withTools} vs ${plain}`);
  const withRound = (
    await countRequestTokens(
      {
        ...base,
        messages: [
          ...base.messages,
          { role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: 'get_forecast', arguments: '{"city":"Oslo"}' }] },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'c1', content: [{ type: 'text', text: '{"high_c":4}' }] }] },
        ],
      },
      'gpt-4o',
    )
  ).inputTokens;
  assert.ok(withRound > plain + 10);
  const other = (await countRequestTokens(request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x'.repeat(500) }] }] }), 'gpt-4o')).inputTokens;
  assert.notEqual(other, plain);
});

test('repeated counts of long texts are stable (cache) and the claude family uses cl100k', async () => {
  const req = request({ messages: [{ role: 'user', content: [{ type: 'text', text: PARAGRAPH.repeat(100) }] }] });
  const a = await countRequestTokens(req, 'claude-sonnet-4-5');
  const b = await countRequestTokens(req, 'claude-sonnet-4-5');
  assert.equal(a.inputTokens, b.inputTokens);
  assert.equal(a.vocabulary, 'cl100k_base');
  const ref = get_encoding('cl100k_base');
  assert.equal(a.inputTokens, ref.encode(PARAGRAPH.repeat(100)).length + 7);
  ref.free();
});

test('special-token text counts as text, as the upstream reads it (no error)', async () => {
  const text = 'Split on <|endoftext|> and <|im_start|> markers. '.repeat(3);
  const ref = get_encoding('o200k_base');
  const reference = ref.encode_ordinary(text).length;
  ref.free();
  const { inputTokens } = await countRequestTokens(request({ messages: [{ role: 'user', content: [{ type: 'text', text }] }] }), 'gpt-4o');
  assert.equal(inputTokens, reference + 7);
});

test('re-counting a conversation with one more turn tokenizes only the new turn', async () => {
  const real = await loadEncoder('o200k_base');
  const seen: string[] = [];
  const spy: Encoder = {
    countTokens(t) {
      seen.push(t);
      return real.countTokens(t);
    },
  };
  const turns = Array.from({ length: 20 }, (_, i) => ({
    role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
    content: [{ type: 'text' as const, text: `Turn ${i}: ${PARAGRAPH.repeat(10)}` }],
  }));
  const before = countWith(spy, request({ messages: turns }));
  const added = { role: 'user' as const, content: [{ type: 'text' as const, text: `And now: ${PARAGRAPH.repeat(5)}` }] };
  seen.length = 0;
  const after = countWith(spy, request({ messages: [...turns, added] }));
  const long = seen.filter((t) => t.length >= 256);
  assert.deepEqual(long, [added.content[0]!.text]);
  assert.equal(after, before + countWith(real, request({ messages: [added] })) - 3);
});

test('a prompt with more new text than OFF_THREAD_CHARS is counted in a worker: exact, and this thread stays free', async () => {
  const parts = Array.from({ length: 8 }, (_, i) => `Part ${i} of a long prompt. ${PARAGRAPH.repeat(Math.ceil(OFF_THREAD_CHARS / 8 / PARAGRAPH.length))}`);
  const req = request({ messages: [{ role: 'user', content: parts.map((text) => ({ type: 'text' as const, text })) }] });
  const ref = get_encoding('o200k_base');
  const reference = parts.reduce((n, t) => n + ref.encode_ordinary(t).length, 0);
  ref.free();
  // Counted on this thread, nothing else would run until the count is done.
  let turns = 0;
  let spinning = true;
  const spin = (): void => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const { inputTokens } = await countRequestTokens(req, 'gpt-4o');
  spinning = false;
  assert.equal(inputTokens, reference + 7);
  assert.ok(turns > 0, 'the event loop did not turn while counting');
  // The worker's counts were remembered here: the same request again is answered from the cache.
  assert.equal((await countRequestTokens(req, 'gpt-4o')).inputTokens, inputTokens);
});

function png(width: number, height: number): string {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b.toString('base64');
}

function jpeg(width: number, height: number): string {
  // SOI, an APP0 segment of 16 bytes, then SOF0 with height and width.
  const app0 = Buffer.concat([Buffer.from([0xff, 0xe0, 0x00, 0x10]), Buffer.alloc(14)]);
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 255, width >> 8, width & 255, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof]).toString('base64');
}

test('image sizes from PNG, JPEG, GIF and WebP headers; tokens by area, capped', () => {
  assert.deepEqual(imageSize(png(640, 480)), { width: 640, height: 480 });
  assert.deepEqual(imageSize(jpeg(1024, 768)), { width: 1024, height: 768 });
  const gif = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([0x20, 0x03, 0x58, 0x02])]);
  assert.deepEqual(imageSize(gif.toString('base64')), { width: 800, height: 600 });
  const webp = Buffer.alloc(30);
  webp.write('RIFF', 0, 'latin1');
  webp.write('WEBPVP8X', 8, 'latin1');
  webp.writeUIntLE(299, 24, 3);
  webp.writeUIntLE(199, 27, 3);
  assert.deepEqual(imageSize(webp.toString('base64')), { width: 300, height: 200 });
  assert.equal(imageSize(Buffer.from('not an image').toString('base64')), undefined);
  assert.equal(imageTokens(200, 200), Math.ceil(40000 / 750));
  assert.equal(imageTokens(8000, 8000), MAX_IMAGE_TOKENS);
});

test('images in the request add their estimate', async () => {
  const text = request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }] }] });
  const small = request({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: png(300, 300) } }] }],
  });
  const url = request({
    messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image', source: { kind: 'url', url: 'https://example.com/x.png' } }] }],
  });
  const base = (await countRequestTokens(text, 'gpt-4o')).inputTokens;
  assert.equal((await countRequestTokens(small, 'gpt-4o')).inputTokens, base + 120);
  assert.equal((await countRequestTokens(url, 'gpt-4o')).inputTokens, base + MAX_IMAGE_TOKENS);
});
