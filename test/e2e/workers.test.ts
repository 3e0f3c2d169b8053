// SPEC §11 / issue 14 item 3, with real processes: `server.workers: 2` without Redis. Limits and
// circuits hold exactly across the workers (the primary owns them), /metrics counts the whole
// gateway, request lines carry the worker id, a reload reaches every worker, and a worker killed
// with SIGKILL is replaced while the other worker's stream goes on untouched.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { childPids, until } from '../helpers/procs.ts';
import { parseExposition, sampleValue } from '../metrics/exposition.ts';

const LIMITED = 'sk-sluice-rpm10-0123456789abcdefghij';
const SINGLE = 'sk-sluice-conc3-0123456789abcdefghij';
const FREE = 'sk-sluice-free00-0123456789abcdefghij';
const ROOMY = 'sk-sluice-rpm60-0123456789abcdefghij';
const BUDGETED = 'sk-sluice-budget-0123456789abcdefghij';

let mock: MockServer;
let sluice: SluiceProcess;
/** Chat requests sent to the gateway (for the /metrics total). */
let sent = 0;

function config(extraModel = ''): string {
  return `
server: { workers: 2 }
providers:
  good: { type: openai, base_url: "${mock.url}/v1", api_key: sk-upstream }
  flaky: { type: openai, base_url: "${mock.url}/_mock/fault=status;status=500/v1", api_key: sk-upstream }
models:
  m: { targets: [{ provider: good, model: m-good }] }
  slow: { targets: [{ provider: good, model: m-slow }] }
  breaker:
    strategy: fallback
    targets: [{ provider: flaky, model: m-flaky }, { provider: good, model: m-good-2 }]
${extraModel}
auth:
  keys:
    - { name: limited, key: "${LIMITED}", rpm: 10 }
    - { name: single, key: "${SINGLE}", concurrency: 3 }
    - { name: free, key: "${FREE}" }
    - { name: roomy, key: "${ROOMY}", rpm: 60, concurrency: 500 }
    - { name: budgeted, key: "${BUDGETED}", budget: { usd: 50, per: day } }
# $1 a token: a request (11 tokens in, 12 out) costs $23.
pricing:
  m-good: { input: 1000000, output: 1000000 }
retries: { attempts: 1, backoff: 10ms }
breaker: { failure_threshold: 3, cooldown: 60s }
`;
}

before(async () => {
  mock = await startMock({ port: 0 });
  sluice = await startSluice({ config: config() });
});

after(async () => {
  await sluice?.stop();
  await mock?.close();
});

interface Answer {
  status: number;
  body: string;
}

