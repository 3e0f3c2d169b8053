// Starts a real sluice process (`bin/sluice serve`) with a config, on a free loopback port, and
// collects its log lines. Tests drive it over HTTP exactly as users do.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const NODE = process.execPath;

export interface SluiceProcess {
  url: string;
  port: number;
  pid: number;
  proc: ChildProcess;
  /** The --config file written for it (rewrite it, then SIGHUP, to reload). */
  configPath?: string;
  /** Its working directory (a fresh temporary one unless given): relative store paths land here. */
  cwd: string;
  /** stdout lines so far (JSON logs). */
  stdout: string[];
  stderr: string[];
  /** Parsed request log records so far. */
  records(): Array<Record<string, unknown>>;
  /** Waits until a request record matching pred is logged. */
  waitForRecord(pred: (r: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** YAML text for --config; omit for zero-config. */
  config?: string;
  env?: Record<string, string | undefined>;
  args?: string[];
  cwd?: string;
}

const START_TIMEOUT_MS = 40_000;

export async function startSluice(opts: StartOptions = {}): Promise<SluiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  const args = [join(ROOT, 'src/cli/entry.js'), 'serve', '--port', '0', '--host', '127.0.0.1'];
  let configPath: string | undefined;
  if (opts.config !== undefined) {
    const file = join(dir, 'sluice.yaml');
    configPath = file;
    writeFileSync(file, opts.config);
    args.push('--config', file);
  }
  args.push(...(opts.args ?? []));
  const proc = spawn(NODE, args, {
    cwd: opts.cwd ?? dir,
    env: { ...process.env, SLUICE_DEMO_FIRST_MS: '5', SLUICE_DEMO_TOKEN_MS: '2', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  lines(proc.stdout!, (l) => {
    stdout.push(l);
    for (const w of waiters) w();
  });
  lines(proc.stderr!, (l) => stderr.push(l));

  const url = await new Promise<string>((resolvePromise, reject) => {
    // Generous: a cluster primary and its workers each load the TypeScript sources, which on a
    // loaded 2-CPU machine took over 15 s. A sluice that never says it listens is killed, so the
    // test file fails instead of waiting on it (and on this check) forever.
    const timer = setTimeout(() => {
      clearInterval(check);
      proc.kill('SIGKILL');
      reject(new Error(`sluice did not start in ${START_TIMEOUT_MS / 1000} s:\n${stderr.join('\n')}`));
    }, START_TIMEOUT_MS);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`sluice exited with ${code} before listening:\n${stderr.join('\n')}\n${stdout.join('\n')}`));
    });
    const check = setInterval(() => {
      for (const l of stderr) {
        const m = /sluice listening on (http:\/\/\S+)/.exec(l);
        if (m) {
          clearInterval(check);
          clearTimeout(timer);
          resolvePromise(m[1]!);
          return;
        }
      }
    }, 10);
    timer.unref();
  });
  proc.removeAllListeners('exit');
  const records = (): Array<Record<string, unknown>> =>
    stdout.flatMap((l) => {
      try {
        const j = JSON.parse(l) as Record<string, unknown>;
        return j.msg === 'request' ? [j] : [];
      } catch {
        return [];
      }
    });
  return {
    url,
    port: Number(new URL(url).port),
    pid: proc.pid!,
    proc,
    configPath,
    cwd: opts.cwd ?? dir,
    stdout,
    stderr,
    records,
    waitForRecord(pred, timeoutMs = 5000) {
      return new Promise((res, rej) => {
        const check = (): boolean => {
          const hit = records().find(pred);
          if (hit) {
            waiters.delete(w);
            clearTimeout(t);
            res(hit);
            return true;
          }
          return false;
        };
        const w = (): void => void check();
        const t = setTimeout(() => {
          waiters.delete(w);
          rej(new Error(`no matching request record in ${timeoutMs} ms; have:\n${stdout.slice(-5).join('\n')}`));
        }, timeoutMs);
        waiters.add(w);
        check();
      });
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function lines(stream: NodeJS.ReadableStream, onLine: (l: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      onLine(pending.slice(0, i));
      pending = pending.slice(i + 1);
    }
  });
}

/** Reads an SSE response body into its raw events (`event`/`data`), for assertions on the wire. */
export async function readSse(res: Response): Promise<Array<{ event: string; data: string }>> {
  const text = await res.text();
  const out: Array<{ event: string; data: string }> = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    let event = '';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) out.push({ event, data: data.join('\n') });
  }
  return out;
}
