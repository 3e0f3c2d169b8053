// Claude Code in its Bedrock mode (CLAUDE_CODE_USE_BEDROCK=1, ANTHROPIC_BEDROCK_BASE_URL,
// AWS_BEARER_TOKEN_BEDROCK) through sluice's Bedrock front to an OpenAI-type upstream on `sluice mock`:
// it must answer from a stream, without falling back to InvokeModel. A recording proxy in front of
// sluice keeps every call it makes (docs/clients/claude-code-bedrock.md).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { mockText, startMock, type MockServer } from '../../src/mock/server.ts';
import { ROOT, startSluice, type SluiceProcess } from '../helpers/sluice.ts';
import { tempDir } from '../helpers/tmp.ts';

const KEY = 'ABSKsluice-claude-code-key';
const DEFAULT_MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const WRAPPER = join(ROOT, 'node_modules/claude-code-pinned/cli-wrapper.cjs');

function nativeBinaryPresent(): boolean {
  try {
    createRequire(WRAPPER).resolve(`@anthropic-ai/claude-code-${process.platform}-${process.arch}/package.json`);
    return true;
  } catch {
    return false;
  }
}

interface Call {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

let mock: MockServer;
let sluice: SluiceProcess;
let proxy: Server;
const calls: Call[] = [];

before(async () => {
  mock = await startMock();
  sluice = await startSluice({
    config: `
server: { keepalive: 5s }
providers:
  oa: { type: openai, base_url: ${mock.url}/v1 }
models:
  # The id Claude Code asks for by default: a sluice model name like any other.
  "${DEFAULT_MODEL}": { targets: [{ provider: oa, model: gpt-x }] }
auth:
  keys: [{ name: claude-code, key: ${KEY} }]
`,
  });
  const target = new URL(sluice.url);
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const call: Call = { method: req.method ?? '', path: req.url ?? '', status: 0, contentType: '', body: body.toString('utf8') };
      calls.push(call);
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        call.status = up.statusCode ?? 0;
        call.contentType = String(up.headers['content-type'] ?? '');
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
});
after(async () => {
  proxy?.close();
  await sluice?.stop();
  await mock?.close();
});

test('Claude Code (Bedrock mode) streams its answer through sluice to an OpenAI upstream, no fallback to invoke', { skip: nativeBinaryPresent() ? false : `no Claude Code binary for ${process.platform}-${process.arch}` }, async () => {
  const home = tempDir('sluice-cc-home-');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CLAUDE_CODE_USE_BEDROCK: '1',
    ANTHROPIC_BEDROCK_BASE_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    AWS_BEARER_TOKEN_BEDROCK: KEY,
    AWS_REGION: 'us-east-1',
    // Nothing may leave the machine: no telemetry, updates, error reports or instance metadata.
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const child = spawn(process.execPath, [WRAPPER, '-p', 'Say hi'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  clearTimeout(timer);

  assert.equal(code, 0, `claude exited with ${code}: ${stderr}`);
  assert.equal(stdout.trim(), mockText(12).join('').trim(), 'the answer is the upstream\'s text');
  assert.equal(calls[0]?.method, 'GET');
  assert.match(calls[0]?.path ?? '', /^\/inference-profiles\?type=SYSTEM_DEFINED/, 'it asks for the inference profiles first');
  const main = calls.filter((c) => c.path.endsWith('/invoke-with-response-stream'));
  assert.equal(main.length, 1, 'one streamed turn');
  assert.equal(main[0].path, `/model/${DEFAULT_MODEL}/invoke-with-response-stream`, 'the raw model id (":" unencoded)');
  assert.equal(main[0].status, 200);
  assert.equal(main[0].contentType, 'application/vnd.amazon.eventstream');
  // Availability probes are tiny invoke calls; a fallback would re-send the conversation to /invoke.
  const invokes = calls.filter((c) => c.path.endsWith('/invoke'));
  for (const c of invokes) assert.equal(JSON.parse(c.body).max_tokens, 1, `only availability probes on /invoke, no fallback (${c.path})`);
  assert.ok(invokes.some((c) => c.path === `/model/${DEFAULT_MODEL}/invoke` && c.status === 200), 'the probe of the configured model succeeds');
});
