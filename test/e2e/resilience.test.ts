// Issue 4 acceptance, against `sluice mock` with the official `openai` SDK as the client: failover
// before the commit point is invisible, client errors are not retried, a failing target is taken
// out by its circuit and probed back in, the latency strategy follows the faster target, and a
// first-byte timeout moves on and aborts the abandoned upstream request.
//
// Each upstream target has its own model name, so the mock's request log tells them apart; faults
// are chosen per target with a `/_mock/<directives>/` prefix in its base_url.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, mockText, type MockRequestRecord, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let mock: MockServer;
let sluice: SluiceProcess;
let client: OpenAI;

const TEXT = mockText(12).join('');
const COOLDOWN_MS = 500;

function provider(name: string, directives?: string, timeouts = '{ connect: 2s, first_byte: 2s, idle: 2s, total: 20s }'): string {
  const base = directives ? `${mock.url}/_mock/${directives}/v1` : `${mock.url}/v1`;
  return `  ${name}:\n    type: openai\n    base_url: "${base}"\n    api_key: sk-upstream-test\n    timeouts: ${timeouts}\n`;
}

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({
    config: `
providers:
${provider('good', undefined)}
${provider('r429', 'fault=status;status=429;retry_after=1')}
${provider('r400', 'fault=status;status=400')}
${provider('r401', 'fault=status;status=401')}
${provider('flaky', 'fault=status;status=500')}
${provider('dead', 'fault=status;status=503')}
${provider('slow', 'first=800')}
${provider('staller', 'fault=stall_first', '{ connect: 2s, first_byte: 300ms, idle: 2s, total: 20s }')}
models:
  failover:
    strategy: fallback
    targets: [{ provider: r429, model: m-429 }, { provider: good, model: m-good-1 }]
  bad-request:
    strategy: fallback
    targets: [{ provider: r400, model: m-400 }, { provider: good, model: m-good-2 }]
  upstream-auth:
    strategy: fallback
    targets: [{ provider: r401, model: m-401 }, { provider: good, model: m-good-3 }]
  breaker:
    strategy: fallback
    targets: [{ provider: flaky, model: m-flaky }, { provider: good, model: m-good-4 }]
  fastest:
    strategy: latency
    targets: [{ provider: slow, model: m-slow }, { provider: good, model: m-fast }]
  stall:
    strategy: fallback
    targets: [{ provider: staller, model: m-stall }, { provider: good, model: m-good-5 }]
  only-dead:
    targets: [{ provider: dead, model: m-dead }]
  retry-after:
    targets: [{ provider: r429, model: m-429-alone }]
retries: { attempts: 2, backoff: 10ms, max_backoff: 3s }
breaker: { failure_threshold: 5, cooldown: ${COOLDOWN_MS}ms }
`,
  });
  client = new OpenAI({ baseURL: `${sluice.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function upstream(model: string): MockRequestRecord[] {
  return mock.requests.filter((r) => (r.body as { model?: string } | undefined)?.model === model);
}

async function streamText(model: string, prompt = 'hello'): Promise<string> {
  const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: prompt }] });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

describe('failover before the commit point', () => {
  test('a 429 then a good target: the client sees a normal stream', async () => {
    const requestId = 'resilience-failover';
    const stream = await client.chat.completions.create(
      { model: 'failover', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-request-id': requestId } },
    );
    let text = '';
    const ids = new Set<string>();
    let roles = 0;
    for await (const chunk of stream) {
      ids.add(chunk.id);
      if (chunk.choices[0]?.delta?.role) roles++;
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    assert.equal(text, TEXT);
    assert.equal(ids.size, 1, 'one id for the whole stream');
    assert.equal(roles, 1, 'one role chunk: the failed attempt left no trace');
    assert.equal(upstream('m-429').length, 1);
    assert.equal(upstream('m-good-1').length, 1);
    const record = await sluice.waitForRecord((r) => r.request_id === requestId);
    assert.equal(record.attempts, 2);
    assert.equal(record.failovers, 1);
    assert.equal(record.target, 'good/m-good-1');
    assert.equal(record.status, 200);
  });

  test('a 400 is returned once and not retried', async () => {
    await assert.rejects(streamText('bad-request'), (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 400);
      return true;
    });
    assert.equal(upstream('m-400').length, 1);
    assert.equal(upstream('m-good-2').length, 0);
  });

  test('an upstream 401 is returned, not retried, and takes that target out of rotation', async () => {
    await assert.rejects(streamText('upstream-auth'), (err: unknown) => err instanceof OpenAI.APIError && err.status === 401);
    assert.equal(upstream('m-401').length, 1);
    assert.equal(upstream('m-good-3').length, 0);
    assert.equal(await streamText('upstream-auth'), TEXT);
    assert.equal(upstream('m-401').length, 1, 'its circuit is open: skipped');
    assert.equal(upstream('m-good-3').length, 1);
  });

  test('retry-after is honoured before retrying the same target', async () => {
    await assert.rejects(streamText('retry-after'), (err: unknown) => {
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 429);
      assert.equal(err.headers?.get('retry-after'), '1', 'the upstream retry-after reaches the client');
      return true;
    });
    const tries = upstream('m-429-alone');
    assert.equal(tries.length, 3, 'attempts: 2 retries');
    for (let i = 1; i < tries.length; i++) {
      const gap = tries[i]!.startedAt - tries[i - 1]!.startedAt;
      assert.ok(gap >= 950, `retry ${i} waited ${gap} ms for retry-after: 1`);
    }
  });
});

describe('circuit breaker', () => {
  test('a target that failed 5 times is skipped until its probe succeeds', async () => {
    for (let i = 0; i < 5; i++) assert.equal(await streamText('breaker'), TEXT);
    assert.equal(upstream('m-flaky').length, 5);
    assert.equal(upstream('m-good-4').length, 5);

    for (let i = 0; i < 3; i++) assert.equal(await streamText('breaker'), TEXT);
    assert.equal(upstream('m-flaky').length, 5, 'open: skipped');

    // After the cool-down one probe goes to the target; it fails: open again, still skipped.
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
    assert.equal(await streamText('breaker'), TEXT);
    assert.equal(upstream('m-flaky').length, 6, 'the probe');
    assert.equal(await streamText('breaker'), TEXT);
    assert.equal(upstream('m-flaky').length, 6, 're-opened after the failed probe');

    // The target recovers (the prompt overrides its fault): the probe succeeds and it is back.
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
    const good4 = upstream('m-good-4').length;
    assert.equal(await streamText('breaker', 'hello [[mock fault=]]'), TEXT);
    assert.equal(upstream('m-flaky').length, 7, 'the probe succeeded');
    assert.equal(upstream('m-good-4').length, good4, 'served by the probed target');
    assert.equal(await streamText('breaker', 'hello [[mock fault=]]'), TEXT);
    assert.equal(upstream('m-flaky').length, 8, 'closed: first in rotation again');
  });

  test('/readyz is 503 with details while every target of a model is open, 200 after the cool-down', async () => {
    const ready = await fetch(`${sluice.url}/readyz`);
    assert.equal(ready.status, 200);
    for (let i = 0; i < 2; i++) await assert.rejects(streamText('only-dead'));
    const down = await fetch(`${sluice.url}/readyz`);
    assert.equal(down.status, 503);
    const body = (await down.json()) as { problems: string[] };
    assert.ok(body.problems.some((p) => p.includes('only-dead') && p.includes('dead/m-dead')), JSON.stringify(body));
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
    assert.equal((await fetch(`${sluice.url}/readyz`)).status, 200);
  });
});

// The slow target answers 800 ms late: far above what a loaded CI machine adds to the fast one (with
// 250 ms, a busy run once ranked them the other way for a third of the requests).
test('the latency strategy moves traffic to the faster target', async () => {
  for (let i = 0; i < 50; i++) assert.equal(await streamText('fastest'), TEXT);
  const picks = mock.requests
    .filter((r) => ['m-slow', 'm-fast'].includes((r.body as { model?: string } | undefined)?.model ?? ''))
    .sort((a, b) => a.id - b.id)
    .map((r) => (r.body as { model: string }).model);
  assert.equal(picks.length, 50);
  assert.ok(picks.includes('m-slow'), 'the slow target was measured');
  // Once both are measured, about 10% of requests explore the slow one: over the last 40, expect ~36
  // fast (a strategy blind to latency would give ~20; 28 is > 2.5 sd from either).
  const fast = picks.slice(10).filter((m) => m === 'm-fast').length;
  assert.ok(fast >= 28, `fast ${fast} of the last 40: ${picks.join(' ')}`);
});

test('a first-byte timeout moves on to the next target and aborts the abandoned upstream request', async () => {
  const started = Date.now();
  assert.equal(await streamText('stall'), TEXT);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 300 && elapsed < 3000, `took ${elapsed} ms`);
  const stalled = await mock.waitFor((r) => (r.body as { model?: string })?.model === 'm-stall' && r.closedAt !== undefined, 2000);
  assert.ok(stalled.closedAt! - stalled.startedAt < 1500, 'closed right after the timeout');
  assert.equal(upstream('m-good-5').length, 1);
});
