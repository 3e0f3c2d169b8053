// Issue 2 acceptance: the official `openai` SDK drives sluice against `sluice mock` for every fault.
// Each case ends with the right client-visible result within its time bound, and the next request on
// the same keep-alive client succeeds.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let client: OpenAI;

const TEXT = mockText(12).join('');

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
server: { keepalive: 400ms }
providers:
  mock:
    type: openai
    base_url: ${mock.url}/v1
    api_key: sk-test-upstream-secret
    timeouts: { connect: 2s, first_byte: 1500ms, idle: 800ms, total: 20s }
models:
  m:
    targets: [{ provider: mock, model: mock-model }]
retries: { attempts: 1, backoff: 10ms }
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

async function streamText(directive: string): Promise<{ text: string; chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] }> {
  const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: ask(directive) });
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  let text = '';
  for await (const chunk of stream) {
    chunks.push(chunk);
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  return { text, chunks };
}

/** After every case the same keep-alive client must still work (SPEC §4.2). */
async function assertNextRequestWorks(): Promise<void> {
  const { text } = await streamText('chunks=12');
  assert.equal(text, TEXT);
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

describe('full text arrives whatever the framing', () => {
  const faults = [
    'chunks=12',
    'fault=crlf',
    'fault=cr',
    'fault=mixed_eol',
    'fault=nospace',
    'fault=no_final_blank',
    'fault=bom',
    'fault=glued',
    'fault=azure_filter',
    'fault=changing_ids',
    'fault=empty_ids',
    'fault=finish_on_content',
    'fault=empty_deltas',
    'fault=usage_every_chunk',
    'fault=usage_after_finish',
    'keepalive=20 delay=30',
    'fault=json_sse',
    'fault=ignore_stream',
    'fault=sse_as_json',
  ];
  for (const f of faults) {
    test(f, async () => {
      const { text, chunks } = await within(8000, streamText(f));
      assert.equal(text, TEXT);
      // SPEC §4.1: one role chunk first, one id and created, the client's model name, one finish.
      assert.equal(chunks[0]!.choices[0]!.delta.role, 'assistant');
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
      assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
      assert.ok(chunks.every((c) => c.model === 'm'));
      assert.equal(chunks.filter((c) => c.choices[0]?.finish_reason).length, 1);
      assert.equal(chunks.filter((c) => c.choices[0]?.delta?.role).length, 1);
    });
  }
});

describe('errors before the commit point are HTTP errors with the right status', () => {
  const cases: Array<[string, number]> = [
    ['fault=status status=429 retry_after=0', 429],
    ['fault=status status=500', 502],
    ['fault=status status=503', 503],
    ['fault=status status=529', 503],
    ['fault=status status=400', 400],
    ['fault=status status=404', 404],
    ['fault=json_error_sse', 502],
    ['fault=html_error', 502],
    ['fault=drop_before', 502],
  ];
  for (const [f, status] of cases) {
    test(`${f} -> ${status}`, async () => {
      await within(
        8000,
        assert.rejects(streamText(f), (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError, `expected APIError, got ${String(err)}`);
          assert.equal(err.status, status);
          assert.ok(!/sk-test-upstream-secret/.test(err.message), 'upstream key must not leak');
          assert.match(err.message, /mock/, 'the message names the failing provider');
          return true;
        }),
      );
      await assertNextRequestWorks();
    });
  }
});

describe('errors after the commit point are in-stream errors the SDK raises', () => {
  const cases = ['fault=error_mid after=3', 'fault=drop_mid after=3', 'fault=truncate after=3', 'fault=malformed after=3', 'fault=stall_mid after=3', 'fault=stall_mid after=3 keepalive=100'];
  for (const f of cases) {
    test(f, async () => {
      const started = Date.now();
      let text = '';
      await within(
        8000,
        assert.rejects(
          (async () => {
            const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: ask(f) });
            for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
          })(),
          (err: unknown) => {
            assert.ok(err instanceof OpenAI.APIError, `expected an APIError, got ${(err as Error)?.name}: ${String(err)}`);
            assert.ok(!(err instanceof SyntaxError));
            return true;
          },
        ),
      );
      assert.ok(text.length > 0, 'content before the failure was delivered');
      assert.ok(Date.now() - started < 6000);
      await assertNextRequestWorks();
    });
  }
});

