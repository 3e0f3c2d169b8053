// Shared bench machinery: child processes, CPU accounting from /proc, a bounded load generator and
// percentiles. Every loop here is bounded by a count and a deadline, and only targets 127.0.0.1.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

export const CLK_TCK = 100; // Linux USER_HZ; /proc/PID/stat times are in these ticks

export interface Child {
  proc: ChildProcess;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** Spawns a process and waits for a line matching `ready` that carries its port. */
export async function startChild(cmd: string, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<Child> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 20_000);
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)));
  });
  // Keep draining output so a chatty child never blocks on a full pipe.
  proc.stdout!.resume();
  proc.stderr!.resume();
  proc.removeAllListeners('exit');
  return {
    proc,
    pid: proc.pid!,
    port,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident memory of a process in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface StreamTiming {
  /** ms from send to the first content event */
  firstEventMs: number;
  /** arrival time (ms since send) of each data event */
  arrivals: number[];
  bytes: number;
}

export function chatBody(directive: string, stream = true): string {
  return JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: `bench [[mock ${directive}]]` }] });
}

export function anthropicBody(directive: string, stream = true): string {
  return JSON.stringify({ model: 'm', stream, max_tokens: 1024, messages: [{ role: 'user', content: `bench [[mock ${directive}]]` }] });
}

/** One streaming request, timing each `data:` event as it arrives. */
export async function timedStream(pool: Pool, path: string, body: string): Promise<StreamTiming> {
  const t0 = performance.now();
  const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', 'x-api-key': 'bench', authorization: 'Bearer bench' }, body });
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${await res.body.text()}`);
  const arrivals: number[] = [];
  let first = -1;
  let bytes = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    const now = performance.now() - t0;
    bytes += chunk.length;
    // Count events in this chunk: each "data:" at a line start is one event.
    let i = -1;
    while ((i = chunk.indexOf('data:', i + 1)) >= 0) {
      if (i === 0 || chunk[i - 1] === 0x0a) {
        arrivals.push(now);
        if (first < 0 && isContent(chunk, i)) first = now;
      }
    }
  }
  return { firstEventMs: first < 0 ? (arrivals[0] ?? -1) : first, arrivals, bytes };
}

/** The first event that carries model output (not the role chunk / message_start). */
function isContent(chunk: Buffer, at: number): boolean {
  const end = chunk.indexOf(0x0a, at);
  const line = chunk.toString('utf8', at, end < 0 ? chunk.length : end);
  return /"content":"[^"]|"text_delta"|"text":"[^"]/.test(line);
}

/** Runs `total` requests with `concurrency` in flight, stopping at the deadline; returns completed count and wall time. */
export async function load(
  pool: Pool,
  path: string,
  body: string,
  opts: { total: number; concurrency: number; deadlineMs: number },
): Promise<{ completed: number; failed: number; wallMs: number }> {
  const start = performance.now();
  const deadline = start + opts.deadlineMs;
  let issued = 0;
  let completed = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (issued < opts.total && performance.now() < deadline) {
      issued++;
      try {
        const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', 'x-api-key': 'bench', authorization: 'Bearer bench' }, body });
        for await (const _ of res.body as AsyncIterable<Buffer>) {
          // drain
        }
        if (res.statusCode === 200) completed++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { completed, failed, wallMs: performance.now() - start };
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return '—';
  return n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}
