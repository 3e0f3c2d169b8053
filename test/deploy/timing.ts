// Event timing on both sides of the chain under test. The client timestamps each content event as
// its bytes arrive; a relay between sluice and its upstream timestamps each content event as the
// upstream sends it. Comparing the two spacings isolates what the proxies do to the stream from the
// upstream's own timer jitter (the mock shares this test process's event loop).

import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Collects arrival times of OpenAI chunks that carry text, from SSE bytes fed as they arrive. */
export class ContentClock {
  readonly at: number[] = [];
  text = '';
  private pending = '';
  private readonly decoder = new TextDecoder();
  private readonly t0: number;

  constructor(t0 = performance.now()) {
    this.t0 = t0;
  }

  feed(chunk: Uint8Array): void {
    const now = performance.now() - this.t0;
    this.pending += this.decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = this.pending.indexOf('\n\n')) >= 0) {
      const event = this.pending.slice(0, end);
      this.pending = this.pending.slice(end + 2);
      if (!event.startsWith('data: {')) continue;
      const chunkJson = JSON.parse(event.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> };
      const content = chunkJson.choices?.[0]?.delta?.content;
      if (content) {
        this.at.push(now);
        this.text += content;
      }
    }
  }
}

export function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

export interface Relay {
  /** Base URL to give sluice as the provider's base_url (ends in /v1). */
  url: string;
  /** One clock per relayed response, in order. */
  streams: ContentClock[];
  close(): Promise<void>;
}

/** An HTTP relay to `upstream` that records when each content event passed through it. */
export async function startRelay(upstream: string): Promise<Relay> {
  const target = new URL(upstream);
  const streams: ContentClock[] = [];
  const server: Server = createServer((req, res) => {
    const clock = new ContentClock();
    streams.push(clock);
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.on('data', (chunk: Buffer) => {
          clock.feed(chunk);
          res.write(chunk);
        });
        up.on('end', () => res.end());
        up.on('error', () => res.destroy());
      },
    );
    out.on('error', () => res.destroy());
    res.on('close', () => out.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    streams,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
