// An OTLP/HTTP collector stand-in for the bench: accepts POST /v1/traces, counts the bytes, answers
// 200 at once. Loopback only.
//
// bench/tracing.ts runs it as a process of its own (`node bench/otlp-sink.ts`: prints its URL, and
// its counts as JSON on SIGTERM), as a real collector is: inside the bench process it took CPU from
// the mock upstream and the load client driving the very sluice being measured, only on the tracing
// side, and the sluice's 0.5 MB export writes waited on that busy process.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface OtlpSink {
  url: string;
  exports: number;
  bytes: number;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  const sink = { url: '', exports: 0, bytes: 0 } as OtlpSink;
  const server: Server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (sink.bytes += c.length));
    req.on('end', () => {
      sink.exports++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sink = await startOtlpSink();
  process.stdout.write(`otlp sink on ${sink.url}\n`);
  process.once('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ exports: sink.exports, bytes: sink.bytes })}\n`);
    void sink.close().then(() => process.exit(0));
  });
}
