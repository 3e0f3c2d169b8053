// The codec prepare step inside an attempt (core/protocol.ts UpstreamCodec.prepare): a Gemini context
// cache creation that does not answer is given up at half the first_byte limit — the request goes
// uncached and succeeds, the stalled creation is aborted, and the prefix is not asked for again for a
// while — and the time it took counts against the attempt: a total limit shorter than that patience
// ends the attempt with total_timeout. The gateway runs in-process on a manual clock; the upstream is
// a loopback server that holds cachedContents requests and answers generateContent.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../../src/config/index.ts';
import { createRouter } from '../../src/router/index.ts';
import { Pipeline, type RequestRecord } from '../../src/gateway/pipeline.ts';
import { ManualClock } from '../../src/gateway/clock.ts';
import type { FrontServices } from '../../src/core/protocol.ts';
import { memoryOutput } from '../helpers/memory-output.ts';

const services: FrontServices = { modelNames: () => ['slow', 'short'], log: () => {} };
const ANSWER = JSON.stringify({
  candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1, totalTokenCount: 6 },
});

let server: Server;
let base: string;
const held: Array<{ res: ServerResponse; closed: boolean }> = [];
const seen: Array<{ method: string; path: string; body: string }> = [];

before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', body: Buffer.concat(parts).toString('utf8') });
      if (req.url?.endsWith('/cachedContents')) {
        const entry = { res, closed: false };
        res.on('close', () => (entry.closed = true));
        held.push(entry); // never answered
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(ANSWER);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const h of held) h.res.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function pipelineFor(clock: ManualClock, logs: Array<Record<string, unknown>>): Pipeline {
  const config = parseConfig(
    `
providers:
  g: { type: gemini, base_url: "${base}", api_key: k, timeouts: { first_byte: 10s, total: 60s }, context_cache: { min_tokens: 0 } }
  t: { type: gemini, base_url: "${base}", api_key: k, timeouts: { first_byte: 30s, total: 4s }, context_cache: { min_tokens: 0 } }
models:
  slow: { targets: [{ provider: g, model: gemini-2.5-flash }] }
  short: { targets: [{ provider: t, model: gemini-2.5-flash }] }
retries: { attempts: 0 }
`,
    { env: {} },
  );
  return new Pipeline(config, createRouter(config), {}, { clock, log: (fields, message) => logs.push({ ...fields, msg: message }) });
}

const body = (model: string, system: string) =>
  JSON.stringify({
    model,
    max_tokens: 100,
    system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: 'hi' }],
  });

/**
 * Serves one Anthropic-front request: waits (real I/O) until the upstream holds `holding` creations,
 * moves the clock by `jumpMs` at once, then waits for the answer without touching the clock again.
 */
async function serve(pipeline: Pipeline, clock: ManualClock, json: string, holding: number, jumpMs: number): Promise<{ record: RequestRecord; body: string }> {
  const req = await pipeline.decode('anthropic', Buffer.from(json), { headers: {}, params: {}, query: new URLSearchParams() }, services);
  const out = memoryOutput();
  const pending = pipeline.serve(req, pipeline.plan(req), out, { requestId: `r${clock.now()}`, startedAt: clock.now(), headers: {}, services });
  let done = false;
  void pending.finally(() => (done = true));
  await waitUntil(() => held.length >= holding || done);
  clock.advance(jumpMs);
  await waitUntil(() => done);
  return { record: await pending, body: out.body };
}

test('a creation that does not answer is given up at half first_byte: the request goes uncached and succeeds', async () => {
  const clock = new ManualClock();
  const logs: Array<Record<string, unknown>> = [];
  const pipeline = pipelineFor(clock, logs);
  // Half the first_byte limit of 10 s: at 4.9 s the request still waits for the creation, at 5 s it goes.
  const req = await pipeline.decode('anthropic', Buffer.from(body('slow', 'Stalled prefix.')), { headers: {}, params: {}, query: new URLSearchParams() }, services);
  const out = memoryOutput();
  const pending = pipeline.serve(req, pipeline.plan(req), out, { requestId: 'r1', startedAt: clock.now(), headers: {}, services });
  await waitUntil(() => held.length === 1);
  clock.advance(4900);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen.filter((s) => s.path.includes(':generateContent')).length, 0, 'still waiting for the creation');
  clock.advance(100);
  let done = false;
  void pending.finally(() => (done = true));
  await waitUntil(() => done);
  const record = await pending;
  assert.equal(record.status, 200, JSON.stringify(record));
  assert.match(out.body, /"text":"ok"/);
  const sent = seen.filter((s) => s.path.includes(':generateContent'));
  assert.equal(sent.length, 1);
  const sentBody = JSON.parse(sent[0]!.body) as Record<string, unknown>;
  assert.equal(sentBody.cachedContent, undefined);
  assert.ok(sentBody.systemInstruction, 'the whole request');
  await waitUntil(() => held[0]?.closed === true);
  assert.equal(logs.filter((l) => String(l.msg).includes('creation too slow')).length, 1);

  // Not asked again for a while: the next identical request goes uncached at once.
  const creationsBefore = seen.filter((s) => s.path.endsWith('/cachedContents')).length;
  const again = await serve(pipeline, clock, body('slow', 'Stalled prefix.'), 0, 0);
  assert.equal(again.record.status, 200);
  assert.equal(seen.filter((s) => s.path.endsWith('/cachedContents')).length, creationsBefore);
});

test("the creation's time counts against the attempt: a total limit shorter than its patience ends it", async () => {
  const clock = new ManualClock();
  const pipeline = pipelineFor(clock, []);
  const { record } = await serve(pipeline, clock, body('short', 'Another stalled prefix.'), 2, 4000);
  assert.equal(record.errorCode, 'total_timeout', JSON.stringify(record));
  assert.equal(seen.filter((s) => s.path.includes(':generateContent') && s.body.includes('Another stalled prefix')).length, 0, 'never sent');
});

/** Polls real I/O progress (the loopback server, sockets closing); bounded at about 5 s. */
async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond());
}
