// Request bodies with a hard limit (SPEC §2 server.max_body): a declared Content-Length over the
// limit is refused before reading; a chunked body is counted as it arrives. A refused body is still
// drained (up to a bound) so the client can finish sending and read its 413 on a connection that
// stays usable; past the bound the connection is dropped.
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

/** The request body, read with `limit` and inflated (also within `limit`) when it is compressed. */
export async function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const raw = await readBody(req, limit);
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
