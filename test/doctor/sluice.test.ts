// `sluice doctor` against a real sluice (`bin/sluice serve`, demo model, keepalive 1s): healthy
// directly, both through runDiagnosis and the CLI; a closed port cannot be tested (exit 2).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { runDiagnosis, exitCodeOf, type DoctorReport } from '../../src/doctor/index.ts';
import { ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { freePort } from '../helpers/proxies.ts';

let sluice: SluiceProcess;

before(async () => {
  sluice = await startSluice({ config: 'server:\n  keepalive: 1s\n' });
});
after(async () => {
  await sluice?.stop();
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(join(ROOT, 'bin/sluice'), ['doctor', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function problems(r: DoctorReport): string[] {
  return r.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`);
}

// Independent diagnoses: run them side by side to keep the suite quick.
describe('doctor against a real sluice', { concurrency: true }, () => {
  test('directly against sluice every check passes or is skipped with a reason (OpenAI)', async () => {
    const r = await runDiagnosis({ url: `${sluice.url}/v1`, timeoutMs: 10_000 });
    assert.deepEqual(problems(r), []);
    assert.equal(exitCodeOf(r), 0);
    const status = (name: string): string | undefined => r.checks.find((c) => c.name === name)?.status;
    for (const name of ['reachability', 'sluice', 'buffering', 'chat-status', 'sse-headers', 'compression', 'stream-start', 'consistent-id', 'stream-end', 'valid-json', 'error-handling', 'connection-reuse']) {
      assert.equal(status(name), 'pass', name);
    }
    assert.equal(r.checks.find((c) => c.name === 'sluice')?.data?.keepaliveMs, 1000);
    assert.notEqual(status('keepalive'), 'skip');
  });

  test('directly against sluice, Anthropic dialect', async () => {
    const r = await runDiagnosis({ url: sluice.url, protocol: 'anthropic', timeoutMs: 10_000 });
    assert.deepEqual(problems(r), []);
    assert.equal(exitCodeOf(r), 0);
    assert.equal(r.checks.find((c) => c.name === 'stream-start')?.status, 'pass');
  });

  test('the CLI prints the report as JSON, exits 0, and never prints the key', async () => {
    const key = 'sk-doctor-secret-4242';
    const { code, stdout, stderr } = await cli([`${sluice.url}/v1/`, '--json', '--key', key, '--model', 'demo']);
    assert.equal(code, 0, stdout + stderr);
    const report = JSON.parse(stdout) as DoctorReport;
    assert.equal(report.url, sluice.url);
    assert.equal(report.ok, true);
    assert.ok(report.checks.length >= 10);
    assert.ok(!stdout.includes(key) && !stderr.includes(key));
  });

  test('the human listing marks each check and ends with the verdict', async () => {
    const { code, stdout } = await cli([sluice.url, '--timeout', '10000']);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^✔ reachability +GET \/healthz → 200/m);
    assert.match(stdout, /healthy \(exit 0\)$/m);
  });

  test('a closed port cannot be tested: exit 2, with the culprit', async () => {
    const port = await freePort();
    const r = await runDiagnosis({ url: `http://127.0.0.1:${port}` });
    assert.equal(exitCodeOf(r), 2);
    assert.equal(r.couldNotTest, true);
    assert.equal(r.checks.length, 1);
    assert.match(r.checks[0]!.culprit!, /nothing listens on 127\.0\.0\.1:\d+/);
    const { code, stdout } = await cli([`http://127.0.0.1:${port}`]);
    assert.equal(code, 2);
    assert.match(stdout, /could not test \(exit 2\)/);
  });

  test('usage errors exit 2, --help exits 0', async () => {
    assert.equal((await cli([])).code, 2);
    assert.equal((await cli([sluice.url, '--protocol', 'no-such-dialect'])).code, 2);
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--protocol openai\|anthropic/);
  });

  test('a gateway with client keys: no key → exit 2 asking for --key; the right key → exit 0', async () => {
    const key = 'sk-doctor-keyed-9876543210';
    const keyed = await startSluice({ config: `server:\n  keepalive: 1s\nauth:\n  keys:\n    - { name: doctor, key: "${key}" }\n` });
    try {
      const refused = await runDiagnosis({ url: keyed.url, timeoutMs: 10_000 });
      assert.equal(exitCodeOf(refused), 2);
      const status = refused.checks.find((c) => c.name === 'chat-status')!;
      assert.equal(status.status, 'fail');
      assert.match(status.fix!, /--key/);
      for (const protocol of ['openai', 'anthropic'] as const) {
        const r = await runDiagnosis({ url: keyed.url, key, protocol, timeoutMs: 10_000 });
        assert.deepEqual(problems(r), [], protocol);
        assert.ok(!JSON.stringify(r).includes(key));
      }
    } finally {
      await keyed.stop();
    }
  });
});
