// Agent-sized request bodies (docs/pipeline.md, "Large request bodies"): a client talking to an
// upstream of its own dialect has its body forwarded as its own bytes, with only the members sluice
// changes (model, stream, stream_options) rewritten (src/core/raw-json.ts). Checked on the wire: a
// relay between sluice and `sluice mock` keeps the exact bytes each upstream request carried. The
// client's escapes (`caf\u00e9`, which JSON.stringify would write as `café`) reaching the upstream
// as sent show the bytes were passed, not serialised again; the parsed body is what it must be.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startMock, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let mock: MockServer;
let relay: Server;
let sluice: SluiceProcess;
/** The body bytes of every request the relay passed to the mock, by a tag found in them. */
const seen: Buffer[] = [];

before(async () => {
  mock = await startMock({ port: 0 });
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      seen.push(body);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      try {
        const up = await fetch(`${mock.url}${req.url}`, { method: req.method, headers, body });
        res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
        for await (const chunk of up.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
        res.end();
      } catch (err) {
        res.writeHead(502).end(String(err));
      }
    });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const r = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  sluice = await startSluice({
    config: `
providers:
  oa: { type: openai, base_url: ${r}/v1 }
  an: { type: anthropic, base_url: ${r} }
  rs: { type: openai-responses, base_url: ${r}/v1 }
  ge: { type: gemini, base_url: ${r} }
  co: { type: cohere, base_url: ${r} }
models:
  m-oa: { targets: [{ provider: oa, model: gpt-up }] }
  m-an: { targets: [{ provider: an, model: claude-up }] }
  m-rs: { targets: [{ provider: rs, model: gpt-resp-up }] }
  m-ge: { targets: [{ provider: ge, model: gemini-up }] }
  m-co: { targets: [{ provider: co, model: command-up }] }
retries: { attempts: 0 }
`,
  });
});

after(async () => {
  await sluice?.stop();
  await new Promise<void>((r) => (relay ? relay.close(() => r()) : r()));
  await mock?.close();
});

/** A conversation of `turns` user turns, ~1 KB each, with escapes in the text. */
function history(tag: string, turns: number): string {
  const para = `${'The function reads the configuration file and names the path of every error. '.repeat(12)}caf\\u00e9 \\"quoted\\" {braces} [brackets] back\\\\slash`;
  const out: string[] = [];
  for (let i = 0; i < turns; i++) out.push(`{"role":"user","content":"${tag} turn ${i}: ${para}"}`, `{"role":"assistant","content":"answer ${i}"}`);
  return out.join(',');
}

function sentWith(tag: string): Buffer {
  const found = seen.filter((b) => b.includes(tag));
  assert.equal(found.length, 1, `one upstream request carries ${tag}`);
  return found[0]!;
}

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${sluice.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, text: await res.text() };
}

