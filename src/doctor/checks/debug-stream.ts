// Checks 2–3: is the gateway a sluice, and if so, do /debug/stream events reach us as they were sent?
// Each ticker event carries its server send time (SPEC §3), so a hop that holds events back and
// releases them together shows up as delivery delays that grow toward the end, whatever the clocks.

import { describeHops, detectHops, fixesFor, mergeHops } from '../hops.ts';
import { exchange, ExchangeError, headerValue } from '../http.ts';
import { createSseRecorder } from '../sse-record.ts';
import { ms, type Session } from '../session.ts';
import { analyseDebugTiming, type SentSample } from '../timing.ts';
import type { Check } from '../types.ts';

/** 8 events 250 ms apart: long enough to see buffering, short enough to keep the doctor quick. */
export const DEBUG_EVENTS = 8;
export const DEBUG_INTERVAL_MS = 250;
/** How the gateway advertises `server.keepalive` on /debug/stream (see keepalive.ts). */
export const KEEPALIVE_HEADER = 'x-sluice-keepalive-ms';
export const DEBUG_HEADER = 'x-sluice-debug-stream';

/**
 * `onSluiceHeaders` runs as soon as the ticker's headers identify a sluice (and carry its keepalive),
 * so the slow keepalive probe can start while this test is still timing events.
 */
export async function checkDebugStream(s: Session, onSluiceHeaders?: () => void): Promise<Check[]> {
  const url = s.target.url('/debug/stream', { n: DEBUG_EVENTS, interval: DEBUG_INTERVAL_MS });
  const recorder = createSseRecorder();
  let sseBody = false;
  let encoding: string | undefined;
  let res;
  try {
    res = await exchange({
      url,
      // Compression is judged on the chat stream; here it would only hide the timing.
      headers: s.target.headers({ accept: 'text/event-stream', 'accept-encoding': 'identity' }),
      timeoutMs: DEBUG_EVENTS * DEBUG_INTERVAL_MS + Math.min(10_000, s.target.timeoutMs),
      onHeaders(status, headers) {
        sseBody = status === 200 && (headerValue(headers, 'content-type') ?? '').startsWith('text/event-stream');
        encoding = headerValue(headers, 'content-encoding');
        if (sseBody && headerValue(headers, DEBUG_HEADER) === '1') {
          learnSluice(s, headerValue(headers, KEEPALIVE_HEADER));
          onSluiceHeaders?.();
        }
        // Anything but an SSE 200 is not the ticker: do not read an unknown body to its end.
        return sseBody;
      },
      onChunk(chunk, at) {
        if (encoding === undefined || encoding === 'identity') recorder.push(chunk, at);
      },
    });
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    return notSluice(`GET /debug/stream failed: ${err.message}`);
  }
  mergeHops(s.hops, detectHops(res.headers));
  const record = recorder.end(res.endedAt);
  const samples: SentSample[] = [];
  for (const e of record.events) {
    const tick = parseTick(e.data);
    if (tick) samples.push({ sentAt: tick.sent_at, at: e.at });
  }
  if (samples.length > 0) s.clockOffsetMs = Math.min(...samples.map((x) => x.at - x.sentAt));
  const flagged = headerValue(res.headers, DEBUG_HEADER) === '1';
  // A hop may strip unknown headers; the ticker's own payload shape identifies it as well.
  if (!flagged && samples.length === 0) {
    return notSluice(`GET /debug/stream answered ${res.status}${sseBody ? ' without sluice ticker events' : ''}`);
  }
  learnSluice(s, headerValue(res.headers, KEEPALIVE_HEADER));
  const sluice: Check = {
    name: 'sluice',
    status: 'pass',
    detail:
      `sluice detected (${flagged ? `${DEBUG_HEADER}: 1` : 'ticker events on /debug/stream'})` +
      (s.keepaliveMs ? `, keepalive every ${ms(s.keepaliveMs)}` : ''),
    data: { keepaliveMs: s.keepaliveMs ?? null },
  };
  return [sluice, judgeTiming(s, samples, res, record.events.some((e) => e.data === '[DONE]'), encoding)];
}

function judgeTiming(
  s: Session,
  samples: SentSample[],
  res: { end: string; error?: string; headersAt: number; startedAt: number },
  sawDone: boolean,
  encoding: string | undefined,
): Check {
  const name = 'buffering';
  if (encoding !== undefined && encoding !== 'identity') {
    return {
      name,
      status: 'warn',
      detail: `/debug/stream arrived compressed (content-encoding: ${encoding}); its pacing cannot be measured (see compression)`,
      culprit: `${describeHops(s.hops) ?? 'a hop'} compresses the event stream`,
      fix: fixesFor('compression', s.hops),
    };
  }
  const timing = analyseDebugTiming(samples, DEBUG_INTERVAL_MS);
  const data = { ...timing, headersMs: Math.round(res.headersAt - res.startedAt), end: res.end };
  if (samples.length < DEBUG_EVENTS || !sawDone) {
    return {
      name,
      status: 'fail',
      detail: `/debug/stream ended after ${samples.length} of ${DEBUG_EVENTS} events (${res.end}${res.error ? `: ${res.error}` : ''})`,
      culprit: `${describeHops(s.hops) ?? 'a hop between you and sluice'} cut the stream short`,
      fix: 'check the proxy error log for this request; raise its read/idle timeouts and response size limits',
      data,
    };
  }
  s.debugVerdict = timing.verdict;
  const spacing = `${DEBUG_EVENTS} events ${DEBUG_INTERVAL_MS} ms apart`;
  if (timing.verdict === 'spread') {
    const jitter = timing.held === 1 ? `; one event ${timing.maxHoldMs} ms late (jitter, not buffering)` : ` (largest hold ${timing.maxHoldMs} ms)`;
    return { name, status: 'pass', detail: `${spacing} arrived spread out as sent${jitter}`, data };
  }
  const who = describeHops(s.hops);
  const culprit = who ? `${who} buffers the response` : 'a proxy between you and sluice buffers the response';
  const held = `${timing.held} of ${timing.events} events held back up to ${ms(timing.maxHoldMs)}, delivered in ${timing.deliveries} ${timing.deliveries === 1 ? 'burst' : 'bursts'}`;
  return {
    name,
    status: timing.verdict === 'burst' ? 'fail' : 'warn',
    detail: `${spacing}: ${held} (buffering)`,
    culprit,
    fix: fixesFor('buffering', s.hops),
    data,
  };
}

function learnSluice(s: Session, keepaliveHeader: string | undefined): void {
  s.isSluice = true;
  const advertised = Number(keepaliveHeader);
  if (keepaliveHeader !== undefined && Number.isFinite(advertised) && advertised > 0) s.keepaliveMs = advertised;
}

function notSluice(why: string): Check[] {
  return [
    { name: 'sluice', status: 'skip', detail: `not a sluice: ${why}; the debug-stream tests need one behind URL` },
    { name: 'buffering', status: 'skip', detail: 'needs a sluice /debug/stream; chat-buffering judges the real stream instead' },
  ];
}

export function parseTick(data: string): { seq: number; sent_at: number } | undefined {
  if (data === '[DONE]') return undefined;
  try {
    const j = JSON.parse(data) as { seq?: unknown; sent_at?: unknown };
    return typeof j.seq === 'number' && typeof j.sent_at === 'number' ? { seq: j.seq, sent_at: j.sent_at } : undefined;
  } catch {
    return undefined;
  }
}