test('a non-streaming request to a stalled upstream gets a 504 after first_byte… total', async () => {
  // Non-streaming: no keepalive can commit headers, so the time limit is an HTTP error.
  await within(
    8000,
    assert.rejects(client.chat.completions.create({ model: 'm', messages: ask('fault=stall_headers') }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 504);
      return true;
    }),
  );
  await assertNextRequestWorks();
});

test('a stalled upstream after keepalive committed the headers ends in an error event naming the limit', async () => {
  const started = Date.now();
  await within(
    8000,
    assert.rejects(streamText('fault=stall_headers'), (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError, String(err));
      assert.match(err.message, /first_byte/);
      assert.match(err.message, /mock/);
      return true;
    }),
  );
  // Two attempts (retries.attempts: 1), each cut at first_byte 1.5 s.
  assert.ok(Date.now() - started < 5000);
  await assertNextRequestWorks();
});

test('an upstream that only sends keepalive comments is cut off with an error event', async () => {
  // keepalive 400ms commits the headers first; first_byte (1.5 s: comments are no event, so it runs
  // until the first one, SPEC §4.4) then ends the stream with an SSE error event.
  const res = await within(
    6000,
    fetch(`${sluice.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: ask('fault=keepalive_only every=50') }),
    }),
  );
  assert.equal(res.status, 200);
  const body = await within(6000, res.text());
  assert.match(body, /: keepalive/);
  assert.match(body, /data: \{"error":\{.*first_byte limit.*comments and pings do not count/);
  assert.doesNotMatch(body, /\[DONE\]/);
  await assertNextRequestWorks();
});

test('client abort mid-stream closes the upstream socket within 1 s', async () => {
  mock.reset();
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'm', stream: true, messages: ask('chunks=200 delay=50') },
    { signal: controller.signal },
  );
  let n = 0;
  const abortedAt = await (async () => {
    try {
      for await (const _ of stream) {
        if (++n === 3) {
          const t = Date.now();
          controller.abort();
          return t;
        }
      }
    } catch {
      // the SDK raises an abort error
    }
    return Date.now();
  })();
  const record = await mock.waitFor((r) => r.closedAt !== undefined, 3000);
  assert.ok(record.closedAt! - abortedAt < 1000, `upstream closed ${record.closedAt! - abortedAt} ms after the abort`);
  await assertNextRequestWorks();
});

describe('bad input gets a clear 400/413 and nothing is sent upstream', () => {
  const cases: Array<[string, string | Buffer, number, RegExp]> = [
    ['invalid JSON', '{"model":"m",', 400, /JSON/],
    ['missing model', JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }), 400, /model/],
    ['mistyped model', JSON.stringify({ model: 7, messages: [{ role: 'user', content: 'x' }] }), 400, /model/],
    ['messages of the wrong type', JSON.stringify({ model: 'm', messages: 'hello' }), 400, /messages/],
    ['unknown model', JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }), 404, /nope/],
    ['body over max_body', JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(21 * 1024 * 1024) }] }), 413, /limit/],
  ];
  for (const [name, body, status, pattern] of cases) {
    test(name, async () => {
      mock.reset();
      const res = await fetch(`${sluice.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(res.status, status);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      const json = (await res.json()) as { error: { message: string; type: string } };
      assert.equal(typeof json.error.message, 'string');
      assert.equal(typeof json.error.type, 'string');
      assert.match(json.error.message, pattern);
      assert.equal(mock.requests.length, 0, 'nothing was sent upstream');
      await assertNextRequestWorks();
    });
  }
});
