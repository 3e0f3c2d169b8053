// The baseline every number is compared with: a bare Node pass-through proxy. node:http in front,
// a keep-alive http.Agent to the upstream, request and response bodies piped as bytes, nothing parsed.
// Usage: node bench/bare-proxy.ts UPSTREAM_URL  (prints "listening PORT")

import { createServer, request, Agent } from 'node:http';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:9000');
// No socket cap (Node's default): the held-streams scenario keeps 2000 streams open at once.
const agent = new Agent({ keepAlive: true });

const server = createServer((req, res) => {
  const up = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
      agent,
    },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    },
  );
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
