// A ClientOutput (gateway/output.ts) that keeps everything in memory: the pipeline driven in-process,
// with no socket (docs/style.md: test in-process, never against live APIs).

import type { DownstreamFraming } from '../../src/core/protocol.ts';
import type { ClientOutput, StreamSink } from '../../src/gateway/output.ts';

export interface MemoryOutput extends ClientOutput {
  status: number;
  headers: Record<string, string>;
  /** The JSON body, or the streamed text as written. */
  body: string;
  framing?: DownstreamFraming;
  ended: boolean;
  /** Simulates the client hanging up. */
  hangUp(): void;
}

export function memoryOutput(): MemoryOutput {
  const closeListeners = new Set<() => void>();
  const out: MemoryOutput = {
    status: 0,
    headers: {},
    body: '',
    ended: false,
    get headersSent() {
      return out.status !== 0;
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    sendJson(status, headers, body) {
      if (out.headersSent) {
        out.ended = true;
        return;
      }
      out.status = status;
      out.headers = headers;
      out.body = body;
      out.ended = true;
    },
    end() {
      out.ended = true;
    },
    openStream(framing, _keepaliveMs, headers): StreamSink {
      out.framing = framing;
      let stopped = false;
      const commit = (): void => {
        if (out.status === 0) {
          out.status = 200;
          out.headers = { 'content-type': framing.contentType, ...headers };
        }
      };
      return {
        get headersSent() {
          return out.status !== 0;
        },
        write(chunk) {
          if (stopped) return;
          commit();
          out.body += chunk;
        },
        writeBytes(chunk) {
          if (stopped) return;
          commit();
          out.body += Buffer.from(chunk).toString('latin1');
        },
        commitHeaders: commit,
        setCongestionListener() {},
        end() {
          if (stopped) return;
          commit();
          stopped = true;
          out.ended = true;
        },
        stop() {
          stopped = true;
        },
      };
    },
    hangUp() {
      for (const l of closeListeners) l();
    },
  };
  return out;
}
