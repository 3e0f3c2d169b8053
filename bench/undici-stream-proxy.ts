// The leanest Node pass-through (issue 14): node:http in front, an undici Pool behind (keep-alive),
// the request body buffered, and `Pool.stream()` writing the upstream's bytes to the response as they
// arrive — undici calls `res.write(chunk)` for each chunk it reads and `res.end()` at the end, no
// Readable in between. Nothing is parsed. sluice's same-protocol route is reported as a ratio to it.
// Usage: node bench/undici-stream-proxy.ts UPSTREAM_URL (prints "listening PORT")

import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { Pool } from 'undici';

/** Hop-by-hop headers node:http sets itself. */
const OWN_HEADERS = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding']);

function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {};
  for (const k in headers) if (!OWN_HEADERS.has(k)) h[k] = headers[k];
  return h;
}

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:9000');
// No connection cap: the held-streams scenario keeps 2000 streams open at once.
const pool = new Pool(upstream.origin, { keepAliveTimeout: 30_000, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    pool.stream(
      {
        path: req.url ?? '/',
        method: (req.method ?? 'POST') as 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json', 'content-length': String(body.length) },
        body,
        opaque: res,
      },
      ({ statusCode, headers, opaque }) => {
        const out = opaque as ServerResponse;
        out.writeHead(statusCode, responseHeaders(headers));
        return out;
      },
      (err) => {
        if (err === null) return;
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    );
  });
});

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
