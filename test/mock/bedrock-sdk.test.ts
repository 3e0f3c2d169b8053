// `sluice mock`'s Bedrock side checked against the official @aws-sdk/client-bedrock-runtime pointed
// straight at it: the SDK signs (SigV4, service bedrock, model ids with ':'), the mock verifies the
// signature; ConverseStream decodes as the SDK expects; errors and exceptions are raised typed;
// CountTokens (both input forms) and InvokeModel of the embedding models (Titan, Cohere) answer in
// the shapes the SDK reads.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { MOCK_TOOL_ARGS, type MockServer, mockReasoning, mockText, startMock } from '../../src/mock/server.ts';
import { mockEmbedding } from '../../src/mock/embeddings.ts';
import {
  MOCK_AWS_ACCESS_KEY_ID,
  MOCK_AWS_SECRET_ACCESS_KEY,
  MOCK_AWS_SESSION_TOKEN,
  MOCK_AWS_TEMP_ACCESS_KEY_ID,
  MOCK_AWS_TEMP_SECRET_ACCESS_KEY,
  MOCK_BEDROCK_API_KEY,
} from '../../src/protocols/bedrock/mock.ts';

const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
let mock: MockServer;
const clients: BedrockRuntimeClient[] = [];

function client(o: { secret?: string; keyId?: string; sessionToken?: string; token?: string; path?: string } = {}): BedrockRuntimeClient {
  const c = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: mock.url + (o.path ?? ''),
    // The SDK talks HTTP/2 by default; the mock (like sluice) serves HTTP/1.1.
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
    ...(o.token !== undefined
      ? { token: { token: o.token }, authSchemePreference: ['httpBearerAuth'] }
      : {
          credentials: {
            accessKeyId: o.keyId ?? MOCK_AWS_ACCESS_KEY_ID,
            secretAccessKey: o.secret ?? MOCK_AWS_SECRET_ACCESS_KEY,
            sessionToken: o.sessionToken,
          },
        }),
  });
  clients.push(c);
  return c;
}

before(async () => {
  mock = await startMock();
});
after(async () => {
  for (const c of clients) c.destroy();
  await mock.close();
});

const USER = [{ role: 'user' as const, content: [{ text: 'Hi' }] }];

async function collect(out: { stream?: AsyncIterable<ConverseStreamOutput> }): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const ev of out.stream!) events.push(ev);
  return events;
}

describe('ConverseStream through the mock', () => {
  test('text: the SDK decodes every message; text equals mockText(12); usage last', async () => {
    const events = await collect(await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: USER })));
    assert.deepEqual(events[0], { messageStart: { role: 'assistant' } });
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    assert.equal(text, mockText(12).join(''));
    assert.ok(events.every((e) => !('$unknown' in e)), 'no member the SDK did not know');
    assert.deepEqual(events.at(-2), { messageStop: { stopReason: 'end_turn' } });
    assert.deepEqual(events.at(-1)?.metadata?.usage, { inputTokens: 11, outputTokens: 12, totalTokens: 23 });
    const rec = mock.requests.at(-1)!;
    assert.equal(rec.dialect, 'bedrock');
    assert.match(rec.path, /\/model\/us\.anthropic\.claude-sonnet-4-5-20250929-v1%3A0\/converse-stream$/, 'the SDK sends the id encoded once');
  });

  test('reasoning with a signature and a tool call with fragmented input', async () => {
    const out = await client().send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'Weather? [[mock reasoning=3 tool=1]]' }] }],
        toolConfig: { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }] },
      }),
    );
    const events = await collect(out);
    const reasoning = events.map((e) => e.contentBlockDelta?.delta?.reasoningContent?.text ?? '').join('');
    assert.equal(reasoning, mockReasoning(3).join(''));
    assert.ok(events.some((e) => e.contentBlockDelta?.delta?.reasoningContent?.signature));
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    assert.equal(start?.start?.toolUse?.name, 'get_weather');
    const input = events.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    assert.deepEqual(JSON.parse(input), MOCK_TOOL_ARGS);
    assert.equal(events.find((e) => e.messageStop)?.messageStop?.stopReason, 'tool_use');
  });

  test('error_mid: the exception message is raised typed mid-iteration (style picks the type)', async () => {
    for (const [style, type] of [
      ['', ModelStreamErrorException],
      [' style=throttling', ThrottlingException],
    ] as const) {
      const out = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: `x [[mock fault=error_mid after=3${style}]]` }] }] }));
      const seen: ConverseStreamOutput[] = [];
      await assert.rejects(
        async () => {
          for await (const ev of out.stream!) seen.push(ev);
        },
        (e: Error) => e instanceof type,
      );
      assert.equal(seen.length, 3);
    }
  });

  test('malformed: a message with a corrupted CRC makes the SDK fail the stream', async () => {
    const out = await client().send(new ConverseStreamCommand({ modelId: MODEL, messages: [{ role: 'user', content: [{ text: 'x [[mock fault=malformed after=2]]' }] }] }));
    await assert.rejects(collect(out), /checksum/i);
  });
});

