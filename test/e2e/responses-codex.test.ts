// Issue 11 acceptance, Codex CLI: `codex exec` (the binary the @openai/codex npm package carries)
// runs a non-interactive task through sluice over an Anthropic-type and an OpenAI-chat-type upstream
// of `sluice mock`, end to end: the model calls Codex's exec_command tool, Codex answers the call, the
// second turn carries the result to the upstream in its own form, and Codex prints the final answer.
// Codex must not reach the internet: HOME is a temp dir, its update check, analytics and plugin sync
// are off (docs/clients/codex.md), and every proxy variable points at a local server that records and
// refuses any CONNECT.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { mockText } from '../../src/mock/server.ts';
import { ROOT } from '../helpers/sluice.ts';
import { recordFor, startResponsesEnv, uniqueTag, type ResponsesEnv } from './responses-env.ts';
import { tempDir } from '../helpers/tmp.ts';

const CODEX_JS = join(ROOT, 'node_modules/@openai/codex/bin/codex.js');

/** The native binary comes in a platform package; absent on platforms npm did not install one for. */
function codexAvailable(): string | undefined {
  if (!existsSync(CODEX_JS)) return 'the @openai/codex package is not installed';
  const pkg = `@openai/codex-${process.platform}-${process.arch}`;
  try {
    createRequire(CODEX_JS).resolve(`${pkg}/package.json`);
    return undefined;
  } catch {
    return `no Codex binary for ${process.platform}-${process.arch} (${pkg} is not installed)`;
  }
}

const missing = codexAvailable();
if (missing && process.env.SLUICE_REQUIRE_SYSTEM === '1') throw new Error(`Codex CLI required: ${missing}`);

let env: ResponsesEnv;
let proxy: Server;
const connects: string[] = [];
let home: string;

before(async () => {
  if (missing) return;
  env = await startResponsesEnv();
  proxy = createServer((req, res) => {
    connects.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  proxy.on('connect', (req, socket) => {
    connects.push(`CONNECT ${req.url}`);
    socket.destroy();
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  home = tempDir('sluice-codex-');
  mkdirSync(join(home, '.codex'));
  // The README's config.toml as a user copies it, with this test's address and no retries.
  writeFileSync(join(home, '.codex', 'config.toml'), readmeCodexConfig(`${env.sluice.url}/v1`));
});

after(async () => {
  if (missing) return;
  await env?.close();
  await new Promise<void>((r) => proxy.close(() => r()));
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  last: string;
}

function codexExec(model: string, prompt: string, cwd: string): Promise<Run> {
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const lastFile = join(cwd, 'last-message.txt');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CODEX_JS, 'exec', '--skip-git-repo-check', '--ephemeral', '-m', model, '-o', lastFile, prompt], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        CODEX_HOME: join(home, '.codex'),
        SLUICE_KEY: 'sk-codex-test',
        HTTP_PROXY: proxyUrl,
        HTTPS_PROXY: proxyUrl,
        ALL_PROXY: proxyUrl,
        http_proxy: proxyUrl,
        https_proxy: proxyUrl,
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
        RUST_LOG: 'error',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`codex exec did not finish in 60 s\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, last: existsSync(lastFile) ? readFileSync(lastFile, 'utf8') : '' });
    });
  });
}

/** The README's Codex config.toml block, pointed at `baseUrl`, with Codex's own retries off. */
function readmeCodexConfig(baseUrl: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /\*\*Codex CLI\.\*\*[\s\S]*?```toml\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'README has the Codex config.toml block');
  assert.ok(block.includes('http://127.0.0.1:4000/v1'));
  return block.replace('http://127.0.0.1:4000/v1', baseUrl).replace(/^(env_key = .*)$/m, '$1\nstream_max_retries = 0\nrequest_max_retries = 0');
}

describe('codex exec through sluice', { skip: missing }, () => {
  for (const [model, dialect] of [
    ['m-an', 'anthropic'],
    ['m-oa', 'openai'],
  ] as const) {
    test(`${model} (${dialect} upstream): a tool call, its result, and the final answer`, async () => {
      const tag = uniqueTag(`codex-${model}`);
      const cwd = tempDir('sluice-codex-work-');
      const run = await codexExec(model, `${tag} look around [[mock tool=exec_command chunks=12]]`, cwd);
      assert.equal(run.code, 0, `codex exec exit code; stderr:\n${run.stderr}`);
      // Every setting of the README's config.toml is one Codex knows where it stands.
      assert.doesNotMatch(run.stderr + run.stdout, /unrecognized configuration setting|is ignored/);
      assert.equal(run.last.trim(), mockText(12).join('').trim(), 'the final message is the upstream answer');

      await recordFor(env.mock, tag);
      const requests = env.mock.requests.filter((r) => JSON.stringify(r.body ?? '').includes(tag));
      assert.equal(requests.length, 2, 'two turns: the tool call, then the answer');
      const [first, second] = requests.map((r) => r.body as any);
      // Codex's tools arrive as functions; its namespace tools flattened; its hosted web_search dropped.
      const names: string[] = dialect === 'anthropic' ? first.tools.map((t: any) => t.name) : first.tools.map((t: any) => t.function.name);
      assert.ok(names.includes('exec_command'), names.join(','));
      assert.ok(names.some((n) => n.startsWith('multi_agent_v1__')), 'namespace tools become <namespace>__<name> functions');
      // The second turn carries Codex's answer to the call in the upstream's tool-result form.
      if (dialect === 'anthropic') {
        const use = second.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).find((b: any) => b.type === 'tool_use');
        const result = second.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).find((b: any) => b.type === 'tool_result');
        assert.equal(use.name, 'exec_command');
        assert.equal(result.tool_use_id, use.id);
      } else {
        const call = second.messages.find((m: any) => m.role === 'assistant' && m.tool_calls)?.tool_calls[0];
        const result = second.messages.find((m: any) => m.role === 'tool');
        assert.equal(call.function.name, 'exec_command');
        assert.equal(result.tool_call_id, call.id);
      }
      assert.equal(requests[0]!.headers.authorization, undefined, "Codex's key is sluice's client key, not sent upstream");
      assert.deepEqual(connects, [], 'Codex tried to reach the internet');
    });
  }
});
