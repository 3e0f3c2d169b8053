// Issue 12 §5: Claude Code, a pinned known-good version and the newest from the registry (two aliases
// in package.json), run non-interactively (`-p`) with ANTHROPIC_BASE_URL at sluice over an OpenAI-type
// and a Gemini-type upstream of `sluice mock`: a prompt gets its answer, and a tool-using task
// (`--allowedTools Bash`) runs the tool and carries its output back to the upstream. What it sends:
// docs/clients/claude-code.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { NODE, ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { makeHome, mockArgs, offlineEnv, runCli } from './run-cli.ts';

const VERSIONS = {
  pinned: join(ROOT, 'node_modules/claude-code-pinned/cli-wrapper.cjs'),
  latest: join(ROOT, 'node_modules/claude-code-latest/cli-wrapper.cjs'),
};
const MODELS = { 'cc-oa': 'openai', 'cc-ge': 'gemini' } as const;

let mock: MockServer;
let sluice: SluiceProcess;

before(async () => {
  mock = await startMock({ port: 0, chunks: 5 });
  sluice = await startSluice({
    config: `
providers:
  oa: { type: openai, base_url: ${mock.url}/v1 }
  ge: { type: gemini, base_url: ${mock.url} }
models:
  cc-oa: { targets: [{ provider: oa, model: gpt-x }] }
  cc-ge: { targets: [{ provider: ge, model: gemini-x }] }
retries: { attempts: 0 }
`,
  });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function claude(wrapper: string, home: { home: string; work: string }, model: string, args: string[]) {
  return runCli(NODE, [wrapper, ...args], {
    cwd: home.work,
    timeoutMs: 90_000,
    env: offlineEnv(home.home, {
      ANTHROPIC_BASE_URL: sluice.url,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_MODEL: model,
      ANTHROPIC_SMALL_FAST_MODEL: model,
      ANTHROPIC_DEFAULT_HAIKU_MODEL: model,
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_NON_ESSENTIAL_MODEL_CALLS: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    }),
  });
}

for (const [version, wrapper] of Object.entries(VERSIONS)) {
  describe(`Claude Code (${version}) through sluice`, () => {
    for (const [model, dialect] of Object.entries(MODELS)) {
      test(`${model} (${dialect} upstream): -p gets the answer`, async () => {
        const home = makeHome();
        try {
          const before = mock.requests.length;
          const run = await claude(wrapper, home, model, ['-p', 'Say hello']);
          assert.equal(run.code, 0, `exit 0\n${run.stdout.slice(-1000)}\n${run.stderr.slice(-2000)}`);
          assert.equal(run.stdout.trim(), mockText(5).join('').trim());
          const sent = mock.requests.slice(before);
          assert.ok(sent.length >= 1 && sent.every((r) => r.dialect === dialect), `upstream dialect ${dialect}: ${sent.map((r) => r.dialect)}`);
        } finally {
          home.dispose();
        }
      });

      test(`${model} (${dialect} upstream): a tool-using task with --allowedTools Bash`, async () => {
        const home = makeHome();
        try {
          const before = mock.requests.length;
          const args = mockArgs({ command: 'echo sluice-tool-ran-$((40+2))', description: 'Print a marker' });
          const run = await claude(wrapper, home, model, ['-p', `Run the marker command [[mock tool=Bash args=${args} chunks=2]]`, '--allowedTools', 'Bash']);
          assert.equal(run.code, 0, `exit 0\n${run.stdout.slice(-1000)}\n${run.stderr.slice(-2000)}`);
          const sent = mock.requests.slice(before);
          assert.equal(sent.length, 2, 'the tool call, then the answer');
          assert.ok(JSON.stringify(sent[1]!.body).includes('sluice-tool-ran-42'), 'the command ran and its output reached the upstream');
          assert.equal(run.stdout.trim(), mockText(5).join('').trim());
        } finally {
          home.dispose();
        }
      });
    }
  });
}
