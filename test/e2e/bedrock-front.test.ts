// Issue 16 item 2: Bedrock Runtime as a front. The official @aws-sdk/client-bedrock-runtime (with a
// Bedrock API key as its Bearer token, and the HTTP/1.1 request handler) talks to a real sluice
// whose models go to OpenAI, Anthropic and Gemini upstreams on `sluice mock` and to the built-in
// demo: Converse, ConverseStream, InvokeModel and InvokeModelWithResponseStream, text and one tool
// round trip; bad input gets the exception the SDK names, and nothing goes upstream.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AccessDeniedException,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
  type ContentBlock,
  type ConverseStreamOutput,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { MOCK_TOOL_ARGS, mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { FORECAST_SCHEMA, recordFor, uniqueTag } from './translation-env.ts';

const KEY = 'ABSKsluice-front-test-key';
const TEXT12 = mockText(12).join('');
let mock: MockServer;
let sluice: SluiceProcess;
let client: BedrockRuntimeClient;

before(async () => {
  mock = await startMock();
  const m = mock.url;
  sluice = await startSluice({
    config: `
server: { keepalive: 5s }
providers:
  oa: { type: openai, base_url: ${m}/v1 }
  an: { type: anthropic, base_url: ${m} }
  ge: { type: gemini, base_url: ${m} }
models:
  m-oa: { targets: [{ provider: oa, model: gpt-x }] }
  m-an: { targets: [{ provider: an, model: claude-x }] }
  m-ge: { targets: [{ provider: ge, model: gemini-x }] }
  "us.anthropic.claude-sonnet-4-5-20250929-v1:0": { targets: [{ provider: oa, model: gpt-x }] }
  demo: { targets: [{ provider: demo, model: demo }] }
auth:
  keys: [{ name: aws, key: ${KEY} }]
retries: { attempts: 0 }
`,
  });
  client = bedrockClient(KEY);
});
after(async () => {
  client?.destroy();
  await sluice?.stop();
  await mock?.close();
});

function bedrockClient(token: string | undefined): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: sluice.url,
    // Plain-HTTP endpoints need the SDK's HTTP/1.1 handler (its default is HTTP/2): README, Bedrock front.
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
    ...(token === undefined
      ? { credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } }
      : { token: { token }, authSchemePreference: ['httpBearerAuth'] }),
  });
}

const TOOL_CONFIG = { tools: [{ toolSpec: { name: 'get_forecast', description: 'Forecast', inputSchema: { json: FORECAST_SCHEMA as never } } }] };

async function streamEvents(modelId: string, messages: Message[], extra: object = {}): Promise<ConverseStreamOutput[]> {
  const out = await client.send(new ConverseStreamCommand({ modelId, messages, ...extra }));
  const events: ConverseStreamOutput[] = [];
  for await (const ev of out.stream!) events.push(ev);
  return events;
}

const textOf = (events: ConverseStreamOutput[]): string => events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');

for (const model of ['m-oa', 'm-an', 'm-ge', 'demo']) {
  describe(`${model} through the Bedrock front`, () => {
    const expected = model === 'demo' ? undefined : TEXT12;

    test('ConverseStream: text, stop reason, usage', async () => {
      const events = await streamEvents(model, [{ role: 'user', content: [{ text: 'Hi' }] }]);
      assert.deepEqual(events[0], { messageStart: { role: 'assistant' } });
      const text = textOf(events);
      if (expected !== undefined) assert.equal(text, expected);
      else assert.ok(text.length > 0);
      assert.equal(events.at(-2)?.messageStop?.stopReason, 'end_turn');
      const usage = events.at(-1)?.metadata?.usage;
      assert.ok((usage?.outputTokens ?? 0) > 0 && (usage?.inputTokens ?? -1) >= 0, 'usage last');
    });

    test('Converse: text and usage', async () => {
      const res = await client.send(new ConverseCommand({ modelId: model, messages: [{ role: 'user', content: [{ text: 'Hi' }] }] }));
      const text = (res.output?.message?.content ?? []).map((b) => b.text ?? '').join('');
      if (expected !== undefined) assert.equal(text, expected);
      else assert.ok(text.length > 0);
      assert.equal(res.stopReason, 'end_turn');
      assert.ok((res.usage?.outputTokens ?? 0) > 0);
      // x-amzn-requestid, where the SDK reads it, carries sluice's request id.
      assert.match(res.$metadata.requestId ?? '', /^req_/);
    });

    test('a tool round trip, streamed then not', async () => {
      const ask: Message = { role: 'user', content: [{ text: `Weather in Oslo? ${model === 'demo' ? '' : '[[mock tool=1]]'}` }] };
      const events = await streamEvents(model, [ask], { toolConfig: TOOL_CONFIG });
      const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
      const id = start?.start?.toolUse?.toolUseId;
      assert.equal(start?.start?.toolUse?.name, 'get_forecast');
      assert.ok(id);
      const input = JSON.parse(events.map((e) => (e.contentBlockDelta?.contentBlockIndex === start?.contentBlockIndex ? (e.contentBlockDelta?.delta?.toolUse?.input ?? '') : '')).join(''));
      if (model !== 'demo') assert.deepEqual(input, MOCK_TOOL_ARGS);
      assert.equal(events.find((e) => e.messageStop)?.messageStop?.stopReason, 'tool_use');

      const assistant: ContentBlock[] = [{ toolUse: { toolUseId: id, name: 'get_forecast', input } }];
      const tag = uniqueTag(`${model}-result`);
      const res = await client.send(
        new ConverseCommand({
          modelId: model,
          toolConfig: TOOL_CONFIG,
          messages: [ask, { role: 'assistant', content: assistant }, { role: 'user', content: [{ toolResult: { toolUseId: id, content: [{ json: { high_c: 4, tag } }] } }] }],
        }),
      );
      assert.equal(res.stopReason, 'end_turn');
      if (model !== 'demo') {
        assert.equal(res.output?.message?.content?.[0]?.text, TEXT12);
        const rec = await recordFor(mock, tag);
        assert.ok(JSON.stringify(rec.body).includes('high_c'), 'the tool result reached the upstream');
      }
    });

    test('InvokeModel and InvokeModelWithResponseStream with an Anthropic body', async () => {
      const body = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 200, messages: [{ role: 'user', content: 'Hi' }] });
      const res = await client.send(new InvokeModelCommand({ modelId: model, contentType: 'application/json', body }));
      const message = JSON.parse(new TextDecoder().decode(res.body));
      assert.equal(message.type, 'message');
      if (expected !== undefined) assert.equal(message.content[0].text, expected);
      const stream = await client.send(new InvokeModelWithResponseStreamCommand({ modelId: model, contentType: 'application/json', body }));
      const events: Array<Record<string, any>> = [];
      for await (const ev of stream.body!) events.push(JSON.parse(new TextDecoder().decode(ev.chunk!.bytes)));
      assert.equal(events[0].type, 'message_start');
      assert.equal(events.at(-1)?.type, 'message_stop');
      assert.ok(events.at(-1)?.['amazon-bedrock-invocationMetrics'].outputTokenCount > 0);
      const text = events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
      if (expected !== undefined) assert.equal(text, expected);
    });
  });
}

