// Issue 12 §2: Gemini CLI (`@google/gemini-cli`, the version pinned in package.json) run
// non-interactively (`-p`) with GOOGLE_GEMINI_BASE_URL at sluice, over every upstream type of
// `sluice mock`: it gets the answer, and a tool-using task completes (the CLI runs the tool and
// sluice carries the result back to the upstream in its dialect). Setup as docs/clients/gemini-cli.md.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { ROOT, NODE, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { makeHome, mockArgs, offlineEnv, runCli, type CliHome } from './run-cli.ts';

const GEMINI = join(ROOT, 'node_modules/@google/gemini-cli/bundle/gemini.js');
const SETTINGS = JSON.stringify({
  security: { auth: { useExternal: true } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
});

let mock: MockServer;
let sluice: SluiceProcess;

/** Model name the CLI asks for -> the upstream dialect behind it. */
const MODELS = { 'cli-oa': 'openai', 'cli-an': 'anthropic', 'cli-ge': 'gemini', 'cli-re': 'openai-responses', 'cli-co': 'cohere' } as const;

before(async () => {
  mock = await startMock({ port: 0, chunks: 5 });
  sluice = await startSluice({
    config: `
providers:
  oa: { type: openai, base_url: ${mock.url}/v1 }
  an: { type: anthropic, base_url: ${mock.url} }
  ge: { type: gemini, base_url: ${mock.url} }
  re: { type: openai-responses, base_url: ${mock.url}/v1 }
  co: { type: cohere, base_url: ${mock.url} }
models:
  cli-oa: { targets: [{ provider: oa, model: gpt-x }] }
  cli-an: { targets: [{ provider: an, model: claude-x }] }
  cli-ge: { targets: [{ provider: ge, model: gemini-x }] }
  cli-re: { targets: [{ provider: re, model: gpt-x }] }
  cli-co: { targets: [{ provider: co, model: command-x }] }
retries: { attempts: 0 }
`,
  });
});
after(async () => {
  await sluice?.stop();
  await mock?.close();
});

function gemini(home: CliHome, model: string, prompt: string, extra: string[] = []) {
  return runCli(NODE, [GEMINI, '-m', model, ...extra, '-p', prompt], {
    cwd: home.work,
    timeoutMs: 60_000,
    env: offlineEnv(home.home, {
      GOOGLE_GEMINI_BASE_URL: sluice.url,
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
      GEMINI_TELEMETRY_ENABLED: 'false',
    }),
  });
}

describe('Gemini CLI through sluice', () => {
  for (const [model, dialect] of Object.entries(MODELS)) {
    test(`${model} (${dialect} upstream): -p gets the answer`, async () => {
      const home = makeHome({ '.gemini/settings.json': SETTINGS });
      try {
        const before = mock.requests.length;
        const run = await gemini(home, model, 'Say hello');
        assert.equal(run.code, 0, `exit 0\n${run.stderr.slice(-2000)}`);
        assert.equal(run.stdout.trim(), mockText(5).join('').trim());
        const sent = mock.requests.slice(before);
        assert.ok(sent.length >= 1 && sent.every((r) => r.dialect === dialect), `upstream dialect ${dialect}`);
      } finally {
        home.dispose();
      }
    });

    test(`${model} (${dialect} upstream): a tool-using task`, async () => {
      const home = makeHome({ '.gemini/settings.json': SETTINGS, 'work/notes.txt': 'sluice-file-content-42\n' });
      try {
        const before = mock.requests.length;
        const args = mockArgs({ file_path: join(home.work, 'notes.txt') });
        const run = await gemini(home, model, `Read notes.txt [[mock tool=read_file args=${args} chunks=2]]`, ['--yolo']);
        assert.equal(run.code, 0, `exit 0\n${run.stderr.slice(-2000)}`);
        const sent = mock.requests.slice(before);
        assert.equal(sent.length, 2, 'a tool call, then the answer');
        const second = JSON.stringify(sent[1]!.body);
        assert.ok(second.includes('sluice-file-content-42'), 'the tool result reached the upstream');
        // The final answer is the mock's plain text for the turn after the tool result.
        assert.ok(run.stdout.includes(mockText(5).join('').trim()), run.stdout);
      } finally {
        home.dispose();
      }
    });
  }

  test('an open gateway accepts the empty key of gateway mode; a keyed one answers 401 in Google shape', async () => {
    const keyed = await startSluice({
      config: `
providers:
  oa: { type: openai, base_url: ${mock.url}/v1 }
models:
  cli-oa: { targets: [{ provider: oa, model: gpt-x }] }
auth:
  keys: [{ name: cli, key: sk-cli-test-key }]
`,
    });
    const home = makeHome({ '.gemini/settings.json': SETTINGS });
    try {
      const env = offlineEnv(home.home, { GOOGLE_GEMINI_BASE_URL: keyed.url, GEMINI_CLI_TRUST_WORKSPACE: 'true' });
      const denied = await runCli(NODE, [GEMINI, '-m', 'cli-oa', '-p', 'hi'], { cwd: home.work, env, timeoutMs: 60_000 });
      assert.notEqual(denied.code, 0);
      assert.match(denied.stdout + denied.stderr, /401|UNAUTHENTICATED|API key/i);
      const ok = await runCli(NODE, [GEMINI, '-m', 'cli-oa', '-p', 'hi'], { cwd: home.work, env: { ...env, GEMINI_API_KEY: 'sk-cli-test-key' }, timeoutMs: 60_000 });
      assert.equal(ok.code, 0, ok.stderr.slice(-2000));
      assert.equal(ok.stdout.trim(), mockText(5).join('').trim());
    } finally {
      home.dispose();
      await keyed.stop();
    }
  });
});
