// The floor of sluice's own HTTP stack: node:http in front and an undici Agent behind (the dispatch
// API, as src/transport/http.ts uses it), request and response bytes forwarded, nothing parsed. What
// this costs over bench/bare-proxy.ts (node:http on both sides) is the price of undici, not of
// anything sluice does with the stream. Usage: node bench/undici-proxy.ts UPSTREAM_URL (prints "listening PORT")

import { createServer } from 'node:http';
import { Agent } from 'undici';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:9000');
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
          for (const [k, v] of Object.entries(headers)) if (v !== undefined && k !== 'content-length' && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') h[k] = v as string | string[];
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

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
