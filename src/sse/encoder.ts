// The writer side (sse.md §5): stricter than the spec so that every client parser in sse.md §4
// reads it. Lines end with LF only (never CR), every event ends with a blank line, and `data:` is
// always followed by a space for hand-rolled clients that match on "data: ".

/** Downstream keepalive: a comment, which no client turns into an event (sse.md §8). */
export const KEEPALIVE = ': keepalive\n\n';

/** Any line break the SSE decoder honours (§9.2.6): CRLF, CR or LF. */
const LINE_BREAK = /\r\n|\r|\n/;
const HAS_LINE_BREAK = /[\r\n]/;

/**
 * `data: <data>\n\n`. A value with line breaks becomes one `data:` line per line so it round-trips;
 * SSE cannot carry a CR inside data, so CR and CRLF come back as LF. JSON.stringify output never
 * contains raw line breaks, so the usual case is one line.
 */
export function encodeData(data: string): string {
  return `${fieldLines('data: ', data)}\n`;
}

/** `event: <event>\ndata: <data>\n\n`. The event name must be a single line. */
export function encodeEvent(event: string, data: string): string {
  if (HAS_LINE_BREAK.test(event)) throw new TypeError(`SSE event name must not contain a line break: ${JSON.stringify(event)}`);
  return `event: ${event}\n${fieldLines('data: ', data)}\n`;
}

/** `: <text>\n\n`; multi-line text becomes one comment line per line. */
export function encodeComment(text: string): string {
  return `${fieldLines(': ', text)}\n`;
}

function fieldLines(prefix: string, value: string): string {
  if (!HAS_LINE_BREAK.test(value)) return `${prefix}${value}\n`;
  let out = '';
  for (const line of value.split(LINE_BREAK)) out += `${prefix}${line}\n`;
  return out;
}