/** One chat request on a connection of its own (Connection: close), so the dispatcher places each. */
function ask(key: string, model = 'm', prompt = 'hi', stream = false): Promise<Answer> {
  sent++;
  const body = JSON.stringify({ model, stream, messages: [{ role: 'user', content: prompt }] });
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${sluice.url}/v1/chat/completions`,
      { method: 'POST', agent: false, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', connection: 'close' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function upstream(model: string): number {
  return mock.requests.filter((r) => (r.body as { model?: string } | undefined)?.model === model).length;
}

function workersOf(records: Array<Record<string, unknown>>): Set<unknown> {
  return new Set(records.map((r) => r.worker));
}

async function metrics(): Promise<ReturnType<typeof parseExposition>> {
  const res = await fetch(`${sluice.url}/metrics`);
  assert.equal(res.status, 200);
  return parseExposition(await res.text());
}

describe('two workers without Redis', () => {
  test('a key with rpm 10: of 20 concurrent requests exactly 10 succeed, served by both workers', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask(LIMITED)));
    const ok = answers.filter((a) => a.status === 200).length;
    assert.equal(ok, 10, `statuses: ${answers.map((a) => a.status).join(' ')}`);
    assert.ok(answers.every((a) => a.status === 200 || a.status === 429));
    await until('20 request lines', () => sluice.records().filter((r) => r.key_name === 'limited').length === 20);
    const served = sluice.records().filter((r) => r.key_name === 'limited');
    assert.deepEqual([...workersOf(served)].sort(), [1, 2], 'both workers took requests');
  });

  test('a key with rpm 60 (room for allowances in the workers): of 80 concurrent requests after 4, exactly 56 succeed', async () => {
    // The first requests bring blocks of room to the workers (docs/operations.md, "Cross-worker
    // state: allowances"); the burst then spends them locally until the primary has to recall them.
    for (let i = 0; i < 4; i++) assert.equal((await ask(ROOMY)).status, 200);
    const answers = await Promise.all(Array.from({ length: 80 }, () => ask(ROOMY)));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 56, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 24, statuses.join(' '));
    await until('84 request lines', () => sluice.records().filter((r) => r.key_name === 'roomy').length === 84);
    assert.deepEqual([...workersOf(sluice.records().filter((r) => r.key_name === 'roomy'))].sort(), [1, 2], 'both workers took requests');
  });

  test('a concurrency limit of 3 is exact under a burst of 12', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => ask(SINGLE, 'slow', 'hi [[mock delay=40]]', true)));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 3, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 9, statuses.join(' '));
    // Every slot came back.
    const again = await Promise.all(Array.from({ length: 3 }, () => ask(SINGLE)));
    assert.deepEqual(again.map((a) => a.status), [200, 200, 200]);
  });

  test('a circuit opens after failure_threshold failures counted over both workers, for both', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await ask(FREE, 'breaker')).status, 200, 'failed over to the good target');
    assert.equal(upstream('m-flaky'), 3);
    for (let i = 0; i < 8; i++) assert.equal((await ask(FREE, 'breaker')).status, 200);
    assert.equal(upstream('m-flaky'), 3, 'no worker called the open target again');
  });

  test('a budget holds across workers: requests of $23 against $50 a day, the third crosses it, then every worker refuses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const before = sluice.records().filter((r) => r.key_name === 'budgeted').length;
      const a = await ask(BUDGETED);
      statuses.push(a.status);
      if (a.status === 429) assert.match(a.body, /budget_exceeded/);
      // Spend is counted when the request ends, right after its log line.
      await until('its line', () => sluice.records().filter((r) => r.key_name === 'budgeted').length > before);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429, 429]);
    const served = sluice.records().filter((r) => r.key_name === 'budgeted' && r.status === 200);
    assert.deepEqual(served.map((r) => r.cost_usd), [23, 23, 23]);
  });

  test('request lines carry the worker id; /metrics counts every request of both workers', async () => {
    await until('a line per request', () => sluice.records().length === sent);
    assert.deepEqual([...workersOf(sluice.records())].sort(), [1, 2]);
    const samples = await metrics();
    assert.equal(sampleValue(samples, 'sluice_requests_total'), sent);
    assert.equal(sampleValue(samples, 'sluice_requests_total', { status: '429' }), 10 + 24 + 9 + 4);
    assert.equal(sampleValue(samples, 'sluice_workers'), 2);
    assert.equal(sampleValue(samples, 'sluice_config_generation'), 1);
  });

  test('SIGHUP to the primary puts a new model live on every worker', async () => {
    const file = sluice.configPath!;
    writeFileSync(file, config('  added: { targets: [{ provider: good, model: m-added }] }'));
    process.kill(sluice.pid, 'SIGHUP');
    await until('generation 2 on /readyz', async () => ((await (await fetch(`${sluice.url}/readyz`)).json()) as { generation: number }).generation === 2);
    const answers = await Promise.all(Array.from({ length: 6 }, () => ask(FREE, 'added')));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200, 200, 200]);
    await until('lines for the new model', () => sluice.records().filter((r) => r.model === 'added').length === 6);
    assert.deepEqual([...workersOf(sluice.records().filter((r) => r.model === 'added'))].sort(), [1, 2]);
    assert.equal(sampleValue(await metrics(), 'sluice_config_generation'), 2);
    // Without auth.admin_key the admin endpoint is off, and says how to turn it on.
    const admin = await fetch(`${sluice.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${FREE}` } });
    assert.equal(admin.status, 404);
    assert.match(((await admin.json()) as { error: { message: string } }).error.message, /auth\.admin_key/);
  });

  test('SIGKILL of one worker: the other worker’s stream completes, a replacement starts, the gateway keeps serving', async () => {
    const [first, second] = childPids(sluice.pid);
    assert.ok(first && second, 'two workers');
    const prompt = 'hi [[mock chunks=30 delay=60]]';
    // Two streams at once: the dispatcher puts them on different workers.
    const streams = [ask(FREE, 'm', prompt, true).catch((err: Error) => err), ask(FREE, 'm', prompt, true).catch((err: Error) => err)];
    await until('both streams upstream', () => mock.requests.filter((r) => JSON.stringify(r.body ?? '').includes('chunks=30')).length === 2);
    process.kill(first, 'SIGKILL');
    const results = await Promise.all(streams);
    const complete = results.filter((r) => !(r instanceof Error) && r.body.includes('data: [DONE]'));
    assert.equal(complete.length, 1, 'exactly the stream on the surviving worker completed');
    const text = (complete[0] as Answer).body
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
    assert.equal(text, mockText(30).join(''), 'untouched: every chunk arrived');
    for (let i = 0; i < 6; i++) assert.equal((await ask(FREE)).status, 200, 'still serving');
    await until('a replacement worker', async () => childPids(sluice.pid).length === 2 && sampleValue(await metrics(), 'sluice_workers') === 2);
    const samples = await metrics();
    assert.equal(sampleValue(samples, 'sluice_worker_restarts_total'), 1);
    assert.ok(!childPids(sluice.pid).includes(first));
    assert.ok(sluice.stdout.some((l) => l.includes('worker exited unexpectedly')));
  });

  test('SIGTERM to one worker: its stream finishes, a replacement starts at once, new connections go elsewhere', async () => {
    await until('two workers', () => childPids(sluice.pid).length === 2);
    const [target] = childPids(sluice.pid);
    const errorsBefore = sluice.stdout.filter((l) => l.includes('worker exited unexpectedly')).length;
    // Two streams: one on each worker.
    const prompt = 'hi [[mock chunks=20 delay=60]]';
    const streams = [ask(FREE, 'm', prompt, true), ask(FREE, 'm', prompt, true)];
    await until('both streams upstream', () => mock.requests.filter((r) => JSON.stringify(r.body ?? '').includes('chunks=20 delay=60')).length === 2);
    process.kill(target!, 'SIGTERM');
    await until('a replacement', () => childPids(sluice.pid).length === 3, 15_000);
    for (let i = 0; i < 4; i++) assert.equal((await ask(FREE)).status, 200, 'still serving');
    for (const r of await Promise.all(streams)) assert.ok(r.body.includes('data: [DONE]'), 'both streams finished');
    await until('the drained worker gone', () => !childPids(sluice.pid).includes(target!), 15_000);
    assert.equal(childPids(sluice.pid).length, 2);
    assert.equal(sluice.stdout.filter((l) => l.includes('worker exited unexpectedly')).length, errorsBefore, 'an expected exit');
  });
});
