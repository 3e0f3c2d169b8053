// Records an SSE body as it arrives: every event and comment stamped with the arrival time of the
// network chunk that completed it. Parsing is sluice's own WHATWG decoder (src/sse), so the doctor
// reads streams the way a spec-compliant client does; its EOF salvage is noticed and reported
// as a missing final blank line rather than silently accepted.

import { SseDecoder } from '../sse/index.ts';

export interface TimedEvent {
  /** '' when the block had no `event:` line. */
  event: string;
  data: string;
  at: number;
}

export interface TimedComment {
  text: string;
  at: number;
}

export interface SseRecord {
  events: TimedEvent[];
  comments: TimedComment[];
  /** The last event had no terminating blank line and was only recovered at the end of the body. */
  unterminatedTail: boolean;
  /** The decoder gave up (an event beyond its size bound). */
  error?: string;
}

export interface SseRecorder {
  readonly record: SseRecord;
  push(chunk: Buffer, at: number): void;
  end(at: number): SseRecord;
  /** Called for every event as it is recorded (e.g. to stop reading early). */
  onEvent?: (event: TimedEvent) => void;
}

export function createSseRecorder(): SseRecorder {
  const record: SseRecord = { events: [], comments: [], unterminatedTail: false };
  let at = 0;
  let ending = false;
  const recorder: SseRecorder = {
    record,
    push(chunk, chunkAt) {
      at = chunkAt;
      decoder.push(chunk);
    },
    end(endAt) {
      at = endAt;
      ending = true;
      decoder.end();
      return record;
    },
  };
  const decoder = new SseDecoder({
    onEvent(data, event) {
      const timed = { event, data, at };
      record.events.push(timed);
      if (ending) record.unterminatedTail = true;
      recorder.onEvent?.(timed);
    },
    onComment(text) {
      record.comments.push({ text, at });
    },
    onError(err) {
      record.error = err.message;
    },
  });
  return recorder;
}
