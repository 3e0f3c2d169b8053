// upstreams that compress their answer although sluice asked for no encoding. The `openai` SDK
// drives sluice against `sluice mock` (`encoding=`, `corrupt_encoding`): streams, JSON answers and
// error bodies of every coding are inflated, a stream is inflated event by event (not at its end),
// and bytes that are not valid in the coding are upstream_malformed, never a hang.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { MOCK_BEDROCK_API_KEY } from '../../src/protocols/bedrock/mock.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let client: OpenAI;

const TEXT = mockText(12).join('');
const ENCODINGS = ['gzip', 'deflate', 'br', 'zstd'];

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
  mock:
    type: openai
    base_url: ${mock.url}/v1
    api_key: sk-test-upstream-secret
    timeouts: { connect: 2s, first_byte: 5s, idle: 5s, total: 20s }
  ge:
    type: gemini
    base_url: ${mock.url}
    api_key: ge-upstream-secret
    timeouts: { connect: 2s, first_byte: 5s, idle: 5s, total: 20s }
  br:
    type: bedrock
    region: us-east-1
    base_url: ${mock.url}
    api_key: ${MOCK_BEDROCK_API_KEY}
    timeouts: { connect: 2s, first_byte: 5s, idle: 5s, total: 20s }
models:
  b:
    targets: [{ provider: br, model: amazon.nova-pro-v1:0 }]
  m:
    targets: [{ provider: mock, model: mock-model }]
  g:
    targets: [{ provider: ge, model: gemini-x }]
retries: { attempts: 0 }
`,
  });
  client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function ask(directive: string) {
  return [{ role: 'user' as const, content: `hello [[mock ${directive}]]` }];
}

async function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function streamText(model: string, directive: string): Promise<string> {
  const stream = await client.chat.completions.create({ model, stream: true, messages: ask(directive) });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

describe('a compressed answer reads as a plain one', () => {
  for (const encoding of ENCODINGS) {
    test(`streaming, encoding=${encoding}`, async () => {
      assert.equal(await within(8000, streamText('m', `encoding=${encoding}`)), TEXT);
    });
    test(`non-streaming, encoding=${encoding}`, async () => {
      const res = await within(8000, client.chat.completions.create({ model: 'm', messages: ask(`encoding=${encoding}`) }));
      assert.equal(res.choices[0]!.message.content, TEXT);
    });
  }
  test('other dialects: Gemini (SSE) and Bedrock (binary event-stream framing), streaming and not', async () => {
    assert.equal(await within(8000, streamText('g', 'encoding=gzip')), TEXT);
    const res = await within(8000, client.chat.completions.create({ model: 'g', messages: ask('encoding=br') }));
    assert.equal(res.choices[0]!.message.content, TEXT);
    assert.equal(await within(8000, streamText('b', 'encoding=zstd')), TEXT);
    const converse = await within(8000, client.chat.completions.create({ model: 'b', messages: ask('encoding=deflate') }));
    assert.equal(converse.choices[0]!.message.content, TEXT);
  });
});

test('a compressed stream is inflated event by event, before the upstream ends', async () => {
  mock.reset();
  // The mock sends the role chunk and three text deltas, each flushed, then holds the body open.
  const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: ask('encoding=gzip fault=stall_mid after=4') });
  const words = mockText(12).slice(0, 3);
  let text = '';
  await within(
    8000,
    (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        if (text === words.join('')) break;
      }
    })(),
  );
  assert.equal(text, words.join(''));
  const rec = mock.requests.at(-1)!;
  assert.equal(rec.finishedAt, undefined, 'the upstream had not ended its body');
  assert.equal(rec.directives.encoding, 'gzip');
});

describe('compressed error bodies keep their status and message', () => {
  test('OpenAI 429, gzip', async () => {
    await within(
      8000,
      assert.rejects(client.chat.completions.create({ model: 'm', messages: ask('encoding=gzip fault=status status=429 retry_after=0') }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, String(err));
        assert.equal(err.status, 429);
        assert.match(err.message, /injected HTTP 429/);
        return true;
      }),
    );
  });
  test('Gemini 400, deflate (Vertex errors are gzip\'d Google JSON)', async () => {
    await within(
      8000,
      assert.rejects(streamText('g', 'encoding=deflate fault=status status=400'), (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, String(err));
        assert.equal(err.status, 400);
        assert.match(err.message, /injected HTTP 400/);
        return true;
      }),
    );
  });
});

describe('bytes that are not valid in the coding are upstream_malformed, not a hang', () => {
  for (const encoding of ENCODINGS) {
    test(`before the first event, ${encoding}: HTTP 502`, async () => {
      await within(
        8000,
        assert.rejects(streamText('m', `encoding=${encoding} fault=corrupt_encoding after=0`), (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError, String(err));
          assert.equal(err.status, 502);
          assert.match(err.message, new RegExp(`not valid ${encoding}`));
          return true;
        }),
      );
    });
  }
  test('mid-stream: the text so far, then the SDK raises the error event', async () => {
    let text = '';
    await within(
      8000,
      assert.rejects(
        (async () => {
          const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: ask('encoding=gzip fault=corrupt_encoding after=4') });
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        })(),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError, String(err));
          assert.match(err.message, /not valid gzip/);
          return true;
        },
      ),
    );
    assert.equal(text, mockText(12).slice(0, 3).join(''));
  });
  test('non-streaming: HTTP 502', async () => {
    await within(
      8000,
      assert.rejects(client.chat.completions.create({ model: 'm', messages: ask('encoding=zstd fault=corrupt_encoding') }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, String(err));
        assert.equal(err.status, 502);
        assert.match(err.message, /not valid zstd/);
        return true;
      }),
    );
  });
});