describe('model ids and errors', () => {
  test('a model id with ":" routes whether the SDK encoded it or not', async () => {
    const events = await streamEvents('us.anthropic.claude-sonnet-4-5-20250929-v1:0', [{ role: 'user', content: [{ text: 'Hi' }] }]);
    assert.equal(textOf(events), TEXT12);
    const res = await fetch(`${sluice.url}/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { content: Array<{ text: string }> }).content[0].text, TEXT12);
  });

  test('bad input: the SDK names the ValidationException, and nothing is sent upstream', async () => {
    const before = mock.requests.length;
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'm-oa', messages: [{ role: 'user', content: [] }] })),
      (e: Error & { $metadata: { httpStatusCode?: number } }) => e instanceof ValidationException && e.$metadata.httpStatusCode === 400 && /messages\.0\.member\.content/.test(e.message),
    );
    await assert.rejects(
      client.send(new InvokeModelCommand({ modelId: 'm-oa', contentType: 'application/json', body: JSON.stringify({ max_tokens: 10, messages: [] }) })),
      (e: Error) => e instanceof ValidationException && /anthropic_version/.test(e.message),
    );
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'm-oa', messages: [{ role: 'user', content: [{ text: 'x' }] }], inferenceConfig: { topP: 7 } })),
      (e: Error) => e instanceof ValidationException && /inferenceConfig\.topP/.test(e.message),
    );
    assert.equal(mock.requests.length, before, 'nothing reached the upstream');
  });

  test('an unknown model is a ResourceNotFoundException; a wrong key an AWS auth error', async () => {
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'no-such-model', messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
      (e: Error & { $metadata: { requestId?: string } }) => e instanceof ResourceNotFoundException && /^req_/.test(e.$metadata.requestId ?? ''),
    );
    const wrong = bedrockClient('ABSKwrong');
    await assert.rejects(wrong.send(new ConverseCommand({ modelId: 'm-oa', messages: [{ role: 'user', content: [{ text: 'x' }] }] })), (e: Error & { $metadata: { httpStatusCode?: number } }) => e.name === 'UnrecognizedClientException' && e.$metadata.httpStatusCode === 401);
    wrong.destroy();
    // A SigV4-signing client presents no sluice key.
    const signing = bedrockClient(undefined);
    await assert.rejects(signing.send(new ConverseCommand({ modelId: 'm-oa', messages: [{ role: 'user', content: [{ text: 'x' }] }] })), (e: Error & { $metadata: { httpStatusCode?: number } }) => e.name === 'UnrecognizedClientException' && e.$metadata.httpStatusCode === 401);
    signing.destroy();
    void AccessDeniedException;
  });

  test('upstream throttling before the stream is a ThrottlingException; after it, an exception in the stream', async () => {
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'm-oa', messages: [{ role: 'user', content: [{ text: 'x [[mock fault=status status=429]]' }] }] })),
      (e: Error & { $metadata: { httpStatusCode?: number } }) => e instanceof ThrottlingException && e.$metadata.httpStatusCode === 429,
    );
    const out = await client.send(new ConverseStreamCommand({ modelId: 'm-an', messages: [{ role: 'user', content: [{ text: 'x [[mock fault=error_mid after=5]]' }] }] }));
    const seen: ConverseStreamOutput[] = [];
    await assert.rejects(
      async () => {
        for await (const ev of out.stream!) seen.push(ev);
      },
      (e: Error) => e.name === 'ServiceUnavailableException' || e.name === 'ModelStreamErrorException',
    );
    assert.ok(textOf(seen).length > 0, 'the text before the failure arrived');
    // The server and the connection stay healthy.
    assert.equal(textOf(await streamEvents('m-oa', [{ role: 'user', content: [{ text: 'again' }] }])), TEXT12);
  });

  test('GET /inference-profiles lists the configured models (what Claude Code asks at start)', async () => {
    const res = await fetch(`${sluice.url}/inference-profiles?type=SYSTEM_DEFINED`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { inferenceProfileSummaries: Array<{ inferenceProfileId: string; status: string }> };
    assert.ok(body.inferenceProfileSummaries.some((p) => p.inferenceProfileId === 'us.anthropic.claude-sonnet-4-5-20250929-v1:0' && p.status === 'ACTIVE'));
  });
});
