// The pipeline's ClientOutput (gateway/output.ts) over a node:http ServerResponse.

import type { ServerResponse } from 'node:http';
import type { ClientOutput } from '../gateway/output.ts';
import { StreamResponder } from './stream-responder.ts';

export function httpOutput(res: ServerResponse): ClientOutput {
  return {
    get headersSent() {
      return res.headersSent;
    },
    onClose(listener) {
      const onClose = (): void => {
        if (!res.writableFinished) listener();
      };
      res.on('close', onClose);
      return () => res.off('close', onClose);
    },
    sendJson(status, headers, body) {
      if (res.headersSent || res.destroyed) {
        if (!res.writableEnded) res.end();
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    },
    end() {
      if (!res.writableEnded) res.end();
    },
    openStream(framing, keepaliveMs, headers) {
      return new StreamResponder(res, keepaliveMs, headers, framing);
    },
  };
}
