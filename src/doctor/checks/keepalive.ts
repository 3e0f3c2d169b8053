// Check: does every hop tolerate the silence between two keepalive comments? A model may think for
// minutes before its first token; sluice sends `: keepalive` every `server.keepalive` (SPEC §4.4), so
// a hop whose idle timeout is shorter cuts the stream (sse.md §8). The probe holds a /debug/stream
// silent for a little longer than the keepalive interval, which the gateway advertises in
// `x-sluice-keepalive-ms` and fills with keepalive comments as it does on chat streams.

import { describeHops, fixesFor } from '../hops.ts';
import { exchange, ExchangeError, headerValue } from '../http.ts';
import { createSseRecorder } from '../sse-record.ts';
import { ms, type Session } from '../session.ts';
import type { Check } from '../types.ts';
import { KEEPALIVE_HEADER, parseTick } from './debug-stream.ts';

/** Common idle limits (sse.md §8): at or above these a keepalive no longer protects the stream. */
const COMMON_IDLE_LIMIT_MS = 60_000;
/** Timeout statuses a proxy answers with when the upstream stayed silent too long. */
const TIMEOUT_STATUSES = new Set([408, 502, 504, 522, 524]);
const MIN_TIMEOUT_WAIT_MS = 250;

/** Silence a bit longer than the keepalive, so a comment must cross every hop before the next tick. */
export function probeGapMs(keepaliveMs: number): number {
  return Math.round(keepaliveMs + Math.max(500, keepaliveMs / 4));
}

