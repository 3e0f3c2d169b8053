// A load generator and an upstream that cost almost nothing, for the workers section (issue 14).
//
// Why: on a 2-CPU machine the client and the upstream share the machine with sluice. With
// `workers: 1` sluice's one thread has a CPU of its own; with `workers: auto` the second worker can
// only use what the client and the upstream leave of the other CPU. If they cost g ms of CPU per
// stream and sluice s, `auto` can reach at most 2s / (s + g) times the one-worker rate: with the
// undici client parsing every SSE line and `sluice mock` generating every event, g is close to s
// and the ceiling is about 1.2×, whatever sluice does. These two make g small, so the ratio measures
// what a second worker gives sluice:
// - the upstream (`cannedUpstream`) answers every request with the bytes `sluice mock` sent for the
//   same request once (captured at start: real headers, real 50-event SSE body), from a raw
//   `net` socket: it reads the request head and body and writes one buffer;
// - the client (`leanLoad`) writes a prebuilt HTTP/1.1 request on each of N keep-alive `net`
//   sockets and reads the chunked response to its last-chunk marker; a stream counts as completed
//   only if its status line is 200 and its body ends with `data: [DONE]` (checked on the last
//   bytes), else as failed.
// Loopback only; every loop is bounded by a count and a deadline.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { request } from 'undici';

const HEAD_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');
const DONE = Buffer.from('data: [DONE]');
const OK = Buffer.from('HTTP/1.1 200');

export interface CannedUpstream {
  port: number;
  /** Requests answered. */
  served(): number;
  close(): Promise<void>;
}

/**
 * Captures `sluice mock`'s answer to `body` at `upstream + path` once, then serves those bytes for
 * every request on a port of its own (content-length framing, keep-alive).
 */
export async function cannedUpstream(upstream: string, path: string, body: string): Promise<CannedUpstream> {
  const res = await request(`${upstream}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const payload = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200) throw new Error(`canned upstream: the mock answered ${res.statusCode}`);
  const contentType = String(res.headers['content-type'] ?? 'text/event-stream');
  const answer = Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: ${contentType}\r\ncache-control: no-cache\r\nconnection: keep-alive\r\ncontent-length: ${payload.length}\r\n\r\n`),
    payload,
  ]);
  let served = 0;
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      // Every complete request in the buffer (head + content-length body) gets the canned answer.
      for (let guard = 0; guard < 64; guard++) {
        const head = buf.indexOf(HEAD_END);
        if (head < 0) return;
        const length = contentLength(buf, head);
        const end = head + 4 + length;
        if (buf.length < end) return;
        buf = buf.subarray(end);
        served++;
        socket.write(answer);
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from sluice would hold close() open.
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

function contentLength(buf: Buffer, headEnd: number): number {
  const head = buf.toString('latin1', 0, headEnd).toLowerCase();
  const at = head.indexOf('\r\ncontent-length:');
  if (at < 0) return 0;
  return Number.parseInt(head.slice(at + 17, head.indexOf('\r\n', at + 17)).trim(), 10) || 0;
}

export interface LeanLoadResult {
  completed: number;
  failed: number;
  wallMs: number;
  error?: string;
}

/**
 * `total` streaming requests over `connections` keep-alive sockets to 127.0.0.1:`port`, each socket
 * sending its next request when the previous response ended; stops at `deadlineMs`.
 */
export async function leanLoad(port: number, requestBytes: Buffer, opts: { total: number; connections: number; deadlineMs: number }): Promise<LeanLoadResult> {
  const started = performance.now();
  let sent = 0;
  let completed = 0;
  let failed = 0;
  let error: string | undefined;
  const deadline = started + opts.deadlineMs;
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const socket: Socket = connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      // The response's first bytes (status line) and its last ones (the end of the body).
      let first: Buffer | undefined;
      let tail: Buffer = Buffer.alloc(0);
      const next = (): void => {
        if (sent >= opts.total || performance.now() > deadline) {
          socket.end();
          return;
        }
        sent++;
        first = undefined;
        tail = Buffer.alloc(0);
        socket.write(requestBytes);
      };
      socket.on('connect', next);
      socket.on('data', (chunk: Buffer) => {
        first ??= chunk.subarray(0, OK.length);
        tail = tail.length + chunk.length <= 64 ? Buffer.concat([tail, chunk]) : Buffer.concat([tail, chunk]).subarray(-64);
        if (tail.length < LAST_CHUNK.length || !tail.subarray(-LAST_CHUNK.length).equals(LAST_CHUNK)) return;
        if (first.equals(OK) && tail.includes(DONE)) completed++;
        else {
          failed++;
          error ??= `unexpected response: ${first.toString('latin1')} … ${tail.toString('latin1')}`;
        }
        next();
      });
      socket.on('error', (err) => {
        failed++;
        error ??= err.message;
        resolve();
      });
      socket.on('close', () => resolve());
    });
  await Promise.all(Array.from({ length: opts.connections }, one));
  return { completed, failed, wallMs: performance.now() - started, error };
}

/** A streaming chat request to sluice as raw HTTP/1.1 bytes. */
export function chatRequestBytes(port: number, model: string, text: string, headers: Record<string, string>): Buffer {
  const body = JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: text }] });
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.from(
    `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
