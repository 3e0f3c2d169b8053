// A tiny stand-in for a sluice (or a broken gateway / proxy chain), for testing the doctor's analysis
// in isolation: /healthz, /debug/stream, /v1/models, both chat endpoints, with switchable faults.
// Test-only; the end-to-end tests run the real sluice.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface FakeGatewayOptions {
  /** Serve /debug/stream as a sluice does (default true). */
  sluice?: boolean;
  /** Advertise x-sluice-keepalive-ms and send `: keepalive` in debug-stream gaps. */
  keepaliveMs?: number;
  /** Hold every body byte until the response ends (what a buffering proxy does). */
  holdUntilEnd?: boolean;
  /** Close a stream's connection after this much silence (what a proxy idle timeout does). */
  idleCutMs?: number;
  gzip?: boolean;
  tokenMs?: number;
  words?: number;
  noRole?: boolean;
  changingIds?: boolean;
  noDone?: boolean;
  noCacheControl?: boolean;
  unknownModel?: 'json404' | 'stream200' | 'html404' | 'hang' | 'json500';
  server?: string;
}

export interface FakeGateway {
  url: string;
  close(): Promise<void>;
}

/** Writes that go out at once, or all together at the end (holdUntilEnd). */
class Body {
  private readonly res: ServerResponse;
  private readonly hold: boolean;
  private readonly held: string[] = [];
  private readonly idleCutMs: number | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(res: ServerResponse, o: FakeGatewayOptions) {
    this.res = res;
    this.hold = o.holdUntilEnd === true || o.gzip === true;
    this.idleCutMs = o.idleCutMs;
    this.armIdle();
  }

  write(text: string): void {
    if (this.res.destroyed) return;
    if (this.hold) this.held.push(text);
    else this.res.write(text);
    this.armIdle();
  }

  end(gzip: boolean): void {
    clearTimeout(this.idleTimer);
    if (this.res.destroyed) return;
    const text = this.held.join('');
    this.res.end(gzip ? gzipSync(text) : text);
  }

  private armIdle(): void {
    if (this.idleCutMs === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.res.socket?.destroy(), this.idleCutMs);
  }
}

export async function startFakeGateway(o: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number): Promise<void> =>
    new Promise((r) => {
      const t = setTimeout(() => {
        timers.delete(t);
        r();
      }, ms);
      timers.add(t);
    });

  const sseHeaders = (): Record<string, string> => {
    const h: Record<string, string> = { 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' };
    if (!o.noCacheControl) h['cache-control'] = 'no-cache, no-transform';
    if (o.gzip) h['content-encoding'] = 'gzip';
    if (o.server) h.server = o.server;
    return h;
  };

  const debugStream = async (res: ServerResponse, url: URL): Promise<void> => {
    const n = Number(url.searchParams.get('n') ?? 10);
    const interval = Number(url.searchParams.get('interval') ?? 1000);
    const h = sseHeaders();
    h['x-sluice-debug-stream'] = '1';
    if (o.keepaliveMs) h['x-sluice-keepalive-ms'] = String(o.keepaliveMs);
    res.writeHead(200, h);
    res.flushHeaders();
    const body = new Body(res, o);
    for (let seq = 0; seq < n; seq++) {
      if (seq > 0) {
        // Keepalive comments fill the gap as sluice's StreamResponder does.
        let waited = 0;
        while (o.keepaliveMs && interval - waited > o.keepaliveMs) {
          await later(o.keepaliveMs);
          waited += o.keepaliveMs;
          body.write(': keepalive\n\n');
        }
        await later(interval - waited);
      }
      body.write(`data: ${JSON.stringify({ seq, n, interval, sent_at: Date.now() })}\n\n`);
    }
    body.write('data: [DONE]\n\n');
    body.end(o.gzip === true);
  };

  const chat = async (req: IncomingMessage, res: ServerResponse, anthropic: boolean): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const model = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string }).model;
    if (model !== 'demo') return unknownModel(res, anthropic);
    res.writeHead(200, sseHeaders());
    res.flushHeaders();
    const body = new Body(res, o);
    const words = o.words ?? 30;
    let idN = 0;
    const id = (): string => (o.changingIds ? `chatcmpl-${idN++}` : 'chatcmpl-fake');
    const send = (event: string | undefined, data: unknown): void =>
      body.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null): unknown => ({
      id: id(), object: 'chat.completion.chunk', created: 1767225600, model, choices: [{ index: 0, delta, finish_reason: finish }],
    });
    if (anthropic) {
      send('message_start', { type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], usage: { input_tokens: 3, output_tokens: 1 } } });
      send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    } else if (!o.noRole) send(undefined, chunk({ role: 'assistant', content: '' }));
    for (let i = 0; i < words; i++) {
      await later(o.tokenMs ?? 20);
      const text = `${i === 0 ? '' : ' '}w${i}`;
      if (anthropic) send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
      else send(undefined, chunk({ content: text }));
    }
    if (anthropic) {
      send('content_block_stop', { type: 'content_block_stop', index: 0 });
      send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: words } });
      send('message_stop', { type: 'message_stop' });
    } else {
      send(undefined, chunk({}, 'stop'));
      if (!o.noDone) body.write('data: [DONE]\n\n');
    }
    body.end(o.gzip === true);
  };

  const unknownModel = (res: ServerResponse, anthropic: boolean): void => {
    switch (o.unknownModel ?? 'json404') {
      case 'json404':
      case 'json500': {
        const status = o.unknownModel === 'json500' ? 500 : 404;
        const err = anthropic
          ? { type: 'error', error: { type: 'not_found_error', message: 'unknown model' } }
          : { error: { message: 'unknown model', type: 'invalid_request_error', code: 'model_not_found' } };
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(err));
        return;
      }
      case 'html404':
        res.writeHead(404, { 'content-type': 'text/html', server: 'nginx/1.22.1' });
        res.end('<html><body><h1>404 Not Found</h1></body></html>');
        return;
      case 'stream200':
        res.writeHead(200, sseHeaders());
        res.end('data: {"error":{"message":"unknown model"}}\n\n');
        return;
      case 'hang':
        return;
    }
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = `${req.method} ${url.pathname}`;
    const run = async (): Promise<void> => {
      if (route === 'GET /healthz') {
        res.writeHead(200, { 'content-type': 'application/json', ...(o.server ? { server: o.server } : {}) });
        res.end('{"status":"ok"}');
      } else if (route === 'GET /debug/stream' && o.sluice !== false) await debugStream(res, url);
      else if (route === 'GET /v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'other' }, { id: 'demo' }] }));
      } else if (route === 'POST /v1/chat/completions') await chat(req, res, false);
      else if (route === 'POST /v1/messages') await chat(req, res, true);
      else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"no route","type":"invalid_request_error"}}');
      }
    };
    run().catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
