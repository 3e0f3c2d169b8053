import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StreamEvent } from '../../../src/core/events.ts';
import type { ChatRequest } from '../../../src/core/request.ts';
import type { DecodeContext, UpstreamEndpoint } from '../../../src/core/protocol.ts';
import { SseDecoder } from '../../../src/sse/decoder.ts';
import { azureChatCodec } from '../../../src/protocols/azure-openai/codec.ts';
import { acceptsStreamOptions, azureResource, chatCompletionsUrl, responsesUrl } from '../../../src/protocols/azure-openai/endpoint.ts';

const FIXTURES = new URL('../../../src/protocols/azure-openai/__fixtures__/', import.meta.url);
const OPENAI_FIXTURES = new URL('../../../src/protocols/openai/__fixtures__/', import.meta.url);

function endpoint(over: Partial<UpstreamEndpoint> = {}): UpstreamEndpoint {
  return { name: 'aoai', baseUrl: 'https://res.openai.azure.com', headers: {}, quirks: {}, ...over } as UpstreamEndpoint;
}

function request(over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], stream: true, includeUsage: false, front: 'anthropic', raw: {}, ...over } as ChatRequest;
}

function replay(bytes: Buffer, seed = 0): StreamEvent[] {
  const events: StreamEvent[] = [];
  const codec = azureChatCodec(azureResource('https://res.openai.azure.com', '2024-10-21'));
  const ctx = { provider: 'aoai', endpoint: endpoint(), request: request() } as DecodeContext;
  const decoder = codec.createStreamDecoder((ev) => events.push(ev), ctx);
  const sse = new SseDecoder({
    onEvent: (data, event) => decoder.onEvent(data, event),
    onDataLine: decoder.onDataLine === undefined ? undefined : (b, s, e) => decoder.onDataLine!(b, s, e),
  });
  let pos = 0;
  let x = seed + 1;
  while (pos < bytes.length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const size = seed === 0 ? bytes.length : 1 + (x % 37);
    sse.push(bytes.subarray(pos, pos + size));
    pos += size;
  }
  sse.end();
  decoder.end();
  return events;
}

test('URLs: classic deployment paths with api-version, the v1 API without', () => {
  const classic = azureResource('https://res.openai.azure.com/', '2024-10-21');
  assert.equal(chatCompletionsUrl(classic, 'gpt-4o'), 'https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
  assert.equal(responsesUrl(classic), 'https://res.openai.azure.com/openai/responses?api-version=2024-10-21');
  const v1 = azureResource('https://res.openai.azure.com', undefined);
  assert.equal(chatCompletionsUrl(v1, 'gpt-4o'), 'https://res.openai.azure.com/openai/v1/chat/completions');
  assert.equal(responsesUrl(v1), 'https://res.openai.azure.com/openai/v1/responses');
});

test('a pasted Target URI is cut back to the resource; its api-version is used when none is configured', () => {
  const pasted = azureResource('https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-08-01-preview', undefined);
  assert.deepEqual(pasted, { baseUrl: 'https://res.openai.azure.com', apiVersion: '2024-08-01-preview' });
  assert.equal(azureResource('https://res.openai.azure.com/openai/deployments/x/chat/completions?api-version=2024-08-01-preview', '2024-10-21').apiVersion, '2024-10-21');
  assert.deepEqual(azureResource('https://res.openai.azure.com/openai/v1/', undefined), { baseUrl: 'https://res.openai.azure.com', apiVersion: undefined });
  assert.deepEqual(azureResource('https://gw.azure-api.net/aoai/openai/v1?api-version=preview', undefined), { baseUrl: 'https://gw.azure-api.net/aoai', apiVersion: undefined });
});

test('stream_options only where the api-version accepts it (Q-45)', () => {
  assert.equal(acceptsStreamOptions(undefined), true);
  assert.equal(acceptsStreamOptions('2024-10-21'), true);
  assert.equal(acceptsStreamOptions('2025-04-01-preview'), true);
  assert.equal(acceptsStreamOptions('2023-05-15'), false);
  assert.equal(acceptsStreamOptions('2024-06-01'), false);
  const old = azureChatCodec(azureResource('https://res.openai.azure.com', '2023-05-15')).buildRequest(request(), 'gpt-4o', endpoint(), true);
  assert.equal(JSON.parse(String(old.body)).stream_options, undefined);
  const ga = azureChatCodec(azureResource('https://res.openai.azure.com', '2024-10-21')).buildRequest(request(), 'gpt-4o', endpoint(), true);
  assert.deepEqual(JSON.parse(String(ga.body)).stream_options, { include_usage: true });
});

test('the key never goes out as Authorization (the auth adds api-key)', () => {
  const r = azureChatCodec(azureResource('https://res.openai.azure.com', undefined)).buildRequest(request(), 'my-deployment', endpoint({ apiKey: 'secret' }), true);
  assert.equal(r.headers.authorization, undefined);
  assert.doesNotMatch(JSON.stringify(r), /secret/);
  assert.equal(JSON.parse(String(r.body)).model, 'my-deployment', 'v1 API: model = deployment name');
});

const finishes = (events: StreamEvent[]) => events.filter((e) => e.type === 'finish').map((e) => (e as { reason: string }).reason);
const text = (events: StreamEvent[]) => events.map((e) => (e.type === 'text-delta' ? e.text : '')).join('');

test('annotation chunks after the stop finish: one stop finish, usage kept, done (Q-43)', () => {
  for (const seed of [0, 1, 2, 3, 4]) {
    const events = replay(readFileSync(fileURLToPath(new URL('async-filter-annotations-after-stop.sse', FIXTURES))), seed);
    assert.equal(text(events), 'Color is light.');
    assert.deepEqual(finishes(events), ['stop']);
    const usage = events.find((e) => e.type === 'usage');
    assert.deepEqual(usage && usage.type === 'usage' ? [usage.usage.inputTokens, usage.usage.outputTokens] : undefined, [12, 4]);
    assert.equal(events.at(-1)?.type, 'done');
    assert.equal(events.at(-2)?.type, 'finish', 'the finish is released at the end');
  }
});

test('a late content_filter finish overrides the earlier stop (Q-43)', () => {
  const events = replay(readFileSync(fileURLToPath(new URL('async-filter-late-content-filter.sse', FIXTURES))));
  assert.equal(text(events), 'Here are the lyrics');
  assert.deepEqual(finishes(events), ['content-filter']);
  assert.equal(events.at(-1)?.type, 'done');
});

test('the synchronous filter stream (prompt_filter_results first, delta-less annotation mid-stream) decodes (Q-16)', () => {
  const events = replay(readFileSync(fileURLToPath(new URL('azure-filter-chunks.sse', OPENAI_FIXTURES))), 3);
  assert.equal(text(events), 'Safe text.');
  assert.deepEqual(finishes(events), ['stop']);
  const start = events.find((e) => e.type === 'message-start');
  assert.ok(start && start.type === 'message-start' && start.id === undefined, 'no id taken from the empty-id filter chunk');
});
