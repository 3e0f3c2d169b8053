// Issue 11 acceptance, failures through the Responses front: every `sluice mock` fault, over an
// upstream of each dialect, ends within its time bound — with the full answer where the fault is only
// framing, with an HTTP error in the Responses shape before the commit point, and with an error the
// SDK raises (openai-node 6 and 7: an APIError, never a parse error) after it, the raw stream holding
// `error` then `response.failed` as its one terminal event. The next request on the same keep-alive
// client works every time, and a client abort reaches the upstream within 1 s.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import OpenAI7 from 'openai7';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { checkResponsesStream } from '../../src/protocols/openai-responses/conformance.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { recordFor, uniqueTag, within } from './responses-env.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let client: OpenAI;
let client7: OpenAI7;

const TEXT = mockText(12).join('');
/** One model per upstream dialect. */
const MODELS = ['m-rs', 'm-an', 'm-oa', 'm-ge'] as const;

before(async () => {
  mock = await startMock({ port: 0 });
  const m = mock.url;
  const timeouts = '{ connect: 2s, first_byte: 1500ms, idle: 800ms, total: 20s }';
  sluice = await startSluice({
    config: `
server: { keepalive: 400ms }
providers:
  rs: { type: openai-responses, base_url: ${m}/v1, api_key: sk-test-upstream-secret, timeouts: ${timeouts} }
  an: { type: anthropic, base_url: ${m}, api_key: sk-test-upstream-secret, timeouts: ${timeouts} }
  oa: { type: openai, base_url: ${m}/v1, api_key: sk-test-upstream-secret, timeouts: ${timeouts} }
  ge: { type: gemini, base_url: ${m}, api_key: sk-test-upstream-secret, timeouts: ${timeouts} }
  an-sim: { type: anthropic, base_url: ${m}, streaming: simulate }
models:
  m-rs: { targets: [{ provider: rs, model: gpt-5-x }] }
  m-an: { targets: [{ provider: an, model: claude-x }] }
  m-oa: { targets: [{ provider: oa, model: gpt-x }] }
  m-ge: { targets: [{ provider: ge, model: gemini-x }] }
  m-an-sim: { targets: [{ provider: an-sim, model: claude-x }] }
retries: { attempts: 0 }
`,
  });
  client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 });
  client7 = new OpenAI7({ baseURL: `${sluice.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 15_000 });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

async function streamText(model: string, directive: string): Promise<string> {
  const stream = await client.responses.create({ model, stream: true, input: `hello [[mock ${directive}]]` });
  let text = '';
  for await (const ev of stream) if (ev.type === 'response.output_text.delta') text += ev.delta;
  return text;
}

async function rawStream(model: string, directive: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${sluice.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, input: `hello [[mock ${directive}]]` }),
  });
  return { status: res.status, body: await res.text() };
}

/** After every case the same keep-alive client must still work (SPEC §4.2). */
async function assertNextRequestWorks(model: string): Promise<void> {
  assert.equal(await within(8000, streamText(model, 'chunks=12')), TEXT);
}

describe('the full answer arrives whatever the framing or chunk shape', () => {
  const faults = [
    'chunks=12',
    'fault=crlf',
    'fault=cr',
    'fault=mixed_eol',
    'fault=nospace',
    'fault=no_final_blank',
    'fault=bom',
    'fault=glued',
    'fault=glued style=json',
    'fault=done_after_stop',
    'fault=no_event_lines',
    'fault=padding',
    'fault=azure_filter',
    'fault=changing_ids',
    'fault=empty_ids',
    'fault=finish_on_content',
    'fault=empty_deltas',
    'fault=usage_every_chunk',
    'fault=usage_after_finish',
    'fault=whole_tool tool=1',
    'fault=stop_with_tools tool=1',
    'fault=tool_id_missing tool=1',
    'fault=tool_id_empty tool=1',
    'fault=tool_id_repeat tool=1',
    'keepalive=20 delay=30',
    'fault=json_sse',
    'fault=json_sse,done_after_stop',
    'fault=ignore_stream',
    'fault=sse_as_json',
  ];
  for (const model of MODELS) {
    for (const f of faults) {
      test(`${model}: ${f}`, async () => {
        const tools = f.includes('tool=') ? [{ type: 'function' as const, name: 'get_forecast', parameters: { type: 'object' }, strict: false }] : undefined;
        const stream = client.responses.stream({ model, input: `hello [[mock chunks=12 ${f}]]`, ...(tools && { tools }) });
        for await (const _ of stream);
        const final = await within(8000, stream.finalResponse());
        assert.equal(final.output_text, TEXT);
        assert.equal(final.status, 'completed');
        if (tools) {
          const calls = final.output.filter((i) => i.type === 'function_call');
          assert.equal(calls.length, 1);
          assert.ok(calls[0]!.type === 'function_call' && calls[0]!.id !== calls[0]!.call_id && calls[0]!.call_id !== '');
        }
        const raw = await rawStream(model, `chunks=12 ${f}`);
        assert.equal(raw.status, 200);
        assert.deepEqual(checkResponsesStream(raw.body).problems, []);
      });
    }
    test(`${model}: fault=big_event (one 1 MB delta)`, async () => {
      const text = await within(8000, streamText(model, 'fault=big_event'));
      assert.equal(text.length, 1_048_576);
    });
  }
});

describe('errors before the commit point are HTTP errors in the Responses shape', () => {
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
  for (const model of MODELS) {
    for (const [f, status] of cases) {
      test(`${model}: ${f} -> ${status}`, async () => {
        await within(
          8000,
          assert.rejects(streamText(model, f), (err: unknown) => {
            assert.ok(err instanceof OpenAI.APIError, `expected APIError, got ${String(err)}`);
            assert.equal(err.status, status);
            assert.equal(typeof (err.error as { message?: unknown })?.message, 'string');
            assert.ok(!/sk-test-upstream-secret/.test(err.message), 'the upstream key must not leak');
            assert.match(err.message, new RegExp(`provider ${model.slice(2)}`), 'the message names the failing provider');
            return true;
          }),
        );
        await assertNextRequestWorks(model);
      });
    }
  }
});

describe('errors after the commit point are errors the SDK raises, then a clean end', () => {
  const cases = [
    'fault=error_mid after=6',
    'fault=drop_mid after=6',
    'fault=truncate after=6',
    'fault=malformed after=6',
    'fault=stall_mid after=6',
    'fault=stall_mid after=6 keepalive=100',
  ];
  for (const model of MODELS) {
    for (const f of cases) {
      test(`${model}: ${f}`, async () => {
        for (const sdk of [client, client7] as const) {
          const started = Date.now();
          let text = '';
          await within(
            8000,
            assert.rejects(
              (async () => {
                const stream = await (sdk as OpenAI).responses.create({ model, stream: true, input: `hello [[mock chunks=12 ${f}]]` });
                for await (const ev of stream) if (ev.type === 'response.output_text.delta') text += ev.delta;
              })(),
              (err: unknown) => {
                const ok = err instanceof OpenAI.APIError || err instanceof OpenAI7.APIError;
                assert.ok(ok, `an APIError, got ${(err as Error)?.name}: ${String(err)}`);
                assert.ok(!(err instanceof SyntaxError), 'not a parse error');
                return true;
              },
            ),
          );
          assert.ok(text.length > 0 && TEXT.startsWith(text), `the text before the failure was delivered: ${JSON.stringify(text)}`);
          assert.ok(Date.now() - started < 6000);
        }
        const raw = await within(8000, rawStream(model, `chunks=12 ${f}`));
        const { problems, answer } = checkResponsesStream(raw.body);
        assert.deepEqual(problems, []);
        assert.equal(answer.status, 'failed');
        assert.match(raw.body, /event: error\ndata: .*\n\nevent: response\.failed\ndata: .*\n\n$/);
        await assertNextRequestWorks(model);
      });
    }
  }
});

describe('time limits', () => {
  test('a non-streaming request to a stalled upstream gets a 504', async () => {
    await within(
      8000,
      assert.rejects(client.responses.create({ model: 'm-an', input: 'x [[mock fault=stall_headers]]' }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError);
        assert.equal(err.status, 504);
        return true;
      }),
    );
    await assertNextRequestWorks('m-an');
  });

  test('a stalled upstream after keepalive committed the headers: an error event naming the limit', async () => {
    const started = Date.now();
    await within(
      8000,
      assert.rejects(streamText('m-rs', 'fault=stall_headers'), (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, String(err));
        assert.match(err.message, /first_byte/);
        return true;
      }),
    );
    assert.ok(Date.now() - started < 4000);
    await assertNextRequestWorks('m-rs');
  });

  test('an upstream that only sends keepalive comments is cut off at first_byte (comments are no event)', async () => {
    const raw = await within(6000, rawStream('m-oa', 'fault=keepalive_only every=50'));
    assert.match(raw.body, /: keepalive/);
    const { problems, answer } = checkResponsesStream(raw.body.replace(/^: keepalive\n\n/gm, ''));
    assert.deepEqual(problems, []);
    assert.equal(answer.status, 'failed');
    assert.match(answer.error?.message ?? '', /first_byte limit.*comments and pings do not count/);
    await assertNextRequestWorks('m-oa');
  });
});

describe('a client abort reaches the upstream within 1 s', () => {
  for (const model of [...MODELS, 'm-an-sim']) {
    test(`${model}: /v1/responses stream aborted`, async () => {
      const tag = uniqueTag(`abort-${model}`);
      const controller = new AbortController();
      const stream = await client.responses.create({ model, stream: true, input: `${tag} [[mock chunks=400 delay=20]]` }, { signal: controller.signal });
      if (model.endsWith('-sim')) {
        // A simulated stream shows nothing before the whole upstream answer: abort while it computes.
        await recordFor(mock, tag);
        await new Promise((r) => setTimeout(r, 100));
      } else {
        const it = stream[Symbol.asyncIterator]();
        for (let ev = await it.next(); !ev.done && ev.value.type !== 'response.output_text.delta'; ev = await it.next());
      }
      const abortedAt = Date.now();
      controller.abort();
      const rec = await within(2000, mock.waitFor((r) => JSON.stringify(r.body ?? '').includes(tag) && r.closedAt !== undefined, 2000));
      assert.ok(rec.closedAt! - abortedAt < 1000, `upstream closed ${rec.closedAt! - abortedAt} ms after the abort`);
      assert.equal(rec.outcome, 'client_closed');
      await assertNextRequestWorks(model);
    });
  }
});