describe('Converse through the mock', () => {
  test('non-streaming answer with usage', async () => {
    const res = await client().send(new ConverseCommand({ modelId: MODEL, messages: USER }));
    assert.deepEqual(res.output?.message?.content, [{ text: mockText(12).join('') }]);
    assert.equal(res.stopReason, 'end_turn');
    assert.equal(res.usage?.outputTokens, 12);
  });

  test('status=429 is a ThrottlingException (x-amzn-ErrorType), with its status', async () => {
    await assert.rejects(
      client({ path: '/_mock/fault=status;status=429' }).send(new ConverseCommand({ modelId: MODEL, messages: USER })),
      (e: Error & { $metadata: { httpStatusCode?: number } }) => e instanceof ThrottlingException && e.$metadata.httpStatusCode === 429,
    );
  });
});

describe('the signature check', () => {
  test('a wrong secret is a 403 InvalidSignatureException', async () => {
    await assert.rejects(
      client({ secret: 'not-the-secret' }).send(new ConverseCommand({ modelId: MODEL, messages: USER })),
      (e: Error & { $metadata: { httpStatusCode?: number } }) =>
        e.name === 'InvalidSignatureException' && e.$metadata.httpStatusCode === 403 && /signature we calculated does not match/.test(e.message),
    );
  });

  test('temporary credentials need their session token', async () => {
    const res = await client({ keyId: MOCK_AWS_TEMP_ACCESS_KEY_ID, secret: MOCK_AWS_TEMP_SECRET_ACCESS_KEY, sessionToken: MOCK_AWS_SESSION_TOKEN }).send(
      new ConverseCommand({ modelId: MODEL, messages: USER }),
    );
    assert.equal(res.stopReason, 'end_turn');
    assert.equal(mock.requests.at(-1)?.headers['x-amz-security-token'], MOCK_AWS_SESSION_TOKEN);
    await assert.rejects(
      client({ keyId: MOCK_AWS_TEMP_ACCESS_KEY_ID, secret: MOCK_AWS_TEMP_SECRET_ACCESS_KEY }).send(new ConverseCommand({ modelId: MODEL, messages: USER })),
      (e: Error) => e.name === 'UnrecognizedClientException',
    );
  });

  test('a Bedrock API key as Bearer; another key is refused', async () => {
    const res = await client({ token: MOCK_BEDROCK_API_KEY }).send(new ConverseCommand({ modelId: MODEL, messages: USER }));
    assert.equal(res.stopReason, 'end_turn');
    assert.equal(mock.requests.at(-1)?.headers.authorization, `Bearer ${MOCK_BEDROCK_API_KEY}`);
    await assert.rejects(
      client({ token: 'ABSKwrong' }).send(new ConverseCommand({ modelId: MODEL, messages: USER })),
      (e: Error & { $metadata: { httpStatusCode?: number } }) => e.name === 'UnrecognizedClientException' && e.$metadata.httpStatusCode === 403,
    );
  });

  test('the signature covers a path prefix with directives too', async () => {
    const res = await client({ path: '/_mock/chunks=3' }).send(new ConverseCommand({ modelId: MODEL, messages: USER }));
    assert.deepEqual(res.output?.message?.content, [{ text: mockText(3).join('') }]);
  });
});

