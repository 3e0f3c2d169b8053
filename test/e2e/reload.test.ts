// SPEC §11 / issue 14 item 2, with a real process: SIGHUP and POST /admin/reload re-read the config
// file and swap it in atomically. A new model is served after the reload; an invalid file is refused
// with every problem logged and the old config keeps serving; a stream that started before a reload
// finishes on the target it started with; circuit states carry over for unchanged targets and start
// afresh for a changed provider; /readyz and sluice_config_generation name the live generation.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { startMock, mockText, type MockServer } from '../../src/mock/server.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { until } from '../helpers/procs.ts';
import { parseExposition, sampleValue } from '../metrics/exposition.ts';

const ADMIN = 'sluice-admin-0123456789abcdef';

let mock: MockServer;
let sluice: SluiceProcess;

interface Shape {
  /** Extra models. */
  models?: string;
  /** The `m` model's target model name upstream. */
  target?: string;
  /** The failing provider's base URL directives. */
  flaky?: string;
}

function config(shape: Shape = {}): string {
  return `
providers:
  good: { type: openai, base_url: "${mock.url}/v1", api_key: sk-upstream }
  flaky: { type: openai, base_url: "${mock.url}/_mock/${shape.flaky ?? 'fault=status;status=500'}/v1", api_key: sk-upstream }
models:
  m: { targets: [{ provider: good, model: ${shape.target ?? 'm-first'} }] }
  breaker:
    strategy: fallback
    targets: [{ provider: flaky, model: m-flaky }, { provider: good, model: m-fallback }]
${shape.models ?? ''}
auth:
  admin_key: "${ADMIN}"
retries: { attempts: 1, backoff: 10ms }
breaker: { failure_threshold: 2, cooldown: 60s }
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

function chat(model: string, content = 'hi', stream = false): Promise<Response> {
  return fetch(`${sluice.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content }] }),
  });
}

async function generation(): Promise<number> {
  const body = (await (await fetch(`${sluice.url}/readyz`)).json()) as { generation: number };
  return body.generation;
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return sampleValue(parseExposition(await (await fetch(`${sluice.url}/metrics`)).text()), name, labels);
}

function upstream(model: string): number {
  return mock.requests.filter((r) => (r.body as { model?: string } | undefined)?.model === model).length;
}

async function hup(expectGeneration: number): Promise<void> {
  process.kill(sluice.pid, 'SIGHUP');
  await until(`generation ${expectGeneration}`, async () => (await generation()) === expectGeneration);
}

test('SIGHUP adds a model; /readyz and the metric name generation 2', async () => {
  assert.equal(await generation(), 1);
  assert.equal((await chat('added')).status, 404);
  writeFileSync(sluice.configPath!, config({ models: '  added: { targets: [{ provider: good, model: m-added }] }' }));
  await hup(2);
  const res = await chat('added');
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  assert.equal(upstream('m-added'), 1);
  assert.equal(await metric('sluice_config_generation'), 2);
  assert.equal(await metric('sluice_config_reloads_total', { result: 'applied' }), 1);
  await until('the reload line', () => sluice.stdout.some((l) => l.includes('config reloaded: generation 2 is live')));
});

test('SIGHUP with an invalid file: refused, every problem logged, the old config keeps serving', async () => {
  const valid = config({ models: '  added: { targets: [{ provider: good, model: m-added }] }' });
  writeFileSync(sluice.configPath!, `${valid}\nservre: {}\n`.replace('provider: good, model: m-added', 'provider: nosuch, model: m-added'));
  const before = sluice.stdout.length;
  process.kill(sluice.pid, 'SIGHUP');
  await until('the refusal', () => sluice.stdout.slice(before).some((l) => l.includes('config reload refused')));
  const line = JSON.parse(sluice.stdout.slice(before).find((l) => l.includes('config reload refused'))!) as { level: string; problems: string[] };
  assert.equal(line.level, 'error');
  assert.equal(line.problems.length, 2, line.problems.join('\n'));
  assert.ok(line.problems.some((p) => p.includes('servre')));
  assert.ok(line.problems.some((p) => p.includes('unknown provider "nosuch"')));
  assert.equal(await generation(), 2);
  const res = await chat('added');
  assert.equal(res.status, 200, 'the old generation still serves');
  await res.arrayBuffer();
  assert.equal(await metric('sluice_config_reloads_total', { result: 'refused' }), 1);
  writeFileSync(sluice.configPath!, valid);
});

