// Turns a dialect's events into the exact bytes to write, one string per write, with the framing
// faults of docs/quirks.md §A applied. This is the reason the mock has its own writer instead of
// sluice's SSE encoder: it must be able to produce broken framing on purpose.

import type { Dialect, SseEvent, StreamContext } from './dialect.ts';
import type { Plan } from './directives.ts';

export interface Framed {
  /** One string (or, for binary framings, bytes) per res.write, in order. */
  frames: Array<string | Uint8Array>;
  /** Frames written before the ending fault strikes (only read when plan.ending is set). */
  endingAt: number;
  /** What error_mid writes at endingAt. */
  errorFrame: string | Uint8Array;
  /** '' when the framing has no keepalive. */
  keepaliveFrame: string | Uint8Array;
}

const UTF8_BOM = '\uFEFF';
const PADDING = '      ';
// mixed endings cycle per event, never mid-event, so a bare CR is never followed by an LF that
// would turn it into a single CRLF line break.
const MIXED_EOLS = ['\n', '\r\n', '\r'];

function clamp(n: number, lo: number, hi: number): number {
  return n < lo ? lo : n > hi ? hi : n;
}

function finalIndex(events: SseEvent[]): number {
  for (let i = 0; i < events.length; i++) if (events[i].final) return i;
  return events.length - 1;
}

/** The dialect's events plus the malformed/[DONE] extras the plan asks for. */
function withExtras(events: SseEvent[], plan: Plan, ctx: StreamContext, dialect: Dialect, sse: boolean): SseEvent[] {
  if (plan.faults.has('malformed')) events.splice(clamp(plan.after, 0, events.length), 0, dialect.malformedEvent(ctx));
  // [DONE] only means something extra where the dialect has no [DONE] of its own.
  if (sse && plan.faults.has('done_after_stop') && dialect.endsWithDone !== true) events.push({ data: '[DONE]' });
  return events;
}

class SseWriter {
  private readonly eols: string[];
  private eolIndex = 0;
  private readonly dataPrefix: string;
  private readonly eventPrefix: string;
  private readonly commentPrefix: string;
  private readonly eventLines: boolean;
  private readonly padding: boolean;

  constructor(plan: Plan) {
    const f = plan.faults;
    this.eols = f.has('mixed_eol') ? MIXED_EOLS : f.has('crlf') ? ['\r\n'] : f.has('cr') ? ['\r'] : ['\n'];
    const space = f.has('nospace') ? '' : ' ';
    this.dataPrefix = 'data:' + space;
    this.eventPrefix = 'event:' + space;
    this.commentPrefix = ':' + space;
    this.eventLines = !f.has('no_event_lines');
    this.padding = f.has('padding');
  }

  nextEol(): string {
    const eol = this.eols[this.eolIndex];
    this.eolIndex = (this.eolIndex + 1) % this.eols.length;
    return eol;
  }

  /** The lines of an event without the line break after its last line. */
  body(ev: SseEvent, eol: string): string {
    if (ev.comment !== undefined) return this.commentPrefix + ev.comment;
    const data = this.dataPrefix + (this.padding ? pad(ev.data ?? '') : (ev.data ?? ''));
    return ev.name !== undefined && this.eventLines ? this.eventPrefix + ev.name + eol + data : data;
  }

  frame(ev: SseEvent, blankLine = true): string {
    const eol = this.nextEol();
    return this.body(ev, eol) + eol + (blankLine ? eol : '');
  }

  /** two events on one line, as Azure Foundry delivered them. */
  glued(a: SseEvent, b: SseEvent, json: boolean): string {
    const eol = this.nextEol();
    const second = json ? (this.padding ? pad(b.data ?? '') : (b.data ?? '')) : '    ' + this.body(b, eol);
    return this.body(a, eol) + second + eol + eol;
  }
}

function pad(data: string): string {
  if (data.length < 2 || data.charCodeAt(0) !== 0x7b || data.charCodeAt(data.length - 1) !== 0x7d) return data;
  return '{ ' + data.slice(1, -1) + PADDING + '}';
}

/** The dialect's stream framing: its own (frameStream) or SSE. */
export function frameStream(events: SseEvent[], plan: Plan, ctx: StreamContext, dialect: Dialect): Framed {
  return dialect.frameStream ? dialect.frameStream(events, plan, ctx) : frameSse(events, plan, ctx, dialect);
}

export function frameSse(events: SseEvent[], plan: Plan, ctx: StreamContext, dialect: Dialect): Framed {
  const list = withExtras(events, plan, ctx, dialect, true);
  const w = new SseWriter(plan);
  const endingEvent = clamp(plan.after, 0, finalIndex(list));
  const glueAt = plan.faults.has('glued') ? clamp(plan.after, 0, list.length - 2) : -1;
  const noFinalBlank = plan.faults.has('no_final_blank');
  const frames: string[] = [];
  let endingAt = -1;
  for (let i = 0; i < list.length; i++) {
    if (i === endingEvent) endingAt = frames.length;
    if (i === glueAt) {
      frames.push(w.glued(list[i], list[i + 1], plan.style === 'json'));
      i++;
      if (i === endingEvent) endingAt = frames.length;
      continue;
    }
    frames.push(w.frame(list[i], !(noFinalBlank && i === list.length - 1)));
  }
  if (endingAt < 0) endingAt = frames.length;
  if (plan.faults.has('bom') && frames.length > 0) frames[0] = UTF8_BOM + frames[0];
  return {
    frames,
    endingAt,
    errorFrame: w.frame(dialect.midStreamError(ctx)),
    keepaliveFrame: w.frame(plan.mode === 'keepalive_only' ? { comment: 'keepalive' } : dialect.keepaliveEvent),
  };
}

/** gemini.md §1: without alt=sse, streamGenerateContent sends one JSON array, element by element. */
export function frameJsonArray(events: SseEvent[], plan: Plan, ctx: StreamContext, dialect: Dialect): Framed {
  const list = withExtras(events, plan, ctx, dialect, false);
  const frames = list.map((ev, i) => (i === 0 ? '[' : '\n,\r\n') + (ev.data ?? ''));
  if (frames.length > 0) frames[frames.length - 1] += '\n]';
  else frames.push('[]');
  const endingAt = clamp(plan.after, 0, finalIndex(list));
  return {
    frames,
    endingAt,
    errorFrame: (endingAt === 0 ? '[' : '\n,\r\n') + (dialect.midStreamError(ctx).data ?? '') + '\n]',
    keepaliveFrame: '',
  };
}

/** A JSON body as one write, or two halves when an ending fault must cut it. */
export function frameBody(body: string, plan: Plan): Framed {
  if (plan.ending === undefined || plan.ending === 'error_mid') return { frames: [body], endingAt: 1, errorFrame: '', keepaliveFrame: '' };
  let half = body.length >> 1;
  const code = body.charCodeAt(half);
  if (code >= 0xdc00 && code <= 0xdfff) half++; // a lone surrogate would be written as U+FFFD
  return { frames: [body.slice(0, half), body.slice(half)], endingAt: 1, errorFrame: '', keepaliveFrame: '' };
}
