// The floor of sluice's own HTTP stack: node:http in front and an undici Agent behind (the dispatch
// API, as src/transport/http.ts uses it), request and response bytes forwarded, nothing parsed. What
// this costs over bench/bare-proxy.ts (node:http on both sides) is the price of undici, not of
// anything sluice does with the stream. Also the `floor` of bench/held-heap.ts.
// Usage: node bench/undici-proxy.ts UPSTREAM_URL (prints "listening PORT")

import { createServer, type Server } from 'node:http';
import { Agent } from 'undici';

/** Hop-by-hop headers node:http sets itself. */
const OWN_HEADERS = new Set(['content-length', 'connection', 'keep-alive', 'transfer-encoding']);

export function createUndiciProxy(upstream: URL): { server: Server; close(): Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: null, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      agent.dispatch(
        {
          origin: upstream.origin,
          path: req.url ?? '/',
          method: req.method ?? 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json', 'content-length': String(body.length) },
          body,
        },
        {
          onRequestStart() {},
          onResponseStart(_c, status, headers) {
            const h: Record<string, string | string[]> = {};
            for (const [k, v] of Object.entries(headers)) if (v !== undefined && !OWN_HEADERS.has(k)) h[k] = v as string | string[];
            res.writeHead(status, h);
          },
          onResponseData(_c, chunk) {
            res.write(chunk);
          },
          onResponseEnd() {
            res.end();
          },
          onResponseError() {
            if (!res.headersSent) res.writeHead(502);
            res.end();
          },
        },
      );
    });
  });
  return {
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await agent.destroy();
    },
  };
}

if (process.argv[1] === import.meta.filename) {
  const { server } = createUndiciProxy(new URL(process.argv[2] ?? 'http://127.0.0.1:9000'));
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
