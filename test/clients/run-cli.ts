// Runs a real coding-agent CLI (Gemini CLI, Claude Code) non-interactively against sluice: HOME in
// a fresh temporary directory, telemetry, update checks and other non-essential traffic off, and a
// dead proxy for anything that is not loopback, so the run stays on this machine.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliHome {
  home: string;
  /** The project directory the CLI runs in (inside home). */
  work: string;
  dispose(): void;
}

export function makeHome(files: Record<string, string> = {}): CliHome {
  const home = mkdtempSync(join(tmpdir(), 'sluice-cli-home-'));
  const work = join(home, 'work');
  mkdirSync(work);
  for (const [path, text] of Object.entries(files)) {
    const full = join(home, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
  return { home, work, dispose: () => rmSync(home, { recursive: true, force: true }) };
}

/** Environment every CLI run starts from: the test's PATH, nothing else of the caller's. */
export function offlineEnv(home: string, extra: Record<string, string>): Record<string, string> {
  // The CLI's own temp files (Gemini CLI writes an error report per failed turn) go with its home.
  const tmp = join(home, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    TERM: 'dumb',
    NO_COLOR: '1',
    CI: '1',
    // Anything that is not loopback goes to a closed port and fails at once.
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
    ...extra,
  };
}

export function runCli(command: string, args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** `args=` for `sluice mock`: base64url of the tool-call arguments. */
export function mockArgs(args: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(args), 'utf8').toString('base64url');
}
