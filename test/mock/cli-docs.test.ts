// `sluice mock` as a command, and its documentation kept in step with the fault table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseLatency } from '../../src/cli/mock.ts';
import { DIRECTIVE_KEYS, FAULTS } from '../../src/mock/faults.ts';
import { directivesHelp } from '../../src/mock/help.ts';

const CLI = fileURLToPath(new URL('../../src/cli/mock.ts', import.meta.url));
const README = readFileSync(new URL('../../src/mock/README.md', import.meta.url), 'utf8');

test('README and --help document every fault and directive key', () => {
  const help = directivesHelp();
  for (const name of [...Object.keys(FAULTS), ...Object.keys(DIRECTIVE_KEYS)]) {
    assert.ok(README.includes('`' + name + '`'), `README lacks ${name}`);
    assert.ok(new RegExp(`\\n  ${name} `).test(help), `--help lacks ${name}`);
  }
});

test('--latency accepts MS or chunk=MS,first=MS', () => {
  assert.deepEqual(parseLatency('25'), { chunkDelayMs: 25 });
  assert.deepEqual(parseLatency('chunk=10,first=300'), { chunkDelayMs: 10, firstDelayMs: 300 });
  assert.throws(() => parseLatency('fast'), /--latency/);
});

function run(args: string[]): { child: ReturnType<typeof spawn>; stdout: () => string; exit: Promise<number | null> } {
  const script = `import { runMock } from ${JSON.stringify(CLI)}; process.exitCode = await runMock(${JSON.stringify(args)});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, exit };
}

test('sluice mock --help prints the directives and exits 0', async () => {
  const p = run(['--help']);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  assert.equal(await p.exit, 0);
  clearTimeout(timer);
  assert.match(p.stdout(), /Usage: sluice mock/);
  assert.match(p.stdout(), /drop_mid/);
});

test('sluice mock listens, answers, logs, and exits 0 on SIGTERM', async () => {
  const p = run(['--port', '0', '--chunks', '2', '--latency', 'chunk=1']);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  try {
    const deadline = Date.now() + 8000;
    let url: string | undefined;
    while (url === undefined && Date.now() < deadline) {
      url = /sluice mock listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.stdout())?.[1];
      if (url === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(url, `no listening line in ${JSON.stringify(p.stdout())}`);
    const res = await fetch(url + '/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
    const json = (await res.json()) as { choices: Array<{ message: { content: string } }> };
    assert.equal(json.choices[0].message.content, 'Sluice streams');
    p.child.kill('SIGTERM');
    assert.equal(await p.exit, 0);
    assert.match(p.stdout(), /#1 openai json \/v1\/chat\/completions .*-> completed/);
  } finally {
    clearTimeout(timer);
    p.child.kill('SIGKILL');
  }
});
