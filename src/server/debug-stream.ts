// GET /debug/stream?n=10&interval=1000 (SPEC §3): a diagnostic SSE ticker. Each event carries its
// server send time, so `sluice doctor` can tell events that arrive spread out (streaming) from events
// that arrive in a burst (a buffering hop) by comparing send and arrival times.

import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_EVENTS = 1000;
const MAX_INTERVAL_MS = 60_000;

/** `keepaliveMs` is advertised so `sluice doctor` can test every hop's idle timeout against it. */
export function serveDebugStream(req: IncomingMessage, res: ServerResponse, url: URL, keepaliveMs: number): void {
  const n = clamp(Number(url.searchParams.get('n') ?? 10), 1, MAX_EVENTS);
  const interval = clamp(Number(url.searchParams.get('interval') ?? 1000), 0, MAX_INTERVAL_MS);
  const pad = clamp(Number(url.searchParams.get('pad') ?? 0), 0, 64 * 1024);
  const headers: Record<string, string> = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    'x-sluice-debug-stream': '1',
    'x-sluice-keepalive-ms': String(keepaliveMs),
  };
  if (req.httpVersionMajor === 1) headers.connection = 'keep-alive';
  res.writeHead(200, headers);
  res.flushHeaders();
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const padding = pad > 0 ? 'x'.repeat(pad) : '';
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  const send = (): void => {
    timer = undefined;
    if (res.destroyed) return;
    const payload: Record<string, unknown> = { seq, n, interval, sent_at: Date.now() };
    if (padding) payload.pad = padding;
    res.write(`data: ${JSON.stringify(payload)}\n\n`);
    seq++;
    if (seq >= n) {
      res.end('data: [DONE]\n\n');
      return;
    }
    timer = setTimeout(send, interval);
  };
  res.on('close', () => {
    if (timer) clearTimeout(timer);
  });
  send();
}

function clamp(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return lo;
  return Math.min(hi, Math.max(lo, Math.floor(v)));
}
