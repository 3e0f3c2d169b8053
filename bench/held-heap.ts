// `node --expose-gc bench/held-heap.ts [sluice|floor] [N]`: what one held-open stream costs inside
// the process, split the way V8 sees it. Runs sluice (or, with `floor`, the smallest gateway of the
// same build: node:http in front, an undici Agent behind, bytes forwarded) in this process, holds N
// streams open from a child process (so the client's objects are not counted), and prints the
// growth of RSS, the live JS heap (heapUsed), the committed heap (heapTotal) and external memory
// per stream, after full GCs. The held-streams scenario of `npm run bench` reports RSS only.
// HELD_ROUTE=responses holds Responses streams (`POST /v1/responses`) instead of chat completions.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { holdStreams, load, mockText, pool, type Endpoint } from './client.ts';
import { NODE, openai, responses, startMockProcess } from './contender.ts';
import { createUndiciProxy } from './undici-proxy.ts';
import { sleep } from './lib.ts';

const STALL = 'chunks=50 fault=stall_mid after=3';
/** The front the streams are held on (HELD_ROUTE): chat completions, or Responses. */
const endpoint = (port: number): Endpoint => (process.env.HELD_ROUTE === 'responses' ? responses(port, 'm') : openai(port, 'm'));

async function holder(port: number, n: number): Promise<void> {
  const h = await holdStreams(port, endpoint(port), mockText(STALL), n, { parallel: 50, deadlineMs: 60_000 });
  process.stdout.write(`held ${h.held} failed ${h.failed}${h.error ? ` (${h.error})` : ''}\n`);
  process.stdin.once('data', () => {
    void h.release().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--holder') return holder(Number(process.argv[3]), Number(process.argv[4]));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const mode = process.argv[2] ?? 'sluice';
  const n = Number(process.argv[3] ?? 2000);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-held-'));
  const mock = await startMockProcess();
  let close: (() => Promise<void>) | undefined;
  let port: number;
  try {
    if (mode === 'floor') {
      // The floor: a gateway that does nothing but forward, on the same HTTP stack as sluice.
      const f = createUndiciProxy(new URL(`http://127.0.0.1:${mock.port}`));
      await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', r));
      port = (f.server.address() as { port: number }).port;
      close = f.close;
    } else {
      const { loadConfigFile } = await import('../src/config/index.ts');
      const { createApp } = await import('../src/server/app.ts');
      const config = join(dir, 'sluice.yaml');
      writeFileSync(
        config,
        `server: { host: 127.0.0.1 }\nstore: sqlite:${join(dir, 'sluice.db')}\nproviders:\n  mock: { type: openai, base_url: http://127.0.0.1:${mock.port}/v1, timeouts: { idle: 10m } }\nmodels:\n  m: { targets: [{ provider: mock, model: bench }] }\n`,
      );
      const app = createApp(loadConfigFile(config));
      port = (await app.listen(0, '127.0.0.1')).port;
      close = () => app.close();
    }
    // A few streams first, so code loaded on first use is not counted.
    const p = pool(port, 4);
    const ep: Endpoint = endpoint(port);
    await load(p, ep, mockText('chunks=5'), { total: 200, concurrency: 4, deadlineMs: 10_000, stream: true });
    await p.close();
    const snap = (): NodeJS.MemoryUsage => {
      gc();
      gc();
      return process.memoryUsage();
    };
    const before = snap();
    const child = spawn(NODE, [import.meta.filename, '--holder', String(port), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await new Promise<string>((r) => child.stdout.once('data', (d: Buffer) => r(d.toString().trim())));
    await sleep(500);
    const after = snap();
    // HEAP_SNAPSHOT=FILE: the heap with the streams held, to see which objects each one keeps.
    if (process.env.HEAP_SNAPSHOT) writeHeapSnapshot(process.env.HEAP_SNAPSHOT);
    console.log(`${mode}: ${line}`);
    for (const k of ['rss', 'heapUsed', 'heapTotal', 'external'] as const) {
      console.log(`  ${k.padEnd(10)} ${((after[k] - before[k]) / n / 1024).toFixed(1).padStart(6)} KB per stream`);
    }
    child.stdin.write('x');
    await new Promise((r) => child.once('exit', r));
  } finally {
    await close?.();
    await mock.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
