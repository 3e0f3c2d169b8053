// The scenarios of issue 6, each measured on one running contender. Every loop is bounded by a count
// and a deadline; a scenario that fails leaves a note and the others still run.

import type { Pool } from 'undici';
import { drain, holdStreams, load, mockText, pool, timedStream, type Endpoint } from './client.ts';
import type { Contender } from './contender.ts';
import { percentile, resetPeakRss, sleep, treeCpuSeconds, treePeakRssBytes, treeRssBytes } from './lib.ts';
import { pacedText, type PacedUpstream } from './paced-upstream.ts';

export interface Sizes {
  /** Warm-up before the throughput rounds: this many requests, or this long, whichever ends first. */
  warmup: number;
  warmupMs: number;
  /** Throughput rounds; each runs `streams` streams (or `requests` requests). */
  rounds: number;
  /**
   * Stream rounds of the rows a target is read from (sluice openai→openai and its baseline: ≤ 1.3×
   * the bare proxy; Portkey: ≥ 4× sluice). Single pairs on this VM range ±15 %, and the median of 5
   * moved by ±0.1 from run to run; of 15, by about half that (bench/RESULTS.md).
   */
  targetRounds: number;
  streams: number;
  requests: number;
  /** Streams per round of the paced-streams CPU measurement (events 1 ms apart). */
  pacedCpuStreams: number;
  ttfe: number;
  pacedStreams: number;
  pacedEvents: number;
  held: number;
  bigRuns: number;
  /** Events of the short and the long stream of the "flat per event" scenario, and of the longest, for memory. */
  longShort: number;
  longLong: number;
  longest: number;
}

export const FULL: Sizes = { warmup: 16_000, warmupMs: 16_000, rounds: 5, targetRounds: 15, streams: 1500, requests: 2000, pacedCpuStreams: 480, ttfe: 200, pacedStreams: 16, pacedEvents: 50, held: 2000, bigRuns: 3, longShort: 10_000, longLong: 100_000, longest: 1_000_000 };
export const QUICK: Sizes = { warmup: 1500, warmupMs: 2000, rounds: 3, targetRounds: 3, streams: 300, requests: 300, pacedCpuStreams: 160, ttfe: 50, pacedStreams: 4, pacedEvents: 30, held: 300, bigRuns: 1, longShort: 5_000, longLong: 50_000, longest: 200_000 };

const MB = 1024 * 1024;
const PACE_MS = 20;
const CONCURRENCY = 8;

export interface Rate {
  perSec: number;
  cpuMs: number;
  /** Median of the ratios to the reference bare proxy's paired rounds (undefined: not paired). */
  perSecVsBare?: number;
  cpuVsBare?: number;
}

export interface Measurements {
  /** Non-streaming requests: per second, and CPU ms of the contender per request. */
  requests?: Rate;
  /** 50-chunk streams: per second, and CPU ms of the contender per stream. */
  streams?: Rate;
  /** 50-event streams with events 1 ms apart, 32 in flight. */
  pacedStreams?: Rate;
  /** Time to the first content event of a 5-chunk stream, sequential (absolute ms). */
  ttfe?: { p50: number; p99: number };
  /** Per content event, arrival minus the paced upstream's write (absolute ms; the first event excluded). */
  delay?: { p50: number; p99: number; samples: number };
  /** Memory per held stream: RSS delta / streams held, after GC. */
  held?: { kbPerStream: number; streams: number };
  /** A single 1 MB and a single 10 MB text event: wall time and peak RSS over the contender's idle RSS. */
  big?: { ms1: number; ms10: number; peakMb1: number; peakMb10: number };
  /** µs per event for a short, a long and the longest stream, and the peak RSS over idle during each. */
  long?: {
    short: number;
    long: number;
    longest: number;
    usShort: number;
    usLong: number;
    usLongest: number;
    peakMbShort: number;
    peakMbLong: number;
    peakMbLongest: number;
  };
  notes: string[];
}

/** Lets GC settle: a full collection in Node contenders (bench/preload.ts), then a pause. */
async function settle(c: Contender): Promise<void> {
  if (c.gcOnSignal) for (const pid of c.pids) process.kill(pid, 'SIGUSR2');
  await sleep(300);
  if (c.gcOnSignal) for (const pid of c.pids) process.kill(pid, 'SIGUSR2');
  await sleep(300);
}

async function guarded(m: Measurements, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    m.notes.push(`${what}: ${(err as Error).message}`);
  }
}

interface Workload {
  text: string;
  stream: boolean;
  concurrency: number;
}

/** `sluice mock` sends the 50 events of a stream at once: most arrive in one read. */
const BURST: Workload = { text: mockText('chunks=50'), stream: true, concurrency: CONCURRENCY };
/** Events 1 ms apart, as a model streams tokens: one upstream read, one client write per event. */
const PACED: Workload = { text: mockText('chunks=50 delay=1'), stream: true, concurrency: 32 };
const REQUESTS: Workload = { text: mockText('chunks=50'), stream: false, concurrency: CONCURRENCY };

