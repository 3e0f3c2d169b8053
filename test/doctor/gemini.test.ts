// `sluice doctor --protocol gemini` against a real sluice (demo model): every check of the Gemini
// stream grammar passes, and it fails a gateway whose stream ends without a finishReason.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runDiagnosis, exitCodeOf } from '../../src/doctor/index.ts';
import { startSluice, type SluiceProcess } from '../helpers/sluice.ts';

let sluice: SluiceProcess;

before(async () => {
  sluice = await startSluice({ config: 'server:\n  keepalive: 1s\n' });
});
after(async () => {
  await sluice?.stop();
});

test('directly against sluice every Gemini check passes', async () => {
  const r = await runDiagnosis({ url: sluice.url, protocol: 'gemini', timeoutMs: 10_000 });
  assert.deepEqual(r.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`), []);
  assert.equal(exitCodeOf(r), 0);
  for (const name of ['valid-json', 'stream-start', 'consistent-id', 'stream-end']) {
    assert.equal(r.checks.find((c) => c.name === name)?.status, 'pass', name);
  }
  assert.match(r.checks.find((c) => c.name === 'stream-end')!.detail, /finishReason "STOP"/);
});

test('a gateway whose stream ends without finishReason and changes responseId fails the grammar checks', async () => {
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/healthz')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [i, t] of ['Hel', 'lo'].entries()) {
      res.write(`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"${t}"}]},"index":0}],"responseId":"r${i}"}\n\n`);
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const r = await runDiagnosis({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, protocol: 'gemini', timeoutMs: 5_000 });
    const status = (name: string) => r.checks.find((c) => c.name === name)?.status;
    assert.equal(status('consistent-id'), 'fail');
    assert.equal(status('stream-end'), 'fail');
    assert.equal(exitCodeOf(r), 1);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});
