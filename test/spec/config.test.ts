// docs/spec.md §2 as tables: the example config's keys parse to what they say, the defaults are the
// documented ones, every accepted form of a value is accepted (durations, sizes, `auto`, ${VAR},
// budgets as a mapping or USD/PERIOD), and every rejected one is a `sluice check` problem that
// names the exact path of the wrong field.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/index.ts';
import { runCheck } from '../../src/cli/check.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-spec-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the defaults of §2: 127.0.0.1:4000, keepalive 15s, max_body 20mb, drain_timeout 5m, one worker, sqlite:./sluice.db, weighted, native streaming', () => {
  const c = parseConfig('providers: { p: { type: openai, base_url: "http://127.0.0.1:1/v1" } }\nmodels: { m: { targets: [{ provider: p, model: x }] } }', { env: {} });
  assert.deepEqual(c.server, { host: '127.0.0.1', port: 4000, keepaliveMs: 15_000, maxBodyBytes: 20 * 1024 * 1024, drainTimeoutMs: 300_000, workers: 1 });
  assert.equal(c.store, 'sqlite:./sluice.db');
  assert.equal(c.models.m!.strategy, 'weighted');
  assert.equal(c.models.m!.continueOnFailure ?? false, false, 'continue_on_failure is off by default');
  assert.equal(c.providers.p!.streaming, 'native');
  assert.equal(c.redis, undefined);
});

test('the example values of §2 parse to what they say', () => {
  const c = parseConfig(
    `
server: { host: 127.0.0.1, port: 4000, keepalive: 15s, max_body: 20mb, drain_timeout: 5m, workers: auto }
providers:
  local:
    type: openai
    base_url: http://127.0.0.1:8000/v1
    headers: { x-extra: "1" }
    timeouts: { connect: 5s, first_byte: 120s, idle: 30s, total: 15m }
  azure-claude: { type: anthropic, base_url: https://example.services.ai.azure.com/anthropic, api_key: "\${AZURE_KEY}", streaming: simulate }
  always: { type: anthropic, streaming: always }
models:
  claude-sonnet:
    strategy: fallback
    targets:
      - { provider: local, model: qwen, weight: 3 }
      - { provider: azure-claude, model: claude-sonnet-4-5, weight: 1 }
    continue_on_failure: true
retries: { attempts: 2, backoff: 250ms }
auth:
  admin_key: "\${SLUICE_ADMIN_KEY:-adm}"
  keys:
    - { name: ci, key: "\${SLUICE_CI_KEY}", models: [claude-sonnet, local/qwen], rpm: 600, tpm: 1000, concurrency: 2 }
    - { name: team-a, key: "k2", budget: { usd: 50, per: day } }
    - { name: team-b, key: "k3", budget: 200/month }
    - { name: team-c, key: "k4", budget: "$1000/total" }
store: sqlite:./sluice.db
redis: redis://127.0.0.1:6379
responses: { store: false, retention: 30d }
pricing:
  my-local-model: { input: 0.10, output: 0.40, cached_input: 0.01 }
`,
    { env: { AZURE_KEY: 'az', SLUICE_CI_KEY: 'ci-key' } },
  );
  assert.equal(c.server.workers, 'auto');
  assert.deepEqual(c.providers.local!.timeouts, { connectMs: 5000, firstByteMs: 120_000, idleMs: 30_000, totalMs: 900_000 });
  assert.deepEqual(c.providers.local!.headers, { 'x-extra': '1' });
  assert.equal(c.providers['azure-claude']!.streaming, 'simulate');
  assert.equal(c.providers['azure-claude']!.apiKey, 'az');
  assert.equal(c.providers.always!.streaming, 'always');
  assert.equal(c.models['claude-sonnet']!.strategy, 'fallback');
  assert.equal(c.models['claude-sonnet']!.continueOnFailure, true);
  assert.deepEqual(c.models['claude-sonnet']!.targets.map((t) => t.weight), [3, 1]);
  assert.equal(c.retries.attempts, 2);
  assert.equal(c.retries.backoffMs, 250);
  assert.equal(c.auth.adminKey, 'adm', '${VAR:-default} takes the default when VAR is unset');
  const [ci, a, b, cc] = c.auth.keys;
  assert.equal(ci!.key, 'ci-key');
  assert.deepEqual([ci!.models, ci!.rpm, ci!.tpm, ci!.concurrency], [['claude-sonnet', 'local/qwen'], 600, 1000, 2]);
  assert.deepEqual([a!.budget, b!.budget, cc!.budget], [{ usd: 50, per: 'day' }, { usd: 200, per: 'month' }, { usd: 1000, per: 'total' }]);
  assert.equal(c.redis, 'redis://127.0.0.1:6379');
});

