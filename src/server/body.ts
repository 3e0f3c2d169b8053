// Request bodies with a hard limit (SPEC §2 server.max_body): a declared Content-Length over the
// limit is refused before reading; a chunked body is counted as it arrives. A refused body is still
// drained (up to a bound) so the client can finish sending and read its 413 on a connection that
// stays usable; past the bound the connection is dropped.
//
// A body must arrive within a time limit (BODY_TIMEOUT_MS, docs/operations.md "Slow clients"): a
// client that declares a Content-Length and stops sending would otherwise hold its socket and its
// admission slot forever. The limit runs from the end of the head to the body's last byte, so it
// never touches the response, however long a stream runs.
//
// Compressed bodies (Content-Encoding gzip, deflate, br, zstd) are inflated, with the same limit on
// what they inflate to: Codex CLI sends zstd bodies in some setups (docs/protocols/openai-responses.md
// §5.2), and a small compressed body must not expand into an unbounded one.

import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, zstdDecompress, type ZlibOptions } from 'node:zlib';
import { GatewayError } from '../core/errors.ts';

type Inflate = (buf: Buffer, opts: ZlibOptions) => Promise<Buffer>;

const INFLATERS: Readonly<Record<string, Inflate>> = {
  gzip: promisify(gunzip) as Inflate,
  'x-gzip': promisify(gunzip) as Inflate,
  deflate: promisify(inflate) as Inflate,
  br: promisify(brotliDecompress) as Inflate,
  zstd: promisify(zstdDecompress) as Inflate,
};

/** How long a request body may take to arrive, from the end of its head (docs/operations.md). */
export const BODY_TIMEOUT_MS = 60_000;

/**
 * The request body, read with `limit` within `timeoutMs` and inflated (also within `limit`) when it
 * is compressed.
 */
export async function readRequestBody(req: IncomingMessage, limit: number, timeoutMs = BODY_TIMEOUT_MS): Promise<Buffer> {
  const raw = await readBody(req, limit, timeoutMs);
  const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return raw;
  const inflater = INFLATERS[encoding];
  if (inflater === undefined) {
    throw new GatewayError('invalid_request', `unsupported Content-Encoding "${encoding}" (gzip, deflate, br, zstd or none)`);
  }
  try {
    return await inflater(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new GatewayError('invalid_request', `the request body is not valid ${encoding}: ${(err as Error).message}`);
  }
}

/** How much of a refused body is read and discarded before the connection is dropped instead. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit: number, timeoutMs = BODY_TIMEOUT_MS): Promise<Buffer> {
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
    const timer = setTimeout(() => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      req.removeAllListeners('data');
      // The rest of the body will not come in time: the answer closes the connection (the caller
      // sees the code), and whatever still arrives is discarded.
      req.resume();
      reject(
        new GatewayError('request_timeout', `the request body did not arrive within ${timeoutMs / 1000} s (${size} of ${Number.isFinite(declared) ? declared : 'an unknown number of'} bytes received)`),
      );
    }, timeoutMs);
    req.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        clearTimeout(timer);
        chunks.length = 0;
        req.removeAllListeners('data');
        drain(req, limit, size);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      if (!failed) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      clearTimeout(timer);
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
