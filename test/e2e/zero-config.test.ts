// Issue 2 acceptance: `npm start` with no config streams the demo model one event at a time.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let sluice: SluiceProcess;

before(async () => {
  sluice = await startSluice({
    env: { SLUICE_DEMO_TOKEN_MS: '20', SLUICE_DEMO_FIRST_MS: '20', OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', GEMINI_API_KEY: '', OPENROUTER_API_KEY: '' },
  });
});
after(async () => {
  await sluice?.stop();
});

test('zero-config serves the demo model and streams events as they are produced', async () => {
  const res = await fetch(`${sluice.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' },
    body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');
  assert.equal(res.headers.get('x-accel-buffering'), 'no');
  assert.equal(res.headers.get('connection'), 'keep-alive');
  assert.equal(res.headers.get('content-encoding'), null);
  assert.equal(res.headers.get('content-length'), null);
  assert.equal(res.headers.get('x-request-id'), 'abc-123');
  const arrivals: number[] = [];
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of res.body!) {
    const s = decoder.decode(chunk, { stream: true });
    const events = s.split('\n\n').filter((e) => e.startsWith('data:')).length;
    for (let i = 0; i < events; i++) arrivals.push(performance.now());
    text += s;
  }
  assert.match(text, /data: \[DONE\]\n\n$/);
  // One event at a time: arrivals are spread out, not delivered in one burst at the end.
  const span = arrivals[arrivals.length - 1]! - arrivals[0]!;
  const distinct = new Set(arrivals.map((t) => Math.round(t / 5))).size;
  assert.ok(arrivals.length > 20, `got ${arrivals.length} events`);
  assert.ok(span > 200, `events spanned ${span} ms`);
  assert.ok(distinct > arrivals.length / 2, `only ${distinct} distinct arrival times for ${arrivals.length} events`);
});

test('health, models, and the official SDK non-streaming', async () => {
  assert.deepEqual(await (await fetch(`${sluice.url}/healthz`)).json(), { status: 'ok' });
  const client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'x', maxRetries: 0 });
  const models = await client.models.list();
  assert.ok(models.data.some((m) => m.id === 'demo'));
  const done = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'hello there' }] });
  assert.equal(done.model, 'demo');
  assert.match(done.choices[0]!.message.content ?? '', /hello there/);
  assert.equal(done.choices[0]!.finish_reason, 'stop');
  assert.ok(done.usage!.completion_tokens > 0);
});
