import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCheck } from '../../src/cli/check.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-check-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

async function check(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCheck(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
    cwd: dir,
  });
  return { code, out, err };
}

const valid = `
providers:
  openai: { type: openai, api_key: "\${OPENAI_API_KEY}" }
  local: { preset: ollama }
models:
  fast:
    targets:
      - { provider: openai, model: gpt-4o-mini }
`;

const broken = `
providers:
  openai: { type: openai, api_key: sk-live-abcdefghijklmnop, bse_url: x }
models:
  fast:
    targets:
      - { provider: openai, model: gpt-4o }
      - { provider: opnai, model: gpt-4o }
auth:
  keys:
    - { name: ci, key: client-secret-0123456789 }
    - { name: ci, key: client-secret-0123456789 }
`;

describe('sluice check', () => {
  test('a valid file: ok with counts of what the file declares, exit 0', async () => {
    const r = await check([file('valid.yaml', valid)], { OPENAI_API_KEY: 'sk-x' });
    assert.deepEqual(r, { code: 0, out: 'ok: 2 providers, 1 models\n', err: '' });
  });

  test('--json on success', async () => {
    const r = await check([file('valid.yaml', valid), '--json'], { OPENAI_API_KEY: 'sk-x' });
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.out), { ok: true, providers: 2, models: 1 });
  });

  test('problems: one per line on stderr, exit 1, no secrets', async () => {
    const r = await check([file('broken.yaml', broken)]);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.deepEqual(r.err.trimEnd().split('\n'), [
      'providers.openai.bse_url: unknown field (did you mean "base_url"?)',
      'models.fast.targets[1].provider: unknown provider "opnai" (did you mean "openai"?)',
      'auth.keys[1].name: duplicate key name "ci" (also auth.keys[0])',
      'auth.keys[1].key: same key as auth.keys[0]',
    ]);
    assert.ok(!r.err.includes('sk-live') && !r.err.includes('client-secret'));
  });

  test('--json on failure lists the problems on stdout', async () => {
    const r = await check(['--json', file('broken.yaml', broken)]);
    assert.equal(r.code, 1);
    const body = JSON.parse(r.out) as { ok: boolean; problems: string[] };
    assert.equal(body.ok, false);
    assert.equal(body.problems.length, 4);
  });

  test('a missing variable is a problem naming it', async () => {
    const r = await check([file('valid.yaml', valid)]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^providers\.openai\.api_key: environment variable OPENAI_API_KEY is not set/);
  });

  test('missing file and YAML syntax errors are problems, exit 1', async () => {
    const missing = await check(['nope.yaml']);
    assert.deepEqual(missing, { code: 1, out: '', err: `${join(dir, 'nope.yaml')}: file not found\n` });
    const syntax = await check([file('syntax.yaml', 'a: 1\na: 2\n')]);
    assert.equal(syntax.code, 1);
    assert.match(syntax.err, /syntax\.yaml:2:1: Map keys must be unique\n$/);
  });

  test('--help prints usage, exit 0', async () => {
    const r = await check(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: sluice check FILE \[--json\]/);
  });

  test('usage errors exit 2: no FILE, two FILEs, unknown option', async () => {
    for (const argv of [[], ['a.yaml', 'b.yaml'], ['--jsn', 'a.yaml']]) {
      const r = await check(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, /^sluice check: .+\n\nUsage: sluice check FILE/);
    }
  });
});
