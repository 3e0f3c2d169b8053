// SPEC §4.6 / issue 14 item 5, with the official SDKs against `sluice mock`: a model with
// `continue_on_failure: true` whose first target drops the connection after a few chunks. The next
// target is asked to continue (Anthropic prefill; vLLM-style continue_final_message with
// supports_prefill; a trailing Gemini model turn with supports_prefill) and its answer is spliced in:
// every upstream dialect pair, through the OpenAI and the Anthropic front, gets exactly the full text
// once, in one message with one id, usage summed. A tool call broken mid-arguments is not continued.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { parseExposition, sampleValue } from '../metrics/exposition.ts';
import { MOCK_AWS_ACCESS_KEY_ID, MOCK_AWS_SECRET_ACCESS_KEY } from '../../src/protocols/bedrock/mock.ts';

/** Dialects that can continue an answer (with supports_prefill where it is a quirk). */
const CONTINUERS = ['openai', 'anthropic', 'gemini', 'bedrock'] as const;
/** Every upstream dialect can break; the Responses API and Cohere have no prefill to continue with. */
const BREAKERS = [...CONTINUERS, 'openai-responses', 'cohere'] as const;
type Dialect = (typeof BREAKERS)[number];
const CHUNKS = 14;
const FULL = mockText(CHUNKS).join('');
const PROMPT = `Tell me [[mock chunks=${CHUNKS}]]`;

let mock: MockServer;
let sluice: SluiceProcess;

/** The mock at `directives`, as a base_url of `dialect`. */
function base(dialect: Dialect, directives?: string): string {
  const root = directives ? `${mock.url}/_mock/${directives}` : mock.url;
  return dialect === 'openai' || dialect === 'openai-responses' ? `${root}/v1` : root;
}

/** Provider settings beyond type and base_url: Bedrock signs with the mock's test credentials. */
function auth(dialect: Dialect): string {
  return dialect === 'bedrock' ? `region: us-east-1, access_key_id: ${MOCK_AWS_ACCESS_KEY_ID}, secret_access_key: ${MOCK_AWS_SECRET_ACCESS_KEY}` : 'api_key: sk-up';
}