export async function checkKeepalive(s: Session): Promise<Check> {
  const name = 'keepalive';
  if (!s.isSluice) return { name, status: 'skip', detail: 'needs a sluice /debug/stream to hold a stream silent; no slow stream can be provoked on other gateways' };
  const keepaliveMs = s.keepaliveMs;
  if (!keepaliveMs) return { name, status: 'skip', detail: `the gateway does not advertise its keepalive interval (${KEEPALIVE_HEADER} on /debug/stream); idle timeouts not tested` };
  if (keepaliveMs >= COMMON_IDLE_LIMIT_MS) {
    return {
      name,
      status: 'warn',
      detail: `keepalive every ${ms(keepaliveMs)}: at or above common idle limits (nginx proxy_read_timeout 60 s, AWS ALB 60 s, Cloudflare 100 s)`,
      culprit: "sluice's server.keepalive",
      fix: 'lower server.keepalive well below the smallest idle timeout of the chain (default 15s)',
      data: { keepaliveMs },
    };
  }
  const gapMs = probeGapMs(keepaliveMs);
  const margin = Math.min(10_000, s.target.timeoutMs);
  if (gapMs + 5_000 > s.target.timeoutMs) {
    return { name, status: 'skip', detail: `the idle probe needs about ${ms(gapMs + 5_000)}; raise --timeout above ${gapMs + 5_000} to run it`, data: { keepaliveMs } };
  }
  if (gapMs >= 3_000) s.target.log(`holding a stream silent for ${ms(gapMs)} to test idle timeouts against the ${ms(keepaliveMs)} keepalive…`);

  const recorder = createSseRecorder();
  let encoded = false;
  let res;
  try {
    res = await exchange({
      url: s.target.url('/debug/stream', { n: 2, interval: gapMs }),
      // Compression is the chat check's business; here only the silence matters.
      headers: s.target.headers({ accept: 'text/event-stream', 'accept-encoding': 'identity' }),
      timeoutMs: gapMs + margin,
      signal: s.abandon.signal,
      onHeaders(_status, headers) {
        const encoding = headerValue(headers, 'content-encoding');
        encoded = encoding !== undefined && encoding !== 'identity';
      },
      onChunk: (chunk, at) => {
        if (!encoded) recorder.push(chunk, at);
      },
    });
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    if (err.code === 'ABORTED') return abandoned(keepaliveMs);
    return { name, status: 'warn', detail: `could not open the idle probe: ${err.message}`, data: { keepaliveMs } };
  }
  if (res.end === 'stopped') return abandoned(keepaliveMs);
  const record = recorder.end(res.endedAt);
  const ticks = record.events.filter((e) => e.data !== '[DONE]');
  const done = record.events.some((e) => e.data === '[DONE]');
  const first = ticks[0];
  const data: Record<string, unknown> = { keepaliveMs, gapMs, status: res.status, end: res.end, comments: record.comments.length };

  const waited = res.headersAt - res.startedAt;
  // An immediate 502 is a broken upstream, not a timeout; a timeout status after a wait is the idle limit.
  if (TIMEOUT_STATUSES.has(res.status) && waited >= MIN_TIMEOUT_WAIT_MS) {
    const after = waited;
    return idleFailure(s, `a hop answered ${res.status} after ${ms(after)} of waiting, below the ${ms(keepaliveMs)} keepalive interval`, after, data);
  }
  if (res.status !== 200) return { name, status: 'warn', detail: `the idle probe answered ${res.status}`, data };
  if (encoded) return { name, status: 'warn', detail: 'the idle probe arrived compressed although it asked for identity; its timing cannot be read (see compression)', data };

  if (ticks.length >= 2 && done) {
    const between = record.comments.filter((c) => first && c.at >= first.at && c.at <= ticks[1]!.at);
    if (between.length === 0) {
      return {
        name,
        status: 'warn',
        detail: `a ${ms(gapMs)} pause passed every hop, but no keepalive comment arrived during it`,
        culprit: 'a hop strips SSE comments, or the gateway does not send them on /debug/stream',
        fix: 'let comment lines (": keepalive") through unchanged; a stream waiting on a slow model relies on them',
        data,
      };
    }
    const cadence = Math.round(between[0]!.at - first!.at);
    data.firstCommentAfterMs = cadence;
    if (ticks[1]!.at - first!.at < gapMs / 2) {
      // Both ticks arrived together: a hop held the probe back, so no hop idled (see buffering).
      return { name, status: 'pass', detail: `a ${ms(gapMs)} pause was not cut by any hop (its events arrived together: the stream is buffered, see buffering)`, data };
    }
    return { name, status: 'pass', detail: `a ${ms(gapMs)} pause passed every hop; first keepalive comment after ${ms(cadence)} (keepalive ${ms(keepaliveMs)})`, data };
  }

  // Cut (or stalled) before the second tick: measure the silence the hops saw before the cut. A
  // buffering hop delivers the first tick only at the cut, so its send time (on our clock) counts.
  const sentAt = first ? parseTick(first.data)?.sent_at : undefined;
  const firstSent = first && sentAt !== undefined && s.clockOffsetMs !== undefined ? Math.min(first.at, sentAt + s.clockOffsetMs) : first?.at;
  // No tick at all: the hop dropped what it held; the gateway sent the first tick as the request arrived.
  const lastByte = Math.max(firstSent ?? res.startedAt, record.comments[record.comments.length - 1]?.at ?? 0);
  const silence = res.endedAt - lastByte;
  data.silenceMs = Math.round(silence);
  if (res.end === 'timeout') {
    return { name, status: 'warn', detail: `the idle probe neither finished nor was cut within ${ms(gapMs + margin)}`, culprit: `${describeHops(s.hops) ?? 'a hop'} holds the stream`, fix: fixesFor('buffering', s.hops), data };
  }
  if (record.comments.length > 0 && first && record.comments.some((c) => c.at > first.at)) {
    return {
      name,
      status: 'fail',
      detail: `the stream was cut after ${ms(res.endedAt - first.at)} although keepalive comments were flowing`,
      culprit: `${describeHops(s.hops) ?? 'a hop'} enforces a total time limit, or does not count comments as activity`,
      fix: 'remove total-time limits on streaming routes (or raise them above the longest answer); make sure comment lines reach the client',
      data,
    };
  }
  if (silence >= keepaliveMs * 0.95) {
    // The hop waited longer than the keepalive interval, yet no comment had arrived to reset it.
    return {
      name,
      status: 'fail',
      detail: `no keepalive comment arrived within the ${ms(keepaliveMs)} interval, and a hop cut the silent stream after ${ms(silence)}`,
      culprit: `the gateway sent no keepalive comment, or ${describeHops(s.hops) ?? 'a hop'} strips SSE comments`,
      fix: 'let comment lines (": keepalive") through every hop unchanged; check server.keepalive on the gateway',
      data,
    };
  }
  return idleFailure(s, `a hop cut the stream after ${ms(silence)} of silence, below the ${ms(keepaliveMs)} keepalive interval`, silence, data);
}

function abandoned(keepaliveMs: number): Check {
  return { name: 'keepalive', status: 'skip', detail: 'idle probe abandoned: the diagnosis ended early', data: { keepaliveMs } };
}

function idleFailure(s: Session, detail: string, silenceMs: number, data: Record<string, unknown>): Check {
  const who = describeHops(s.hops);
  return {
    name: 'keepalive',
    status: 'fail',
    detail: `${detail}: a hop's idle timeout is below the keepalive interval`,
    culprit: `${who ?? 'a hop between you and sluice'} has an idle timeout of about ${ms(silenceMs)} (${guessByDuration(silenceMs)})`,
    fix: `raise the hop's idle/read timeout above the keepalive interval:\n${fixesFor('idle-timeout', s.hops)}`,
    data,
  };
}

/** Which well-known default a measured idle limit matches (sse.md §8). */
function guessByDuration(silenceMs: number): string {
  const s = silenceMs / 1000;
  if (s >= 95 && s <= 105) return 'Cloudflare proxy read timeout, 100 s';
  if (s >= 55 && s <= 65) return 'nginx proxy_read_timeout or AWS ALB idle timeout, both 60 s by default';
  return 'e.g. nginx proxy_read_timeout, Cloudflare 100 s, AWS ALB 60 s';
}
