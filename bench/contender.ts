// What a contender is, and what every launcher shares: the Node flags, the endpoint builders and
// the loopback check. The contenders themselves are in contenders.ts, nginx.ts and third-party.ts.

import { join, resolve } from 'node:path';
import type { Dialect, Endpoint } from './client.ts';
import { isLoopbackAddress, listeningAddresses, startChild, type Child } from './lib.ts';

export const ROOT = resolve(import.meta.dirname, '..');
export const NODE = process.execPath;
export const ENTRY = join(ROOT, 'src/cli/entry.js');
/** sluice's launcher: the pinned Node, with the flags sluice is meant to run with. */
export const SLUICE_BIN = join(ROOT, 'bin/sluice');
/** A `sluice mock` of its own, as a child process on a free loopback port. */
export function startMockProcess(): Promise<Child> {
  return startChild(NODE, [ENTRY, 'mock', '--port', '0', '--quiet'], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
}

/** Node contenders all run with this, sluice included (bench/preload.ts). */
export const NODE_FLAGS = ['--expose-gc', '--import', join(ROOT, 'bench/preload.ts')];

/** What every contender is started against. */
export interface BenchEnv {
  mockPort: number;
  pacedPort: number;
  /** A fresh directory for configs, logs and the sluice store. */
  workDir: string;
  /** bench/.scratch: third-party installs, kept between runs. */
  scratch: string;
}

export interface Contender {
  name: string;
  /** Through the contender to `sluice mock`. */
  mock: Endpoint;
  /** Through the contender to the paced upstream (per-event delay). */
  paced: Endpoint;
  /** The dialect of the upstream behind it: decides the mock directives of stalled streams. */
  upstream: Dialect | 'bedrock';
  /** Processes whose CPU and memory are the contender's cost (nginx: master and workers); empty for direct. */
  pids: number[];
  /** Node processes that run a full GC on SIGUSR2 (bench/preload.ts). */
  gcOnSignal: boolean;
  version: string;
  /** A row a target is read from: its streams get Sizes.targetRounds pairs. */
  target?: boolean;
  stop(): Promise<void>;
}

export interface ContenderSpec {
  name: string;
  /** Resolves to the running contender, or to the reason it is not measured. */
  start(env: BenchEnv): Promise<Contender | string>;
  /** The scenarios it takes part in (default: all). */
  scenarios?: readonly string[];
}

export const OPENAI_PATH = '/v1/chat/completions';
export const ANTHROPIC_PATH = '/v1/messages';
export const RESPONSES_PATH = '/v1/responses';
export const AUTH = { authorization: 'Bearer bench', 'x-api-key': 'bench' };

export function openai(port: number, model: string, headers: Record<string, string> = AUTH, path = OPENAI_PATH): Endpoint {
  return { port, path, headers, dialect: 'openai', model };
}

export function anthropic(port: number, model: string, headers: Record<string, string> = AUTH, path = ANTHROPIC_PATH): Endpoint {
  return { port, path, headers: { ...headers, 'anthropic-version': '2023-06-01' }, dialect: 'anthropic', model };
}

export function responses(port: number, model: string, headers: Record<string, string> = AUTH, path = RESPONSES_PATH): Endpoint {
  return { port, path, headers, dialect: 'responses', model };
}

export const COHERE_PATH = '/v2/chat';

export function cohere(port: number, model: string, headers: Record<string, string> = AUTH, path = COHERE_PATH): Endpoint {
  return { port, path, headers, dialect: 'cohere', model };
}

/** Gemini: the path is `…/models/{model}`; the client adds the method (client.ts requestPath). */
export function gemini(port: number, model: string, headers: Record<string, string> = { 'x-goog-api-key': 'bench' }): Endpoint {
  return { port, path: `/v1beta/models/${model}`, headers, dialect: 'gemini', model };
}

/** Refuses (stops it and says why) a contender that listens on anything but loopback. */
export async function checkLoopback(c: Contender): Promise<Contender | string> {
  const bad = listeningAddresses(c.pids).filter((a) => !isLoopbackAddress(a));
  if (bad.length === 0) return c;
  await c.stop();
  return `refused: listened on a non-loopback address (${bad.join(', ')})`;
}