describe('durations: 250ms, 15s, 10m, or a number of milliseconds', () => {
  const cases: Array<[string, number]> = [
    ['250ms', 250],
    ['15s', 15_000],
    ['10m', 600_000],
    ['1500', 1500],
  ];
  for (const [text, ms] of cases) {
    test(`server.keepalive: ${text} → ${ms} ms`, () => {
      assert.equal(parseConfig(`server: { keepalive: ${text} }`, { env: {} }).server.keepaliveMs, ms);
    });
  }
});

/** `sluice check` on a file: exit code and every line it printed (problems go to stderr). */
async function check(yaml: string, env: Record<string, string> = {}): Promise<{ code: number; lines: string[] }> {
  writeFileSync(join(dir, 'c.yaml'), yaml);
  let text = '';
  const sink = { write: (s: string) => (text += s) };
  const code = await runCheck(['c.yaml'], { stdout: sink, stderr: sink, env, cwd: dir });
  return { code, lines: text.trim().split('\n') };
}

describe('sluice check names the path of every problem (exit 1)', () => {
  const P = 'providers: { p: { type: openai, base_url: "http://127.0.0.1:1/v1" } }\n';
  const cases: Array<[string, string, string]> = [
    ['an unknown provider in a target', `${P}models: { fast: { targets: [{ provider: p, model: a }, { provider: opnai, model: b }] } }`, 'models.fast.targets[1].provider: unknown provider "opnai"'],
    ['an unset ${VAR} without default', 'providers: { p: { type: openai, api_key: "${NOPE_SPEC_VAR}" } }', 'providers.p.api_key: environment variable NOPE_SPEC_VAR is not set'],
    ['an unknown field', 'server: { kepalive: 15s }', 'server.kepalive: unknown field'],
    ['an unknown provider field', 'providers: { p: { type: openai, colour: red } }', 'providers.p.colour: unknown field'],
    ['an unknown provider type', 'providers: { p: { type: opnai } }', 'providers.p.type: must be one of'],
    ['a bad duration', 'server: { keepalive: 15 seconds }', 'server.keepalive: invalid duration "15 seconds"'],
    ['a bad timeout', 'providers: { p: { type: openai, timeouts: { idle: soon } } }', 'providers.p.timeouts.idle: invalid duration "soon"'],
    ['workers neither a count nor auto', 'server: { workers: many }', 'server.workers: expected a number of processes from 1 to 1024, or auto'],
    ['a bad streaming mode', 'providers: { p: { type: openai, streaming: sometimes } }', 'providers.p.streaming: must be one of native | simulate | always'],
    ['a bad strategy', `${P}models: { m: { strategy: random, targets: [{ provider: p, model: a }] } }`, 'models.m.strategy: must be one of weighted | fallback | least-busy | latency'],
    ['a budget period that is none of day, month, total', 'auth: { keys: [{ name: a, key: k, budget: { usd: 50, per: week } }] }', 'auth.keys[0].budget.per: must be one of day | month | total'],
    ['a budget of 0', 'auth: { keys: [{ name: a, key: k, budget: { usd: 0, per: day } }] }', 'auth.keys[0].budget.usd: must be greater than 0'],
    ['a budget with an unknown field', 'auth: { keys: [{ name: a, key: k, budget: { usd: 5, per: day, cap: 1 } }] }', 'auth.keys[0].budget.cap: unknown field'],
    ['a budget short form with a bad period', 'auth: { keys: [{ name: a, key: k, budget: 50/week }] }', 'auth.keys[0].budget: expected USD/PERIOD such as 50/day'],
  ];
  for (const [name, yaml, problem] of cases) {
    test(name, async () => {
      const r = await check(yaml);
      assert.equal(r.code, 1, r.lines.join('\n'));
      assert.ok(r.lines.some((l) => l.startsWith(problem)), `expected a line starting ${JSON.stringify(problem)}, got:\n${r.lines.join('\n')}`);
    });
  }

  test('a valid file: exit 0', async () => {
    const r = await check(`${P}models: { m: { targets: [{ provider: p, model: a }] } }`);
    assert.deepEqual(r, { code: 0, lines: ['ok: 1 providers, 1 models'] });
  });
});
