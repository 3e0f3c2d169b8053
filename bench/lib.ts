// Shared bench machinery on the process side: child processes, CPU and memory accounting from /proc
// (a process tree for multi-process contenders), loopback checks, percentiles and formatting. The
// HTTP client side is in client.ts.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';

export const CLK_TCK = 100; // Linux USER_HZ; /proc/PID/stat times are in these ticks

export interface Child {
  proc: ChildProcess;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** How long to wait for the ready line (default 20 s); the process is killed if it does not come. */
  timeoutMs?: number;
}

/** Children still running: killed when the bench exits, however it exits, so none is left behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

/** Spawns a process and waits for a line matching `ready` whose first group is its port. */
export async function startChild(cmd: string, args: string[], ready: RegExp, opts: StartOptions = {}): Promise<Child> {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, cwd: opts.cwd });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${cmd} did not start within ${opts.timeoutMs ?? 20_000} ms: ${out.slice(-500)}`));
    }, opts.timeoutMs ?? 20_000);
    const onData = (d: Buffer): void => {
      // Only the tail matters (the ready line, or the last words before a crash).
      out = (out + d.toString()).slice(-4000);
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited ${code}: ${out.slice(-500)}`));
    });
  });
  // Keep draining output so a chatty child never blocks on a full pipe.
  proc.stdout!.removeAllListeners('data');
  proc.stderr!.removeAllListeners('data');
  proc.stdout!.resume();
  proc.stderr!.resume();
  proc.removeAllListeners('exit');
  return {
    proc,
    pid: proc.pid!,
    port,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** CPU seconds (user + system) a process has used so far, all its threads included. */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields === undefined ? 0 : (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** /proc/PID/stat after the command name (field 3 onwards), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A process and all its descendants (nginx: the master and its workers). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields === undefined) continue;
    const ppid = Number(fields[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function treeCpuSeconds(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) sum += cpuSeconds(pid);
  return sum;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Resident memory of a process in bytes. */
export function rssBytes(pid: number): number {
  return statusKb(pid, 'VmRSS');
}

export function treeRssBytes(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) sum += statusKb(pid, 'VmRSS');
  return sum;
}

/**
 * Resets the peak-RSS mark of each process (`echo 5 > /proc/PID/clear_refs`, Linux >= 4.0), so a
 * later {@link treePeakRssBytes} is the peak of what ran in between. False when the kernel refused.
 */
export function resetPeakRss(pids: number[]): boolean {
  try {
    for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Sum of the peak RSS (VmHWM) of each process since its last reset. */
export function treePeakRssBytes(pids: number[]): number {
  let sum = 0;
  for (const pid of pids) sum += statusKb(pid, 'VmHWM');
  return sum;
}

/** A port that was free a moment ago on 127.0.0.1, for programs that cannot listen on port 0 and report it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Every TCP address the processes listen on ("127.0.0.1:PORT", "[::]:PORT" …), read from
 * /proc/net/tcp{,6} through their socket inodes. The bench refuses a contender that listens on
 * anything but loopback.
 */
export function listeningAddresses(pids: number[]): string[] {
  const inodes = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      // local_address rem_address st … inode (column 9); st 0A = LISTEN
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9]!)) continue;
      out.push(decodeProcAddress(cols[1]!));
    }
  }
  return out;
}

/** `0100007F:1F90` -> `127.0.0.1:8080`; IPv6 as `[hex]:port` except the common any/loopback forms. */
function decodeProcAddress(text: string): string {
  const [hex, portHex] = text.split(':') as [string, string];
  const port = parseInt(portHex, 16);
  if (hex.length === 8) {
    const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).reverse();
    return `${b.join('.')}:${port}`;
  }
  if (/^0+$/.test(hex)) return `[::]:${port}`;
  if (hex === '00000000000000000000000001000000') return `[::1]:${port}`;
  return `[${hex}]:${port}`;
}

export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address.startsWith('[::1]:');
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return '—';
  return n >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The short commit of the checkout in `dir`, `+` when it has uncommitted changes (the dir itself when it is no checkout). */
export function commitOf(dir: string): string {
  try {
    const c = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${c}+` : c;
  } catch {
    return dir;
  }
}
