// The pipeline's ClientOutput (gateway/output.ts) over a node:http ServerResponse. A class, not an
// object literal with a getter and closures: the literal is built by a slow runtime path (dictionary
// mode), and with it a quarter more of each request's objects lived long enough to be promoted to
// the old generation (--trace-gc-nvp over 20 000 requests: 84 → 60 MB promoted; bench/RESULTS.md).

import type { ServerResponse } from 'node:http';
import type { DownstreamFraming } from '../core/protocol.ts';
import type { ClientOutput, StreamSink } from '../gateway/output.ts';
import { StreamResponder } from './stream-responder.ts';

class HttpOutput implements ClientOutput {
  private readonly res: ServerResponse;

  constructor(res: ServerResponse) {
    this.res = res;
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  onClose(listener: () => void): () => void {
    const res = this.res;
    const onClose = (): void => {
      if (!res.writableFinished) listener();
    };
    res.on('close', onClose);
    return () => res.off('close', onClose);
  }

  sendJson(status: number, headers: Record<string, string>, body: string): void {
    const res = this.res;
    if (res.headersSent || res.destroyed) {
      if (!res.writableEnded) res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
  }

  openStream(framing: DownstreamFraming, keepaliveMs: number, headers: Record<string, string>): StreamSink {
    return new StreamResponder(this.res, keepaliveMs, headers, framing);
  }
}

export function httpOutput(res: ServerResponse): ClientOutput {
  return new HttpOutput(res);
}
