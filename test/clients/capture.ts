// A capture proxy for client studies (docs/clients/*.md): every request a CLI sends is recorded
// (method, path with query, headers with credentials masked, body) and forwarded unchanged to
// `upstream` (sluice mock or sluice itself), whose answer goes back as it came. The records show every
// endpoint a client calls and what it sends, before sluice is asked to answer them.
//
// Also runnable: `node test/clients/capture.ts UPSTREAM_URL OUT.jsonl` prints its URL and records
// until SIGINT.

import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync } from 'node:fs';

export interface CapturedRequest {
  method: string;
  /** Path and query, credentials in the query masked. */
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The forwarded answer's status (0: the upstream could not be reached). */
  status: number;
}

export interface CaptureServer {
  url: string;
  requests: CapturedRequest[];
  close(): Promise<void>;
}

const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'proxy-authorization']);

/** Credentials never reach a capture file: only their presence and length are kept. */
export function maskHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = Array.isArray(value) ? value.join(', ') : (value ?? '');
    out[name] = SECRET_HEADERS.has(name) ? `[${text.length} chars]` : text;
  }
  return out;
}

function maskQuery(url: string): string {
  return url.replace(/([?&]key=)[^&]*/g, '$1[masked]');
}

export async function startCapture(upstream: string, opts: { file?: string } = {}): Promise<CaptureServer> {
  const target = new URL(upstream);
  const requests: CapturedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const record: CapturedRequest = {
        method: req.method ?? 'GET',
        url: maskQuery(req.url ?? '/'),
        headers: maskHeaders(req.headers),
        body: body.toString('utf8'),
        status: 0,
      };
      requests.push(record);
      const basePath = target.pathname.replace(/\/+$/, '');
      const out = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: basePath + (req.url ?? '/'),
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          record.status = up.statusCode ?? 0;
          if (opts.file) appendFileSync(opts.file, `${JSON.stringify(record)}\n`);
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => {
        if (opts.file) appendFileSync(opts.file, `${JSON.stringify(record)}\n`);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('capture: upstream unreachable');
      });
      res.on('close', () => out.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.main) {
  const [upstream, file] = process.argv.slice(2);
  if (!upstream || !file) {
    process.stderr.write('usage: node test/clients/capture.ts UPSTREAM_URL OUT.jsonl\n');
    process.exit(2);
  }
  const cap = await startCapture(upstream, { file });
  process.stdout.write(`capture listening on ${cap.url}\n`);
  process.once('SIGINT', () => void cap.close().then(() => process.exit(0)));
}