describe('CountTokens through the mock', () => {
  test('converse input: the input tokens the usage would report (10 + messages)', async () => {
    const res = await client().send(new CountTokensCommand({ modelId: MODEL, input: { converse: { messages: [...USER, { role: 'assistant', content: [{ text: 'Hello' }] }, ...USER] } } }));
    assert.equal(res.inputTokens, 13);
    assert.match(mock.requests.at(-1)!.path, /\/model\/us\.anthropic\.claude-sonnet-4-5-20250929-v1%3A0\/count-tokens$/);
  });

  test('invokeModel input: the SDK base64-encodes the Anthropic body, the mock reads it', async () => {
    const body = new TextEncoder().encode(JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }));
    const res = await client().send(new CountTokensCommand({ modelId: MODEL, input: { invokeModel: { body } } }));
    assert.equal(res.inputTokens, 11);
  });

  test('without input: a ValidationException', async () => {
    await assert.rejects(client().send(new CountTokensCommand({ modelId: MODEL, input: undefined as never })), (e: Error) => e instanceof ValidationException);
  });
});

describe('InvokeModel of embedding models through the mock', () => {
  const json = (bytes: Uint8Array): Record<string, any> => JSON.parse(new TextDecoder().decode(bytes));

  test('Titan Text Embeddings V2: {inputText, dimensions} → {embedding, inputTextTokenCount}', async () => {
    const res = await client().send(
      new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', contentType: 'application/json', accept: 'application/json', body: JSON.stringify({ inputText: 'the river lock', dimensions: 8, normalize: true }) }),
    );
    const out = json(res.body);
    assert.deepEqual(out.embedding, Array.from(mockEmbedding('the river lock', 8)));
    assert.equal(out.inputTextTokenCount, 4);
    assert.equal(res.contentType, 'application/json');
    assert.match(mock.requests.at(-1)!.path, /\/model\/amazon\.titan-embed-text-v2%3A0\/invoke$/);
  });

  test('Cohere Embed v3: {texts, input_type} → {embeddings, id, response_type, texts}', async () => {
    const texts = ['alpha', 'beta beta'];
    const res = await client().send(new InvokeModelCommand({ modelId: 'cohere.embed-english-v3', body: JSON.stringify({ texts, input_type: 'search_query' }) }));
    const out = json(res.body);
    assert.deepEqual(out.embeddings, texts.map((t) => Array.from(mockEmbedding(t))));
    assert.equal(out.response_type, 'embeddings_floats');
    assert.deepEqual(out.texts, texts);
    const typed = json((await client().send(new InvokeModelCommand({ modelId: 'cohere.embed-multilingual-v3', body: JSON.stringify({ texts, input_type: 'search_document', embedding_types: ['float'] }) }))).body);
    assert.equal(typed.response_type, 'embeddings_by_type');
    assert.deepEqual(typed.embeddings.float[1], Array.from(mockEmbedding('beta beta')));
  });

  test('bodies Bedrock would refuse are its ValidationException', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['amazon.titan-embed-text-v2:0', { texts: ['x'] }, /extraneous key \[texts\]/],
      ['amazon.titan-embed-text-v2:0', {}, /required key \[inputText\]/],
      ['cohere.embed-english-v3', { texts: ['x'] }, /required key \[input_type\]/],
      ['cohere.embed-english-v3', { texts: Array.from({ length: 97 }, () => 'x'), input_type: 'search_query' }, /maximum item count: 96/],
      ['cohere.embed-english-v3', { texts: ['x'], input_type: 'search_query', output_dimension: 256 }, /extraneous key \[output_dimension\]/],
    ];
    for (const [modelId, body, message] of cases) {
      await assert.rejects(client().send(new InvokeModelCommand({ modelId, body: JSON.stringify(body) })), (e: Error) => e instanceof ValidationException && message.test(e.message), `${modelId} ${JSON.stringify(body).slice(0, 60)}`);
    }
  });

  test('the signature is checked on the invoke path too', async () => {
    await assert.rejects(
      client({ secret: 'not-the-secret' }).send(new InvokeModelCommand({ modelId: 'amazon.titan-embed-text-v2:0', body: JSON.stringify({ inputText: 'x' }) })),
      (e: Error) => e.name === 'InvalidSignatureException',
    );
  });
});
