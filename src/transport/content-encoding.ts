// an upstream may compress its answer although sluice sent no Accept-Encoding (Vertex error
// bodies have been seen gzip'd; proxies in front of self-hosted models compress everything). The
// body is inflated here, below every reader, so streams, JSON answers and error bodies of every
// dialect see plain bytes. Decoding is incremental: each decompressor flushes what it has after
// every network chunk (Z_SYNC_FLUSH and its brotli / zstd equivalents), so an event compressed and
// flushed by the upstream reaches the framing decoder when its bytes arrive, not when the body ends.
// A body cut short is not an inflate error (finishFlush is a sync flush too, as browsers and undici's
// fetch decode): what was inflated is handed on and the reader judges it (stream_truncated, an
// incomplete JSON document). Bytes that are not valid in the encoding are upstream_malformed.

import {
  constants,
  createBrotliDecompress,
  createGunzip,
  createInflate,
  createInflateRaw,
  createZstdDecompress,
} from 'node:zlib';
import type { Transform } from 'node:stream';
import { GatewayError } from '../core/errors.ts';

type Make = () => Transform;

const ZLIB_FLUSH = { flush: constants.Z_SYNC_FLUSH, finishFlush: constants.Z_SYNC_FLUSH };

const DECODERS: Readonly<Record<string, Make | 'deflate'>> = {
  gzip: () => createGunzip(ZLIB_FLUSH),
  'x-gzip': () => createGunzip(ZLIB_FLUSH),
  // RFC 9110 §8.4.1.2 says zlib-wrapped, but some servers send raw deflate: decided on the first byte.
  deflate: 'deflate',
  br: () => createBrotliDecompress({ flush: constants.BROTLI_OPERATION_FLUSH, finishFlush: constants.BROTLI_OPERATION_FLUSH }),
  zstd: () => createZstdDecompress({ flush: constants.ZSTD_e_flush, finishFlush: constants.ZSTD_e_flush }),
};

/** The sink of inflated bytes; exactly one of end / fail is called, once. */
export interface InflatedSink {
  data(chunk: Buffer): void;
  end(): void;
  fail(err: GatewayError): void;
}

export interface BodyInflater {
  write(chunk: Buffer): void;
  end(): void;
  pause(): void;
  resume(): void;
  /** Stops decoding; nothing more reaches the sink. */
  destroy(): void;
}

/**
 * The Content-Encoding header's codings in the order they must be undone, or undefined when the body
 * is plain (absent, empty, `identity`). Throws upstream_malformed for a coding sluice cannot decode.
 */
export function codingsOf(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (raw === '' || raw === 'identity') return undefined;
  const codings: string[] = [];
  for (const part of raw.split(',')) {
    const coding = part.trim().toLowerCase();
    if (coding === '' || coding === 'identity') continue;
    if (DECODERS[coding] === undefined) {
      throw new GatewayError('upstream_malformed', `upstream answered with Content-Encoding "${raw}", which sluice cannot decode (gzip, deflate, br, zstd)`);
    }
    codings.push(coding);
  }
  // Listed in the order they were applied: undo the last first.
  return codings.length === 0 ? undefined : codings.reverse();
}

/** Inflates a body compressed with `codings` (from codingsOf) into `sink`, chunk by chunk. */
export function createInflater(codings: string[], sink: InflatedSink): BodyInflater {
  let settled = false;
  const stages: Transform[] = [];
  /** Built at the first byte of the body (a deflate stage needs to see it). */
  let first: Transform | undefined;
  let ending = false;

  const fail = (err: Error): void => {
    if (settled) return;
    settled = true;
    for (const s of stages) s.destroy();
    sink.fail(new GatewayError('upstream_malformed', `upstream body is not valid ${codings.join(' then ')}: ${err.message}`, { cause: err }));
  };

  const build = (firstByte: number): void => {
    let prev: Transform | undefined;
    for (let i = 0; i < codings.length; i++) {
      const make = DECODERS[codings[i]!]!;
      // Only the outermost deflate stage can look at its first byte; an inner one is zlib-wrapped.
      const stage = make === 'deflate' ? (i > 0 || (firstByte & 0x0f) === 0x08 ? createInflate(ZLIB_FLUSH) : createInflateRaw(ZLIB_FLUSH)) : make();
      stage.on('error', fail);
      if (prev !== undefined) prev.pipe(stage);
      stages.push(stage);
      prev = stage;
    }
    const last = prev!;
    last.on('data', (chunk: Buffer) => {
      if (!settled) sink.data(chunk);
    });
    last.on('end', () => {
      if (settled) return;
      settled = true;
      sink.end();
    });
    first = stages[0];
  };

  return {
    write(chunk) {
      if (settled || chunk.length === 0) return;
      if (first === undefined) build(chunk[0]!);
      first!.write(chunk);
    },
    end() {
      if (settled || ending) return;
      ending = true;
      // An empty body: nothing to inflate.
      if (first === undefined) {
        settled = true;
        sink.end();
        return;
      }
      first.end();
    },
    pause() {
      stages[stages.length - 1]?.pause();
    },
    resume() {
      stages[stages.length - 1]?.resume();
    },
    destroy() {
      settled = true;
      for (const s of stages) s.destroy();
    },
  };
}
