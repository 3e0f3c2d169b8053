// What the OpenAI and Anthropic grammar checks share: parsing the recorded events once, the JSON
// check, in-stream errors, and telling a cut stream from a clean one.

import type { TimedEvent } from '../sse-record.ts';
import type { Check } from '../types.ts';

export interface StreamEnding {
  /** How the body ended (from the HTTP exchange). */
  end: 'complete' | 'cut' | 'timeout' | 'stopped';
  error?: string;
  unterminatedTail: boolean;
  /** Who to blame for a cut stream. */
  hopsText?: string;
}

export interface Parsed {
  event: string;
  data: string;
  json: unknown;
  ok: boolean;
}

export type Obj = Record<string, unknown>;

export const GATEWAY = 'the gateway (or its upstream, passed through unchecked)';

export function parseAll(events: TimedEvent[], isMarker: (e: TimedEvent) => boolean): Parsed[] {
  return events.map((e) => {
    if (isMarker(e)) return { event: e.event, data: e.data, json: undefined, ok: true };
    try {
      return { event: e.event, data: e.data, json: JSON.parse(e.data), ok: true };
    } catch {
      return { event: e.event, data: e.data, json: undefined, ok: false };
    }
  });
}

export function validJson(parsed: Parsed[], what: string, fix: string): Check {
  const bad = parsed.filter((p) => !p.ok);
  if (bad.length === 0) return { name: 'valid-json', status: 'pass', detail: `${parsed.length} ${what}s, every one valid JSON` };
  return {
    name: 'valid-json',
    status: 'fail',
    detail: `${bad.length} of ${parsed.length} ${what}s are not JSON, first: ${JSON.stringify(bad[0]!.data.slice(0, 80))}`,
    culprit: GATEWAY,
    fix,
  };
}

export function inStreamError(data: string): Check {
  return {
    name: 'stream-end',
    status: 'fail',
    detail: `the stream ended with an in-stream error: ${data.slice(0, 200)}`,
    culprit: 'the upstream model failed mid-stream (the gateway reported it correctly)',
    fix: 'check the gateway log for this request id; try another --model',
  };
}

export function cutCheck(events: number, ending: StreamEnding, marker: string): Check | undefined {
  if (ending.end === 'complete' || ending.end === 'stopped') return undefined;
  const how = ending.end === 'timeout' ? 'did not finish in time' : `was cut (${ending.error ?? 'connection closed'})`;
  return {
    name: 'stream-end',
    status: 'fail',
    detail: `the stream ${how} after ${events} events, before ${marker}`,
    culprit: ending.hopsText ? `${ending.hopsText} or the gateway closed the stream` : 'a hop or the gateway closed the stream',
    fix: 'check the proxy and gateway logs for this request; raise proxy read/idle timeouts above the keepalive interval',
  };
}

/** A clean stream whose last event lacked its blank line: tolerated by lenient parsers only. */
export function tail(ending: StreamEnding, check: Check): Check {
  if (!ending.unterminatedTail) return check;
  return {
    ...check,
    status: 'warn',
    detail: `${check.detail}, but the last event had no terminating blank line (spec-compliant parsers drop it)`,
    culprit: GATEWAY,
    fix: 'terminate every event with a blank line (docs/protocols/sse.md §5)',
  };
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
