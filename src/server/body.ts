// Request bodies with a hard limit (SPEC §2 server.max_body): a declared Content-Length over the
// limit is refused before reading; a chunked body is counted as it arrives. A refused body is still
// drained (up to a bound) so the client can finish sending and read its 413 on a connection that
// stays usable; past the bound the connection is dropped.

import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../core/errors.ts';

/** How much of a refused body is read and discarded before the connection is dropped instead. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      drain(req, limit);
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        req.removeAllListeners('data');
        drain(req, limit, size);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(new GatewayError('invalid_request', `could not read the request body: ${err.message}`));
      }
    });
  });
}

function drain(req: IncomingMessage, limit: number, already = 0): void {
  let seen = already;
  const cap = Math.max(DRAIN_LIMIT, limit * 2);
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.socket.destroy();
  });
  req.resume();
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError('body_too_large', `request body exceeds the limit of ${limit} bytes (server.max_body)`);
}
