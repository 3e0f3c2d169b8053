// The OTLP/HTTP JSON body of a big batch, written by the official serializer a slice at a time
// (docs/telemetry.md, Cost).
//
// @opentelemetry/otlp-transformer's JsonTraceSerializer builds the whole request as objects and
// JSON.stringify()s it; its cost per span grows with the batch: 5.5 µs per stream (two spans) for 64
// spans, 17.6 for the 2048 sluice exports at once (bench/otlp-serializer.ts). So the batch is
// serialized SLICE spans at a time, by that serializer, and the bodies joined: every byte of every
// span is the official serializer's. The join needs what sluice's spans always have: one resource
// and one scope (the same objects), without schema URLs, so that each slice's body is
//   {"resourceSpans":[{"resource":…,"scopeSpans":[{"scope":…,"spans":[ SPANS ]}]}]}
// with the same text around SPANS. Spans of several resources or scopes, or bodies framed otherwise
// (a schema URL), go to the official serializer in one call.
// test/telemetry/splice.test.ts checks the result against one official call, byte for byte.

import { JsonTraceSerializer, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** Spans per official serializer call (its cost per span is flat up to about this size). */
export const SLICE = 64;

/** Where the spans start: the first `"spans":[` of a body is the scope's (in a string value its quotes would be escaped). */
const SPANS_OPEN = Buffer.from('"spans":[');
/** After the last span: the spans array, the scope, scopeSpans, the resource, resourceSpans, the request. */
const SPANS_CLOSE = Buffer.from(']}]}]}');
const COMMA = Buffer.from(',');

export const SplicedJsonTraceSerializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest: (spans) => serializeSpliced(spans),
  deserializeResponse: (body) => JsonTraceSerializer.deserializeResponse(body),
};

export function serializeSpliced(spans: ReadableSpan[]): Uint8Array {
  if (spans.length <= SLICE || !oneGroup(spans)) return official(spans);
  const bodies: Buffer[] = [];
  for (let i = 0; i < spans.length; i += SLICE) bodies.push(official(spans.slice(i, i + SLICE)));
  const first = bodies[0]!;
  const open = first.indexOf(SPANS_OPEN);
  if (open < 0) return official(spans);
  const head = open + SPANS_OPEN.length;
  const pieces: Buffer[] = [first.subarray(0, head)];
  let length = head + SPANS_CLOSE.length + bodies.length - 1;
  for (let i = 0; i < bodies.length; i++) {
    const body = bodies[i]!;
    const end = body.length - SPANS_CLOSE.length;
    if (end <= head || body.compare(first, 0, head, 0, head) !== 0 || body.compare(SPANS_CLOSE, 0, SPANS_CLOSE.length, end) !== 0) {
      return official(spans);
    }
    if (i > 0) pieces.push(COMMA);
    pieces.push(body.subarray(head, end));
    length += end - head;
  }
  pieces.push(SPANS_CLOSE);
  return Buffer.concat(pieces, length);
}

/** Whether every span has the first one's resource and scope (the objects: the official serializer groups by them). */
function oneGroup(spans: ReadableSpan[]): boolean {
  const { resource, instrumentationScope } = spans[0]!;
  for (const span of spans) if (span.resource !== resource || span.instrumentationScope !== instrumentationScope) return false;
  return true;
}

function official(spans: ReadableSpan[]): Buffer {
  const body = JsonTraceSerializer.serializeRequest(spans)!;
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
