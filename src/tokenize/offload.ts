// Counting off the main thread (docs/token-counting.md, "Cost, caching and large prompts"): one worker thread, started
// on the first large count, holding its own copy of the vocabularies it is asked for. The main
// thread only copies the texts to it (structured clone, a memory copy) and waits; streams served
// meanwhile are not held up. If the worker cannot be started or dies, the count is made here
// instead: a slow answer beats a failed one.

import { Worker } from 'node:worker_threads';
import type { Vocabulary } from './families.ts';

interface Counter {
  countTokens(text: string): number;
}

export interface CountJob {
  id: number;
  vocabulary: Vocabulary;
  texts: string[];
}

export type CountReply = { id: number; counts: number[] } | { id: number; error: string };

interface Waiter {
  resolve(counts: number[]): void;
  reject(err: Error): void;
}

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, Waiter>();

function failAll(w: Worker, err: Error): void {
  if (worker !== w) return;
  worker = undefined;
  for (const w of waiting.values()) w.reject(err);
  waiting.clear();
}

function start(): Worker {
  const w = new Worker(new URL('./worker.ts', import.meta.url));
  // Idle, it keeps nothing alive; busy, it holds the process open until the answer arrives.
  w.unref();
  w.on('message', (reply: CountReply) => {
    const waiter = waiting.get(reply.id);
    if (waiter === undefined) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) w.unref();
    if ('error' in reply) waiter.reject(new Error(reply.error));
    else waiter.resolve(reply.counts);
  });
  w.on('error', (err) => failAll(w, err));
  w.on('exit', (code) => failAll(w, new Error(`token counting worker exited with code ${code}`)));
  return w;
}

/** Counts of `texts` from the worker; made with `local` on this thread if the worker fails. */
export async function countOffThread(vocabulary: Vocabulary, texts: string[], local: Counter): Promise<number[]> {
  try {
    const w = (worker ??= start());
    const id = nextId++;
    const counts = new Promise<number[]>((resolve, reject) => waiting.set(id, { resolve, reject }));
    w.ref();
    w.postMessage({ id, vocabulary, texts } satisfies CountJob);
    return await counts;
  } catch {
    return texts.map((t) => local.countTokens(t));
  }
}