before(async () => {
  mock = await startMock({ port: 0 });
  const providers: string[] = [];
  const models: string[] = [];
  for (const d of BREAKERS) {
    // The first target drops the connection after 7 events (text has gone out by then).
    providers.push(`  drop-${d}: { type: ${d}, base_url: "${base(d, 'fault=drop_mid;after=7')}", ${auth(d)} }`);
  }
  for (const d of CONTINUERS) {
    // The continuing target: OpenAI-compatible and Gemini ones continue a trailing assistant turn
    // only where the provider says they can.
    const prefill = d === 'openai' || d === 'gemini' ? ', supports_prefill: true' : '';
    providers.push(`  cont-${d}: { type: ${d}, base_url: "${base(d)}", ${auth(d)}${prefill} }`);
  }
  providers.push(`  cont-responses: { type: openai-responses, base_url: "${base('openai-responses')}", api_key: sk-up }`);
  models.push(`  to-responses:\n    strategy: fallback\n    continue_on_failure: true\n    targets: [{ provider: drop-openai, model: m-tr-1 }, { provider: cont-responses, model: m-tr-2 }]`);
  for (const a of BREAKERS) {
    for (const b of CONTINUERS) {
      models.push(`  ${a}-then-${b}:\n    strategy: fallback\n    continue_on_failure: true\n    targets: [{ provider: drop-${a}, model: m-${a}-${b}-1 }, { provider: cont-${b}, model: m-${a}-${b}-2 }]`);
    }
  }
  models.push(`  no-continue:\n    strategy: fallback\n    targets: [{ provider: drop-openai, model: m-off-1 }, { provider: cont-openai, model: m-off-2 }]`);
  models.push(`  tool-break:\n    strategy: fallback\n    continue_on_failure: true\n    targets: [{ provider: tooldrop, model: m-tool-1 }, { provider: cont-openai, model: m-tool-2 }]`);
  providers.push(`  tooldrop: { type: openai, base_url: "${base('openai', 'fault=drop_mid;after=12')}", api_key: sk-up }`);
  sluice = await startSluice({
    config: `providers:\n${providers.join('\n')}\nmodels:\n${models.join('\n')}\nretries: { attempts: 2, backoff: 10ms }\n`,
  });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function upstreamBodies(model: string): Array<Record<string, unknown>> {
  return mock.requests
    .filter((r) => (r.body as { model?: string } | undefined)?.model === model || r.path.includes(`/models/${model}:`) || r.path.includes(`/model/${model}/`))
    .map((r) => r.body as Record<string, unknown>);
}

describe('a stream broken after the commit point continues on the next target', () => {
  for (const a of BREAKERS) {
    for (const b of CONTINUERS) {
      const model = `${a}-then-${b}`;

      test(`OpenAI SDK, ${a} breaks, ${b} continues: the full text once, one id, usage summed`, async () => {
        const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
        const stream = await client.chat.completions.create({
          model: `${model}`,
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: PROMPT }],
        });
        let text = '';
        const ids = new Set<string>();
        let usage: OpenAI.CompletionUsage | undefined | null;
        let finish: string | null | undefined;
        for await (const chunk of stream) {
          ids.add(chunk.id);
          text += chunk.choices[0]?.delta.content ?? '';
          finish ??= chunk.choices[0]?.finish_reason;
          if (chunk.usage) usage = chunk.usage;
        }
        assert.equal(text, FULL);
        assert.equal(ids.size, 1, 'one id');
        assert.equal(finish, 'stop');
        // The continuing target reported its own output; the sum is more than that.
        const continued = upstreamBodies(`m-${a}-${b}-2`).length;
        assert.ok(continued >= 1, 'the second target was asked');
        assert.ok(usage && usage.completion_tokens > CHUNKS - 7, `usage summed: ${JSON.stringify(usage)}`);
      });

      test(`Anthropic SDK, ${a} breaks, ${b} continues: one message, one text block, the full text once`, async () => {
        const client = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0 });
        const events: Anthropic.MessageStreamEvent[] = [];
        const stream = client.messages.stream({ model, max_tokens: 500, messages: [{ role: 'user', content: PROMPT }] });
        for await (const ev of stream) events.push(ev);
        const message = await stream.finalMessage();
        assert.equal(message.content.length, 1);
        assert.equal(message.content[0]!.type, 'text');
        assert.equal((message.content[0] as Anthropic.TextBlock).text, FULL);
        assert.equal(events.filter((e) => e.type === 'message_start').length, 1);
        assert.equal(message.stop_reason, 'end_turn');
        assert.ok(message.usage.output_tokens > CHUNKS - 7, `usage summed: ${JSON.stringify(message.usage)}`);
      });
    }
  }

  test('what the continuing target was sent: the conversation plus the text so far as a prefix', () => {
    const anthropicBody = upstreamBodies('m-openai-anthropic-2')[0]!;
    const messages = anthropicBody.messages as Array<{ role: string; content: string | Array<{ type: string; text: string }> }>;
    assert.equal(messages[0]!.role, 'user');
    const last = messages[messages.length - 1]!;
    assert.equal(last.role, 'assistant');
    const prefix = typeof last.content === 'string' ? last.content : last.content.map((p) => p.text).join('');
    assert.ok(prefix.length > 0 && FULL.startsWith(prefix) && prefix !== FULL, `a prefix of the answer: ${JSON.stringify(prefix)}`);
    const vllm = upstreamBodies('m-anthropic-openai-2')[0]!;
    assert.equal(vllm.continue_final_message, true);
    assert.equal(vllm.add_generation_prompt, false);
    const gemini = upstreamBodies('m-openai-gemini-2')[0]!;
    const contents = gemini.contents as Array<{ role: string }>;
    assert.equal(contents[contents.length - 1]!.role, 'model');
  });

  test('logged and counted', async () => {
    const samples = parseExposition(await (await fetch(`${sluice.url}/metrics`)).text());
    assert.equal(sampleValue(samples, 'sluice_continuations_total', { model: 'openai-then-anthropic' }), 2);
    const lines = sluice.records().filter((r) => r.model === 'gemini-then-openai');
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.equal(l.continuations, 1);
      assert.equal(l.end_reason, 'completed');
      assert.equal(l.target, 'cont-openai/m-gemini-openai-2');
    }
    assert.ok(sluice.stdout.some((l) => l.includes('continuing on the next target')));
  });

  test('without continue_on_failure the stream ends with the error, as before', async () => {
    const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'no-continue', stream: true, messages: [{ role: 'user', content: PROMPT }] });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    });
    assert.ok(text.length > 0 && FULL.startsWith(text) && text !== FULL);
    assert.equal(upstreamBodies('m-off-2').length, 0);
  });

  test('a target that cannot continue (the Responses API has no prefill) is not used: the stream ends with the break', async () => {
    const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'to-responses', stream: true, messages: [{ role: 'user', content: PROMPT }] });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.match(err.message, /closed mid-response|ended without/, 'the client learns what broke its stream');
    assert.ok(text.length > 0 && FULL.startsWith(text));
    assert.equal(upstreamBodies('m-tr-2').length, 0, 'refused before any request went out');
  });

  test('a tool call broken mid-arguments is not continued', async () => {
    const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'tool-break',
      stream: true,
      messages: [{ role: 'user', content: 'weather? [[mock chunks=3 tool=get_weather]]' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    let args = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    });
    assert.ok(args.length > 0, 'part of the arguments went out');
    assert.equal(upstreamBodies('m-tool-2').length, 0, 'no continuation was asked for');
  });
});
