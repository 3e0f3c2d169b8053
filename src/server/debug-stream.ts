// GET /debug/stream?n=10&interval=1000 (SPEC §3): a diagnostic SSE ticker. Each event carries its
// server send time, so `sluice doctor` can tell events that arrive spread out (streaming) from events
// that arrive in a burst (a buffering hop) by comparing send and arrival times. Between ticks it
// sends `: keepalive` comments exactly as chat streams do, and advertises the interval, so the doctor
// can check that every hop tolerates that much silence.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamResponder } from './stream-responder.ts';

const MAX_EVENTS = 1000;
const MAX_INTERVAL_MS = 600_000;

export function serveDebugStream(req: IncomingMessage, res: ServerResponse, url: URL, keepaliveMs: number): void {
  const n = clamp(Number(url.searchParams.get('n') ?? 10), 1, MAX_EVENTS);
  const interval = clamp(Number(url.searchParams.get('interval') ?? 1000), 0, MAX_INTERVAL_MS);
  const pad = clamp(Number(url.searchParams.get('pad') ?? 0), 0, 64 * 1024);
  const responder = new StreamResponder(res, keepaliveMs, {
    'x-sluice-debug-stream': '1',
    'x-sluice-keepalive-ms': String(keepaliveMs),
  });
  responder.commitHeaders();
  if (req.method === 'HEAD') {
    responder.end();
    return;
  }
  const padding = pad > 0 ? 'x'.repeat(pad) : '';
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  const send = (): void => {
    timer = undefined;
    if (responder.isClosed) return;
    const payload: Record<string, unknown> = { seq, n, interval, sent_at: Date.now() };
    if (padding) payload.pad = padding;
    responder.write(`data: ${JSON.stringify(payload)}\n\n`);
    seq++;
    if (seq >= n) {
      responder.write('data: [DONE]\n\n');
      responder.end();
      return;
    }
    timer = setTimeout(send, interval);
  };
  res.on('close', () => {
    if (timer) clearTimeout(timer);
    responder.stop();
  });
  send();
}

function clamp(v: number, lo: number, hi: number): number {
  if (!Number.isFinite(v)) return lo;
  return Math.min(hi, Math.max(lo, Math.floor(v)));
}
