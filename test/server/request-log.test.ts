// The request log on a real stdout (src/server/log.ts): request lines are gathered and written in
// batches, yet every line reaches stdout, in the order things were logged (a warning between request
// lines stays between them), none twice, those still gathered when the process exits included, and
// a quiet gateway's last lines do not wait for more traffic. In one process and as a cluster worker.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOG = fileURLToPath(new URL('../../src/server/log.ts', import.meta.url));

/** A process that logs `plan` (r: N request lines from `from`; w/i: a warn or info line), then waits for stdin to close if `linger`. */
function script(worker: boolean, linger: boolean): string {
  return `
import { createLogger, logRecord, setLogWorker } from ${JSON.stringify(LOG)};
${worker ? 'setLogWorker(3);' : ''}
const log = createLogger('info');
const record = (i) => ({ requestId: 'req_' + i, front: 'openai', model: 'm', stream: true, target: 'p/m', attempts: 1, retries: 0, failovers: 0,
  status: 200, endReason: 'completed', firstEventMs: 1.5, totalMs: 2.25, events: 52, usage: { inputTokens: 10, outputTokens: 20 } });
const requests = (from, to) => { for (let i = from; i < to; i++) logRecord(log, record(i)); };
requests(0, 5);
log.warn('between');
requests(5, 400);
log.info({ n: 1 }, 'after');
requests(400, 403);
${linger ? "process.stdin.resume(); process.stdin.on('end', () => process.exit(0));" : ''}
`;
}

const EXPECTED = [
  ...Array.from({ length: 5 }, (_, i) => `req_${i}`),
  'between',
  ...Array.from({ length: 395 }, (_, i) => `req_${i + 5}`),
  'after',
  'req_400',
  'req_401',
  'req_402',
];

function labelOf(line: string): string {
  const j = JSON.parse(line) as { msg: string; request_id?: string };
  return j.msg === 'request' ? j.request_id! : j.msg;
}

async function run(worker: boolean, linger: boolean): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-log-'));
  try {
    const file = join(dir, 'log-run.ts');
    writeFileSync(file, script(worker, linger));
    const child = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const complete = (): boolean => out.split('\n').filter((l) => l !== '').length >= EXPECTED.length;
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`lines missing after 20 s:\n${out.slice(-2000)}`));
      }, 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // A lingering process writes its last lines without exiting: then it is told to go.
        if (linger && complete()) child.stdin.end();
      });
      child.on('exit', (code, signal) => {
        clearTimeout(deadline);
        if (code === 0) resolve();
        else reject(new Error(`exit ${code ?? signal}:\n${out.slice(-2000)}`));
      });
      if (!linger) child.stdin.end();
    });
    return out.split('\n').filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('request log on stdout', () => {
  for (const worker of [false, true]) {
    const who = worker ? 'a cluster worker' : 'one process';
    test(`${who}: every line once, in order, the last ones written at exit`, async () => {
      const lines = await run(worker, false);
      assert.deepEqual(lines.map(labelOf), EXPECTED);
      if (worker) for (const l of lines) assert.equal((JSON.parse(l) as { worker?: number }).worker, 3);
      const first = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.equal(first.level, 'info');
      assert.equal(first.total_ms, 2.3);
      assert.equal(first.tokens_out, 20);
    });

    test(`${who}: a quiet gateway's last lines are written without more traffic`, async () => {
      const lines = await run(worker, true);
      assert.deepEqual(lines.map(labelOf), EXPECTED);
    });
  }
});
