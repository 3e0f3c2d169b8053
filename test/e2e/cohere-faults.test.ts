// Issue 16: every `sluice mock` fault through the Cohere front ends within its bound — the full
// answer, a typed cohere-ai error before the commit point, or the native message-end ERROR/TIMEOUT
// after it (never a parse error) — and the next request on the same client works. A client abort
// reaches the upstream within 1 s.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CohereClientV2, CohereError } from 'cohere-ai';
import { FAULTS } from '../../src/mock/faults.ts';
import { mockBigText, mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { uniqueTag, within } from './translation-env.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let co: CohereClientV2;
const TEXT = mockText(12).join('');

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
server: { keepalive: 400ms }
providers:
  oa: { type: openai, base_url: ${mock.url}/v1, timeouts: { connect: 2s, first_byte: 1500ms, idle: 800ms, total: 20s } }
  co: { type: cohere, base_url: ${mock.url}, timeouts: { connect: 2s, first_byte: 1500ms, idle: 800ms, total: 20s } }
models:
  m: { targets: [{ provider: oa, model: mock-model }] }
  mc: { targets: [{ provider: co, model: command-a }] }
retries: { attempts: 0 }
`,
  });
  co = new CohereClientV2({ token: 'k', baseUrl: sluice.url, maxRetries: 0, timeoutInSeconds: 15 } as never);
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

type Outcome =
  | { kind: 'text'; text: string; finish: string }
  | { kind: 'http'; status: number; message: string }
  | { kind: 'failed'; finish: string; error: string; text: string };

async function streamOnce(model: string, directive: string): Promise<Outcome> {
  try {
    const stream = await co.chatStream({ model, messages: [{ role: 'user', content: `hello [[mock ${directive}]]` }] });
    let text = '';
    for await (const ev of stream) {
      if (ev.type === 'content-delta') text += ev.delta?.message?.content?.text ?? '';
      if (ev.type === 'message-end') {
        if (ev.delta?.error) return { kind: 'failed', finish: ev.delta.finishReason ?? '', error: ev.delta.error, text };
        return { kind: 'text', text, finish: ev.delta?.finishReason ?? '' };
      }
    }
    assert.fail(`the stream ended without message-end after ${JSON.stringify(text)}`);
  } catch (e) {
    if (e instanceof CohereError) return { kind: 'http', status: e.statusCode ?? 0, message: (e.body as { message?: string })?.message ?? '' };
    throw e; // a parse error or a hang-up: the test fails with it
  }
}

/** What each fault must end in, through an OpenAI-type upstream (timeouts above). */
function expected(fault: string): (o: Outcome) => void {
  const text = (o: Outcome): void => {
    assert.equal(o.kind, 'text', JSON.stringify(o).slice(0, 300));
    if (o.kind === 'text') assert.ok(o.text === (fault === 'big_event' ? mockBigText(1048576) : TEXT), 'the whole answer');
  };
  const http = (status: number) => (o: Outcome): void => {
    assert.equal(o.kind, 'http', JSON.stringify(o));
    if (o.kind === 'http') {
      assert.equal(o.status, status);
      assert.match(o.message, /provider oa/, 'the message names the provider');
    }
  };
  /** `before`: text arrived before the failure (else headers went out at server.keepalive, with no content yet). */
  const failed = (finish: string, before = true) => (o: Outcome): void => {
    assert.equal(o.kind, 'failed', JSON.stringify(o));
    if (o.kind === 'failed') {
      assert.equal(o.finish, finish);
      assert.match(o.error, /provider oa/, 'the message names the provider');
      if (before) assert.ok(TEXT.startsWith(o.text) && o.text.length > 0, 'the text before the failure arrived');
      else assert.equal(o.text, '');
    }
  };
  switch (fault) {
    case 'status':
      return http(502);
    case 'json_error_sse':
    case 'html_error':
    case 'drop_before':
      return http(502);
    case 'stall_headers':
    case 'stall_first':
    case 'keepalive_only':
      // The limits (first_byte 1.5 s, idle 0.8 s) outlast server.keepalive (0.4 s): the headers went
      // out, so the timeout is the native message-end TIMEOUT with nothing before it.
      return failed('TIMEOUT', false);
    case 'stall_mid':
      return failed('TIMEOUT');
    case 'error_mid':
    case 'drop_mid':
    case 'truncate':
    case 'malformed':
    case 'corrupt_encoding':
      return failed('ERROR');
    default:
      return text; // framing and shape faults: the whole answer arrives
  }
}

describe('every sluice mock fault through the Cohere front ends within its bound', () => {
  for (const fault of Object.keys(FAULTS)) {
    test(`fault=${fault}`, async () => {
      const directive = `fault=${fault} after=6 chunks=12`;
      const outcome = await within(8000, streamOnce('m', directive), `fault=${fault}`);
      expected(fault)(outcome);
      // The same client, next request: the connection and the server are healthy.
      const next = await within(8000, streamOnce('m', 'chunks=12'));
      assert.deepEqual(next, { kind: 'text', text: TEXT, finish: 'COMPLETE' });
    });
  }

  test('non-streaming chat with fault=status 429 keeps retry-after and the status', async () => {
    await assert.rejects(co.chat({ model: 'm', messages: [{ role: 'user', content: 'x [[mock fault=status status=429 retry_after=7]]' }] }), (e: unknown) => {
      assert.ok(e instanceof CohereError);
      assert.equal(e.statusCode, 429);
      assert.equal(e.rawResponse?.headers.get('retry-after'), '7');
      return true;
    });
  });
});

describe('a Cohere upstream\'s own faults reach the Cohere front', () => {
  test('its mid-stream ERROR becomes the front\'s message-end ERROR', async () => {
    const o = await within(8000, streamOnce('mc', 'fault=error_mid after=5'));
    assert.equal(o.kind, 'failed');
    if (o.kind === 'failed') assert.match(o.error, /internal server error/);
  });
  test('its 429 is a 429 with Cohere\'s message', async () => {
    const o = await within(8000, streamOnce('mc', 'fault=status status=429'));
    assert.deepEqual(o.kind === 'http' ? o.status : o, 429);
  });
});

describe('a client abort reaches the upstream within 1 s', () => {
  for (const model of ['m', 'mc']) {
    test(`${model}: chatStream aborted mid-stream`, async () => {
      const tag = uniqueTag(`cohere-abort-${model}`);
      const controller = new AbortController();
      const stream = await co.chatStream(
        { model, messages: [{ role: 'user', content: `${tag} [[mock chunks=400 delay=20]]` }] },
        { abortSignal: controller.signal },
      );
      let deltas = 0;
      const abortedAt = await (async () => {
        try {
          for await (const ev of stream) {
            if (ev.type === 'content-delta' && ++deltas === 3) {
              const at = Date.now();
              controller.abort();
              return at;
            }
          }
        } catch {
          // the SDK surfaces the abort as an error
        }
        return Date.now();
      })();
      const rec = await within(2000, mock.waitFor((r) => JSON.stringify(r.body ?? '').includes(tag) && r.closedAt !== undefined, 2000));
      assert.ok(rec.closedAt! - abortedAt < 1000, `upstream closed ${rec.closedAt! - abortedAt} ms after the abort`);
    });
  }
});
