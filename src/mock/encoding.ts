// How the player's bytes reach the socket: as they are, or compressed with `encoding=` (Q-39: an
// upstream that compresses although nobody asked). A compressed stream is flushed after every write,
// as a server that compresses SSE must, so each event leaves as its own compressed bytes and a
// client that inflates incrementally sees it at once. `corrupt_encoding` writes bytes that are not
// valid in the encoding where the ending fault strikes.

import type { ServerResponse } from 'node:http';
import {
  brotliCompressSync,
  constants,
  createBrotliCompress,
  createDeflate,
  createGzip,
  createZstdCompress,
  deflateSync,
  gzipSync,
  zstdCompressSync,
} from 'node:zlib';
import type { Transform } from 'node:stream';

export const ENCODINGS = ['gzip', 'deflate', 'br', 'zstd'] as const;
export type Encoding = (typeof ENCODINGS)[number];

/**
 * Right after a flush every one of these codings starts a new block, and 0xFF there is a block type
 * none of them defines (deflate's reserved BTYPE 11, zstd's reserved Block_Type 3, brotli a last
 * empty meta-block followed by more data): the decoder fails at these bytes.
 */
const INVALID = Buffer.alloc(8, 0xff);

export interface BodyWriter {
  /** false: wait for onceDrain before writing more. */
  write(chunk: string | Uint8Array): boolean;
  onceDrain(fn: () => void): void;
  /** Ends the body (after the last written bytes). */
  end(): void;
  /** Closes the socket once what was written is out, without ending the body (drop_mid). */
  breakOff(): void;
  /** Bytes the encoding cannot decode, after what was written (corrupt_encoding). */
  corrupt(): void;
  /** The whole body in one write with its Content-Length (a plain JSON answer). */
  single(status: number, headers: Record<string, string>, body: string | Uint8Array): void;
}

function breakOff(res: ServerResponse): void {
  const socket = res.socket;
  if (socket) socket.destroySoon();
  else res.destroy();
}

export function plainWriter(res: ServerResponse): BodyWriter {
  return {
    write: (chunk) => res.write(chunk),
    onceDrain: (fn) => void res.once('drain', fn),
    end: () => void res.end(),
    breakOff: () => breakOff(res),
    corrupt: () => void res.write(INVALID),
    single(status, headers, body) {
      res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    },
  };
}

/** zlib's compressors, which all flush on demand. */
type Compressor = Transform & { flush(kind: number, callback?: () => void): void };

const STREAMING: Record<Encoding, { make: () => Compressor; flush: number }> = {
  gzip: { make: () => createGzip(), flush: constants.Z_SYNC_FLUSH },
  deflate: { make: () => createDeflate(), flush: constants.Z_SYNC_FLUSH },
  br: { make: () => createBrotliCompress(), flush: constants.BROTLI_OPERATION_FLUSH },
  zstd: { make: () => createZstdCompress(), flush: constants.ZSTD_e_flush },
};

const WHOLE: Record<Encoding, (body: Buffer) => Buffer> = {
  gzip: (b) => gzipSync(b),
  deflate: (b) => deflateSync(b),
  br: (b) => brotliCompressSync(b),
  zstd: (b) => zstdCompressSync(b),
};

/** Compresses everything written with `encoding`; the caller has set the Content-Encoding header. */
export function encodedWriter(res: ServerResponse, encoding: Encoding): BodyWriter {
  const { make, flush } = STREAMING[encoding];
  let enc: Compressor | undefined;
  // Created on first use: a single-write body is compressed in one go instead.
  const stream = (): Compressor => {
    if (enc === undefined) {
      enc = make();
      enc.on('data', (b: Buffer) => {
        if (!res.destroyed) res.write(b);
      });
      res.once('close', () => enc!.destroy());
    }
    return enc;
  };
  /** Runs `fn` once every byte written so far has gone to `res`. */
  const afterFlush = (fn: () => void): void => {
    stream().flush(flush, fn);
  };
  return {
    write(chunk) {
      const s = stream();
      const ok = s.write(chunk);
      s.flush(flush);
      return ok;
    },
    onceDrain: (fn) => void stream().once('drain', fn),
    end() {
      const s = stream();
      s.once('end', () => res.end());
      s.end();
    },
    breakOff: () => afterFlush(() => breakOff(res)),
    corrupt: () => afterFlush(() => void res.write(INVALID)),
    single(status, headers, body) {
      const bytes = WHOLE[encoding](Buffer.from(body));
      res.writeHead(status, { ...headers, 'content-length': String(bytes.length) });
      res.end(bytes);
    },
  };
}