/** A bare proxy kept running through the whole run, measured in rounds paired with each contender's. */
export interface Reference {
  ep: Endpoint;
  pids: number[];
  pool: Pool;
}

/** One round: `total` requests with 8 in flight; per second, and CPU ms per request of `pids`. */
async function round(p: Pool, ep: Endpoint, pids: number[], w: Workload, total: number): Promise<{ perSec: number; cpuMs: number; failed: number; error?: string }> {
  const cpu0 = treeCpuSeconds(pids);
  const r = await load(p, ep, w.text, { total, concurrency: w.concurrency, deadlineMs: 15_000, stream: w.stream });
  const cpu1 = treeCpuSeconds(pids);
  return {
    perSec: r.completed > 0 ? (r.completed / r.wallMs) * 1000 : NaN,
    cpuMs: r.completed > 0 && pids.length > 0 ? ((cpu1 - cpu0) * 1000) / r.completed : NaN,
    failed: r.failed,
    error: r.error,
  };
}

/**
 * Streams, then non-streaming requests, as fast as 8 clients go, after a warm-up (JIT tiers and the
 * young generation take thousands of requests to settle in Node). On 2 shared cores the client, the
 * mock and the contender compete for CPU, and a Node process's cost per request drifts by ±20% from
 * one instance, or one minute, to the next. So each round of the contender is followed by a round of
 * the reference bare proxy, and the ratios are the median of the per-pair ratios: drifts of the
 * machine cancel out. The absolute figures are the medians of the contender's own rounds.
 */
export async function throughput(c: Contender, s: Sizes, m: Measurements, reference?: Reference): Promise<void> {
  const p = pool(c.mock.port, 64);
  const measureRounds = async (what: string, w: Workload, total: number, warmup: number, warmupMs: number, rounds = s.rounds): Promise<Rate | undefined> => {
    await load(p, c.mock, w.text, { total: warmup, concurrency: w.concurrency, deadlineMs: warmupMs, stream: w.stream });
    const own: { perSec: number; cpuMs: number }[] = [];
    const rateRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = await round(p, c.mock, c.pids, w, total);
      if (r.failed > 0) m.notes.push(`${what}: ${r.failed} failed (${r.error})`);
      if (!Number.isFinite(r.perSec)) continue;
      own.push(r);
      if (reference) {
        const b = await round(reference.pool, reference.ep, reference.pids, w, total);
        rateRatios.push(r.perSec / b.perSec);
        if (Number.isFinite(r.cpuMs)) cpuRatios.push(r.cpuMs / b.cpuMs);
      }
    }
    if (own.length === 0) return undefined;
    process.stderr.write(
      `bench:   ${what}: ${own.map((r) => `${r.perSec.toFixed(0)}/s ${r.cpuMs.toFixed(3)}ms`).join(', ')}` +
        (reference ? `; ×bare per pair: CPU ${cpuRatios.map((x) => x.toFixed(2)).join(' ')}` : '') +
        '\n',
    );
    return {
      perSec: percentile(own.map((r) => r.perSec), 50),
      cpuMs: c.pids.length ? percentile(own.map((r) => r.cpuMs), 50) : NaN,
      perSecVsBare: reference ? percentile(rateRatios, 50) : undefined,
      cpuVsBare: reference && cpuRatios.length ? percentile(cpuRatios, 50) : undefined,
    };
  };
  try {
    await guarded(m, 'streams', async () => {
      m.streams = await measureRounds('streams', BURST, s.streams, s.warmup, s.warmupMs, c.target ? s.targetRounds : s.rounds);
    });
    // The streams already warmed most of the path for the rest.
    await guarded(m, 'paced streams', async () => {
      m.pacedStreams = await measureRounds('paced streams', PACED, s.pacedCpuStreams, s.pacedCpuStreams / 2, s.warmupMs / 4);
    });
    await guarded(m, 'requests', async () => {
      m.requests = await measureRounds('requests', REQUESTS, s.requests, s.warmup / 4, s.warmupMs / 4);
    });
  } finally {
    await p.close();
  }
}

export async function latency(c: Contender, s: Sizes, m: Measurements, paced: PacedUpstream, nextId: () => number): Promise<void> {
  await guarded(m, 'ttfe', async () => {
    const p = pool(c.mock.port, 4);
    try {
      const ttfe: number[] = [];
      for (let i = 0; i < s.ttfe; i++) {
        const t = await timedStream(p, c.mock, mockText('chunks=5'));
        if (t.contentArrivals.length > 0) ttfe.push(t.contentArrivals[0]! - t.sentAt);
      }
      m.ttfe = { p50: percentile(ttfe, 50), p99: percentile(ttfe, 99) };
    } finally {
      await p.close();
    }
  });
  await guarded(m, 'delay', async () => {
    const p = pool(c.paced.port, 4);
    try {
      const delays: number[] = [];
      let mismatched = 0;
      // Two streams at a time, offset by half a pace, so their events never coincide.
      const one = async (): Promise<void> => {
        const id = nextId();
        const t = await timedStream(p, c.paced, pacedText(id, s.pacedEvents, PACE_MS));
        const sent = paced.sentTimes(id);
        if (!t.complete || t.contentArrivals.length !== sent.length) mismatched++;
        const n = Math.min(sent.length, t.contentArrivals.length);
        for (let k = 1; k < n; k++) delays.push(t.contentArrivals[k]! - sent[k]!);
      };
      for (let i = 0; i < s.pacedStreams; i += 2) {
        await Promise.all([one(), sleep(PACE_MS / 2).then(one)]);
      }
      if (mismatched > 0) m.notes.push(`delay: ${mismatched} paced streams did not arrive whole`);
      m.delay = { p50: percentile(delays, 50), p99: percentile(delays, 99), samples: delays.length };
    } finally {
      await p.close();
    }
  });
}