describe('a large body to an upstream of the same dialect goes out as the client sent it', () => {
  test('OpenAI chat, streaming', async () => {
    const tag = 'lb-oa-7c1';
    const body = `{"model":"m-oa","stream":true,"messages":[${history(tag, 60)},{"role":"user","content":"last [[mock chunks=3]]"}],"chat_template_kwargs":{"enable_thinking":false,"budget":12345678901234567890}}`;
    assert.ok(body.length > 32 * 1024);
    const res = await post('/v1/chat/completions', body);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /data: \[DONE\]/);
    const sent = sentWith(tag).toString('utf8');
    assert.ok(sent.includes('caf\\u00e9'), 'the client escapes, byte for byte');
    assert.ok(sent.includes('"budget":12345678901234567890'), 'an integer JSON.parse would round, as written');
    const expected = { ...JSON.parse(body), model: 'gpt-up', stream: true, stream_options: { include_usage: true } };
    assert.deepEqual(JSON.parse(sent), expected);
  });

  test('Anthropic messages, non-streaming, with a query string (Claude Code)', async () => {
    const tag = 'lb-an-3f9';
    const body = `{"model":"m-an","max_tokens":1024,"system":[{"type":"text","text":"You are a coding agent.","cache_control":{"type":"ephemeral"}}],"messages":[${history(tag, 60)},{"role":"user","content":"last [[mock chunks=2]]"}]}`;
    const res = await post('/v1/messages?beta=true', body, { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse(res.text).type, 'message');
    const sent = sentWith(tag).toString('utf8');
    assert.ok(sent.includes('caf\\u00e9'));
    assert.deepEqual(JSON.parse(sent), { ...JSON.parse(body), model: 'claude-up', stream: false });
  });

  test('Responses, streaming (Codex)', async () => {
    const tag = 'lb-rs-5d2';
    const body = `{"model":"m-rs","stream":true,"store":false,"include":["reasoning.encrypted_content"],"prompt_cache_key":"k-1","input":[${history(tag, 60)},{"role":"user","content":"last [[mock chunks=2]]"}]}`;
    const res = await post('/v1/responses', body);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /response\.completed/);
    const sent = sentWith(tag).toString('utf8');
    assert.ok(sent.includes('caf\\u00e9'));
    assert.deepEqual(JSON.parse(sent), { ...JSON.parse(body), model: 'gpt-resp-up', stream: true });
  });

  test('Cohere v2 chat, streaming', async () => {
    const tag = 'lb-co-4e6';
    const body = `{"model":"m-co","stream":true,"messages":[${history(tag, 60)},{"role":"user","content":"last [[mock chunks=2]]"}]}`;
    const res = await post('/v2/chat', body, { authorization: 'Bearer x' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /message-end/);
    const sent = sentWith(tag).toString('utf8');
    assert.ok(sent.includes('caf\\u00e9'));
    assert.deepEqual(JSON.parse(sent), { ...JSON.parse(body), model: 'command-up', stream: true });
  });

  test('Gemini, streaming (Gemini CLI)', async () => {
    const tag = 'lb-ge-9a3';
    const para = `${'The function reads the configuration file and names the path of every error. '.repeat(12)}caf\\u00e9 \\"quoted\\"`;
    const turns: string[] = [];
    for (let i = 0; i < 60; i++) turns.push(`{"role":"user","parts":[{"text":"${tag} ${i} ${para}"}]}`, `{"role":"model","parts":[{"text":"answer ${i}"}]}`);
    const body = `{"contents":[${turns.join(',')},{"role":"user","parts":[{"text":"last [[mock chunks=2]]"}]}],"systemInstruction":{"parts":[{"text":"You are an agent."}]},"generationConfig":{"temperature":0.5,"thinkingConfig":{"includeThoughts":true}}}`;
    const res = await post('/v1beta/models/m-ge:streamGenerateContent?alt=sse', body, { 'x-goog-api-key': 'x' });
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, /"finishReason"/);
    const sent = sentWith(tag).toString('utf8');
    assert.ok(sent.includes('caf\\u00e9'), 'the client escapes, byte for byte');
    assert.deepEqual(JSON.parse(sent), JSON.parse(body));
  });
});

describe('the official SDKs with agent-sized conversations', () => {
  test('openai: a 100 KB conversation, streamed', async () => {
    const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 20_000 });
    const tag = 'lb-sdk-oa-81e';
    const messages: OpenAI.ChatCompletionMessageParam[] = [];
    for (let i = 0; i < 80; i++) messages.push({ role: 'user', content: `${tag} ${i} ${'é—"quoted" {x} '.repeat(80)}` }, { role: 'assistant', content: `a${i}` });
    messages.push({ role: 'user', content: 'go [[mock chunks=4]]' });
    const stream = client.chat.completions.stream({ model: 'm-oa', messages });
    const final = await stream.finalChatCompletion();
    assert.equal(final.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(JSON.parse(sentWith(tag).toString('utf8')).messages, messages);
  });

  test('anthropic: a 100 KB conversation', async () => {
    const client = new Anthropic({ baseURL: sluice.url, apiKey: 'x', maxRetries: 0, timeout: 20_000 });
    const tag = 'lb-sdk-an-2b4';
    const messages: Anthropic.MessageParam[] = [];
    for (let i = 0; i < 80; i++) messages.push({ role: 'user', content: `${tag} ${i} ${'é—"quoted" {x} '.repeat(80)}` }, { role: 'assistant', content: `a${i}` });
    messages.push({ role: 'user', content: 'go [[mock chunks=4]]' });
    const message = await client.messages.create({ model: 'm-an', max_tokens: 512, messages });
    assert.equal(message.stop_reason, 'end_turn');
    const sent = JSON.parse(sentWith(tag).toString('utf8'));
    assert.deepEqual(sent.messages, messages);
    assert.equal(sent.model, 'claude-up');
  });
});
