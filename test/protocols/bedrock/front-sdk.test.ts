// The Bedrock front's wire output read by the official @aws-sdk/client-bedrock-runtime: a bare
// node:http server answers with what the encoders produce, and the SDK must deserialise it as it
// does the real service's (ConverseStream events, exception messages, Converse bodies, typed errors,
// invoke chunks).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
  ValidationException,
  ModelStreamErrorException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StreamEvent } from '../../../src/core/events.ts';
import { GatewayError } from '../../../src/core/errors.ts';
import type { FrontContext } from '../../../src/core/protocol.ts';
import { createConverseStreamEncoder } from '../../../src/protocols/bedrock/encode-stream.ts';
import { encodeConverseResponse } from '../../../src/protocols/bedrock/encode-response.ts';
import { encodeBedrockError } from '../../../src/protocols/bedrock/errors.ts';
import { createInvokeStreamEncoder } from '../../../src/protocols/bedrock/invoke.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end();
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => handler(req, res));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
after(() => server.close());
const port = (server.address() as AddressInfo).port;

const client = new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint: `http://127.0.0.1:${port}`,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  requestHandler: new NodeHttpHandler(),
  maxAttempts: 1,
});
after(() => client.destroy());

const ctx = (variant?: string): FrontContext =>
  ({ requestId: 'r1', model: 'm', created: Math.floor(Date.now() / 1000), includeUsage: true, includeReasoning: true, variant }) as FrontContext;

function streamWith(events: StreamEvent[], encoderFor = createConverseStreamEncoder): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream' });
    const encode = encoderFor(ctx(), { write: (c) => res.write(c), writeBytes: (c) => res.write(c) });
    for (const ev of events) encode(ev);
    res.end();
  };
}

const ANSWER: StreamEvent[] = [
  { type: 'message-start' },
  { type: 'block-start', index: 0, block: { kind: 'reasoning' } },
  { type: 'reasoning-delta', index: 0, text: 'Think.' },
  { type: 'signature-delta', index: 0, signature: 'sig==' },
  { type: 'block-end', index: 0 },
  { type: 'block-start', index: 1, block: { kind: 'text' } },
  { type: 'text-delta', index: 1, text: 'Hello ' },
  { type: 'text-delta', index: 1, text: 'naïve 🌧 "world"' },
  { type: 'block-end', index: 1 },
  { type: 'block-start', index: 2, block: { kind: 'tool-call', id: 'tooluse_1', name: 'get_forecast' } },
  { type: 'tool-args-delta', index: 2, json: '{"city":' },
  { type: 'tool-args-delta', index: 2, json: '"Oslo"}' },
  { type: 'block-end', index: 2 },
  { type: 'usage', usage: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 100 } },
  { type: 'finish', reason: 'tool-calls' },
  { type: 'done' },
];

test('ConverseStream: the SDK yields every event with the shapes of the real service', async () => {
  handler = streamWith(ANSWER);
  const out = await client.send(new ConverseStreamCommand({ modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
  const seen: unknown[] = [];
  for await (const ev of out.stream!) seen.push(ev);
  assert.deepEqual(seen, [
    { messageStart: { role: 'assistant' } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Think.' } } } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { signature: 'sig==' } } } },
    { contentBlockStop: { contentBlockIndex: 0 } },
    { contentBlockDelta: { contentBlockIndex: 1, delta: { text: 'Hello ' } } },
    { contentBlockDelta: { contentBlockIndex: 1, delta: { text: 'naïve 🌧 "world"' } } },
    { contentBlockStop: { contentBlockIndex: 1 } },
    { contentBlockStart: { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tooluse_1', name: 'get_forecast' } } } },
    { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{"city":' } } } },
    { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '"Oslo"}' } } } },
    { contentBlockStop: { contentBlockIndex: 2 } },
    { messageStop: { stopReason: 'tool_use' } },
    { metadata: { usage: { inputTokens: 20, outputTokens: 30, totalTokens: 150, cacheReadInputTokens: 100 }, metrics: { latencyMs: (seen.at(-1) as any).metadata.metrics.latencyMs } } },
  ]);
});

test('ConverseStream: an error after the commit point is a typed exception the SDK throws mid-iteration', async () => {
  for (const [err, type] of [
    [new GatewayError('upstream_rate_limited', 'slow down'), ThrottlingException],
    [new GatewayError('stream_truncated', 'upstream stream ended before messageStop (provider up)'), ModelStreamErrorException],
  ] as const) {
    handler = streamWith([...ANSWER.slice(0, 7), { type: 'error', error: err }]);
    const out = await client.send(new ConverseStreamCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
    const seen: unknown[] = [];
    await assert.rejects(
      async () => {
        for await (const ev of out.stream!) seen.push(ev);
      },
      (e: Error) => e instanceof type && e.message === err.message,
    );
    assert.equal(seen.length, 5, 'the events before the exception arrived');
  }
});

test('Converse: the response body and usage as the SDK reads them', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      encodeConverseResponse(
        {
          blocks: [
            { kind: 'text', text: 'Hi.' },
            { kind: 'tool-call', id: 't1', name: 'f', arguments: '{"a":1}' },
          ],
          finishReason: 'tool-calls',
          usage: { inputTokens: 10, outputTokens: 3, cacheWriteTokens: 4 },
        },
        ctx(),
      ),
    );
  };
  const out = await client.send(new ConverseCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
  assert.deepEqual(out.output, { message: { role: 'assistant', content: [{ text: 'Hi.' }, { toolUse: { toolUseId: 't1', name: 'f', input: { a: 1 } } }] } });
  assert.equal(out.stopReason, 'tool_use');
  assert.deepEqual(out.usage, { inputTokens: 6, outputTokens: 3, totalTokens: 13, cacheWriteInputTokens: 4 });
});

test('errors before the stream: x-amzn-ErrorType makes the SDK raise the typed exception with the message', async () => {
  for (const [err, type] of [
    [new GatewayError('invalid_request', '1 validation error detected: bad'), ValidationException],
    [new GatewayError('upstream_rate_limited', 'Too many requests', { retryAfterMs: 2000 }), ThrottlingException],
  ] as const) {
    handler = (_req, res) => {
      const r = encodeBedrockError(err);
      res.writeHead(r.status, r.headers);
      res.end(r.body);
    };
    await assert.rejects(
      client.send(new ConverseCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })),
      (e: Error & { $metadata?: { httpStatusCode?: number } }) => e instanceof type && e.message === err.message && e.$metadata?.httpStatusCode === err.status,
    );
  }
});

test('InvokeModelWithResponseStream: Anthropic events in base64 chunks, metrics on message_stop', async () => {
  handler = streamWith(ANSWER.slice(5), createInvokeStreamEncoder);
  const out = await client.send(
    new InvokeModelWithResponseStreamCommand({
      modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      contentType: 'application/json',
      body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }),
    }),
  );
  const events: any[] = [];
  for await (const ev of out.body!) events.push(JSON.parse(new TextDecoder().decode(ev.chunk!.bytes)));
  assert.deepEqual(
    events.map((e) => e.type),
    ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
  );
  assert.equal(events[2].delta.text, 'Hello ');
  assert.equal(events[9].delta.stop_reason, 'tool_use');
  assert.equal(events[10]['amazon-bedrock-invocationMetrics'].outputTokenCount, 30);
  assert.equal(events[10]['amazon-bedrock-invocationMetrics'].inputTokenCount, 20);
});