/** Runs `fn` and returns its result with the peak RSS above the contender's settled RSS (NaN without /proc support). */
async function withPeak<T>(c: Contender, fn: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  await settle(c);
  const idle = treeRssBytes(c.pids);
  const reset = c.pids.length > 0 && resetPeakRss(c.pids);
  const value = await fn();
  return { value, peakMb: reset ? (treePeakRssBytes(c.pids) - idle) / MB : NaN };
}

export async function bigStreams(c: Contender, s: Sizes, m: Measurements): Promise<void> {
  const p = pool(c.mock.port, 2);
  try {
    await guarded(m, 'big event', async () => {
      const event = async (bytes: number): Promise<{ ms: number; peakMb: number }> => {
        const times: number[] = [];
        let peak = 0;
        for (let i = 0; i < s.bigRuns; i++) {
          const r = await withPeak(c, () => drain(p, c.mock, mockText(`chunks=1 fault=big_event size=${bytes}`)));
          if (!r.value.complete || r.value.bytes < bytes) throw new Error(`${bytes} byte event: incomplete stream (${r.value.bytes} bytes)`);
          times.push(r.value.ms);
          peak = Math.max(peak, r.peakMb);
        }
        return { ms: percentile(times, 50), peakMb: peak };
      };
      const one = await event(MB);
      const ten = await event(10 * MB);
      m.big = { ms1: one.ms, ms10: ten.ms, peakMb1: one.peakMb, peakMb10: ten.peakMb };
    });
    await guarded(m, 'long stream', async () => {
      const stream = async (chunks: number, runs: number): Promise<{ us: number; peakMb: number }> => {
        const times: number[] = [];
        let peak = 0;
        for (let i = 0; i < runs; i++) {
          const r = await withPeak(c, () => drain(p, c.mock, mockText(`chunks=${chunks}`)));
          if (!r.value.complete) throw new Error(`${chunks}-event stream ended without its terminal event`);
          times.push((r.value.ms * 1000) / chunks);
          peak = Math.max(peak, r.peakMb);
        }
        return { us: percentile(times, 50), peakMb: peak };
      };
      // Warm the path at this size first, so the short run is not paying for JIT.
      await drain(p, c.mock, mockText(`chunks=${s.longShort}`));
      const short = await stream(s.longShort, s.bigRuns);
      const long = await stream(s.longLong, 1);
      // Ten times longer again: if anything grew with the stream, its peak would show it here.
      const longest = await stream(s.longest, 1);
      m.long = {
        short: s.longShort,
        long: s.longLong,
        longest: s.longest,
        usShort: short.us,
        usLong: long.us,
        usLongest: longest.us,
        peakMbShort: short.peakMb,
        peakMbLong: long.peakMb,
        peakMbLongest: longest.peakMb,
      };
    });
  } finally {
    await p.close();
  }
}

export async function heldStreams(c: Contender, s: Sizes, m: Measurements): Promise<void> {
  if (c.pids.length === 0) return;
  await guarded(m, 'held streams', async () => {
    // A few streams first, so code loaded on first use is not counted as stream memory.
    const p = pool(c.mock.port, 4);
    try {
      await load(p, c.mock, mockText('chunks=5'), { total: 50, concurrency: 4, deadlineMs: 10_000, stream: true });
    } finally {
      await p.close();
    }
    // The mock sends the first events and then holds the connection open (fault=stall_mid).
    // Past the lifecycle events to the first text delta of each dialect's stream.
    const stallAfter = c.upstream === 'anthropic' || c.upstream === 'responses' ? 6 : 3;
    await settle(c);
    const before = treeRssBytes(c.pids);
    const h = await holdStreams(c.mock.port, c.mock, mockText(`chunks=50 fault=stall_mid after=${stallAfter}`), s.held, { parallel: 50, deadlineMs: 90_000 });
    try {
      await sleep(1000);
      await settle(c);
      const after = treeRssBytes(c.pids);
      if (h.failed > 0) m.notes.push(`held streams: ${h.failed} failed to open (${h.error})`);
      if (h.held > 0) m.held = { kbPerStream: (after - before) / h.held / 1024, streams: h.held };
    } finally {
      await h.release();
      await sleep(1000);
      // Collect the 2000 streams' garbage now, not during the next scenario's measured rounds.
      await settle(c);
    }
  });
}