test('a stream that started before a reload finishes on its target; new requests use the new one', async () => {
  const res = await chat('m', 'hi [[mock chunks=20 delay=60]]', true);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  let body = new TextDecoder().decode((await reader.read()).value);
  writeFileSync(sluice.configPath!, config({ target: 'm-second', models: '  added: { targets: [{ provider: good, model: m-added }] }' }));
  await hup(3);
  const fresh = await chat('m');
  await fresh.arrayBuffer();
  assert.equal(upstream('m-second'), 1, 'a new request goes to the new target');
  for (let r = await reader.read(); !r.done; r = await reader.read()) body += new TextDecoder().decode(r.value);
  assert.ok(body.includes('data: [DONE]'));
  const text = body
    .split('\n')
    .filter((l) => l.startsWith('data: {'))
    .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
    .join('');
  assert.equal(text, mockText(20).join(''));
  assert.equal(upstream('m-first'), 1, 'the old stream was served by the old target alone');
  const line = await sluice.waitForRecord((r) => r.model === 'm' && r.target === 'good/m-first');
  assert.equal(line.end_reason, 'completed');
});

test('circuit states carry over a reload for unchanged targets, and start afresh for a changed provider', async () => {
  for (let i = 0; i < 2; i++) assert.equal((await chat('breaker')).status, 200);
  assert.equal(upstream('m-flaky'), 2, 'two failures open the circuit');
  const same = config({ target: 'm-second', models: '  added: { targets: [{ provider: good, model: m-added }]}\n  more: { targets: [{ provider: good, model: m-more }] }' });
  writeFileSync(sluice.configPath!, same);
  await hup(4);
  assert.equal((await chat('breaker')).status, 200);
  assert.equal(upstream('m-flaky'), 2, 'still open after a reload that left the provider alone');
  // The provider now points elsewhere (here: the same mock without the fault): a different upstream.
  writeFileSync(sluice.configPath!, same.replace('fault=status;status=500', 'chunks=3'));
  await hup(5);
  assert.equal((await chat('breaker')).status, 200);
  assert.equal(upstream('m-flaky'), 3, 'the changed provider is tried again');
});

test('POST /admin/reload: the admin key is required; a refusal answers 422 with the problems', async () => {
  const post = (key?: string) =>
    fetch(`${sluice.url}/admin/reload`, { method: 'POST', headers: key ? { authorization: `Bearer ${key}` } : {} });
  assert.equal((await post()).status, 401);
  assert.equal((await post('wrong-key')).status, 401);
  const ok = await post(ADMIN);
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { status: 'reloaded', generation: 6, restart_only: [] });
  const text = config();
  writeFileSync(sluice.configPath!, text.replace('strategy: fallback', 'strategy: fastest'));
  const refused = await post(ADMIN);
  assert.equal(refused.status, 422);
  const body = (await refused.json()) as { status: string; generation: number; problems: string[] };
  assert.equal(body.status, 'refused');
  assert.equal(body.generation, 6);
  assert.match(body.problems[0]!, /models\.breaker\.strategy/);
  assert.ok(!JSON.stringify(body).includes(ADMIN));
  writeFileSync(sluice.configPath!, text.replace('server:', 'server:').replace('auth:', 'server: { port: 1 }\nauth:'));
  const portChange = await post(ADMIN);
  assert.deepEqual(await portChange.json(), { status: 'reloaded', generation: 7, restart_only: ['server.port'] });
  assert.equal((await fetch(`${sluice.url}/healthz`)).status, 200, 'still on the port it started on');
});
