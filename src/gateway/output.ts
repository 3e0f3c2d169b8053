// Where the pipeline writes its answer: an interface, not a ServerResponse (docs/style.md), so the
// whole gateway can be driven in-process. server/http-output.ts adapts node:http; tests may use their
// own.

import type { DownstreamFraming, StreamOutput } from '../core/protocol.ts';
import type { Downstream } from './attempt.ts';

export interface ClientOutput {
  /** Whether the response head went out (a JSON error is then no longer possible). */
  readonly headersSent: boolean;
  /** Calls `listener` if the client goes away before the response finished; returns its removal. */
  onClose(listener: () => void): () => void;
  /** A complete JSON response (content-type application/json unless `headers` says otherwise). */
  sendJson(status: number, headers: Record<string, string>, body: string): void;
  /** Ends the response as it stands (headers already sent, nothing more to say). */
  end(): void;
  /**
   * Opens the streamed answer. Its headers go out at the commit point (commitHeaders, or the first
   * write) or when `keepaliveMs` elapses first; the framing's keepalive follows while nothing else is written.
   */
  openStream(framing: DownstreamFraming, keepaliveMs: number, headers: Record<string, string>): StreamSink;
}

export interface StreamSink extends StreamOutput, Downstream {
  readonly headersSent: boolean;
  commitHeaders(): void;
  /** Ends the response cleanly (after the terminal event or an in-stream error). */
  end(): void;
  /** Stops the keepalive without ending (the answer becomes a JSON error, or the client left). */
  stop(): void;
}
