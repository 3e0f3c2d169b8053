// Upstream HTTP over undici: one keep-alive Agent per provider (its own connect timeout), raw
// callbacks for the body so each network chunk reaches the framing decoder without a stream adapter.
// The dispatcher can be injected (undici MockAgent, an in-process server), so the whole gateway runs
// in a test without a socket.
// A body the upstream compressed unasked is inflated here, below every reader (content-encoding.ts,
// Q-39); a plain body goes to the handler untouched.
// Timeouts other than connect are enforced by the pipeline on *events*, not bytes (SPEC §4.4), so
// undici's own header/body timeouts are disabled here.

import { heldCopy, heldUtf8 } from '../core/held-bytes.ts';
import { Agent, type Dispatcher } from 'undici';
import { GatewayError } from '../core/errors.ts';
import type { UpstreamHttpRequest } from '../core/protocol.ts';
import { codingsOf, createInflater, type BodyInflater } from './content-encoding.ts';

export interface UpstreamResponseHead {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

export interface UpstreamBodyHandler {
  /** Response headers arrived. */
  onHead(head: UpstreamResponseHead): void;
  /** A chunk of the body, as the network delivered it. */
  onData(chunk: Buffer): void;
  /** The body ended normally. */
  onEnd(): void;
  /** The connection failed or was aborted; `error` is already classified. */
  onError(error: GatewayError): void;
}

/**
 * Flow control of one upstream response: pause() stops reading it (TCP then pushes back on the
 * upstream), resume() reads on. The pipeline pauses while the client is not keeping up, so a fast
 * upstream and a slow client never pile the answer up in sluice's memory.
 */
export interface UpstreamFlow {
  pause(): void;
  resume(): void;
}

const NO_FLOW: UpstreamFlow = { pause() {}, resume() {} };

const agents = new Map<string, Agent>();

/** The shared Agent for a provider; agents are reused so connections stay warm across requests. */
export function agentFor(provider: string, connectTimeoutMs: number): Agent {
  const key = `${provider}\u0000${connectTimeoutMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: { timeout: connectTimeoutMs },
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      // No cap: with one stream per connection, a cap is a hidden queue. Stream 1025 of a provider
      // waited, silently and without a timeout (headersTimeout is 0), for another to end (bench
      // held-streams scenario). Concurrency is bounded by admission limits, not here.
      connections: null,
      pipelining: 1,
    });
    agents.set(key, agent);
  }
  return agent;
}

export async function closeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.allSettled(all.map((a) => a.close()));
}

/** Parsed upstream URLs: a handful per deployment, each parsed once rather than per request. */
const parsedUrls = new Map<string, { origin: string; path: string }>();
const MAX_PARSED_URLS = 1024;

function originAndPath(href: string): { origin: string; path: string } {
  let parsed = parsedUrls.get(href);
  if (parsed === undefined) {
    const url = new URL(href);
    parsed = { origin: url.origin, path: url.pathname + url.search };
    // URLs carrying per-request parts (none today) must not grow this without bound.
    if (parsedUrls.size >= MAX_PARSED_URLS) parsedUrls.clear();
    parsedUrls.set(href, parsed);
  }
  return parsed;
}

/**
 * Sends one upstream request and delivers the response through `handler`: it sees exactly one of
 * onEnd / onError after onHead (or onError alone). Returns the response's flow control.
 */
export function sendUpstream(
  req: UpstreamHttpRequest,
  opts: { provider: string; connectTimeoutMs: number; signal: AbortSignal; dispatcher?: Dispatcher },
  handler: UpstreamBodyHandler,
): UpstreamFlow {
  const url = originAndPath(req.url);
  const dispatcher = opts.dispatcher ?? agentFor(opts.provider, opts.connectTimeoutMs);
  let finished = false;
  const fail = (err: unknown): void => {
    if (finished) return;
    finished = true;
    handler.onError(classifyTransportError(err, opts.provider, opts.signal));
  };
  if (opts.signal.aborted) {
    fail(opts.signal.reason);
    return NO_FLOW;
  }
  let controller: Dispatcher.DispatchController | undefined;
  let paused = false;
  /** Set only for a compressed body; a plain body goes to the handler untouched. */
  let inflater: BodyInflater | undefined;
  // Aborting closes the upstream connection (it cannot be reused mid-response) and nothing else:
  // before undici 8.11 it also opened a new, idle one.
  const onAbort = (): void => {
    controller?.abort(new Error('aborted'));
    inflater?.destroy();
    fail(opts.signal.reason);
  };
  opts.signal.addEventListener('abort', onAbort, { once: true });

  const dispatchHandler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (opts.signal.aborted) c.abort(new Error('aborted'));
      else if (paused) c.pause();
    },
    onResponseStart(c, statusCode, headers) {
      // The controller lives as long as the response (it is how we abort); the raw header buffers
      // undici leaves on it are never read here (~1.5 KB per held stream).
      c.rawHeaders = null;
      if (finished) return;
      const h = headers as Record<string, string | string[] | undefined>;
      // the one look at the body's encoding; a plain body costs nothing more than this.
      const encoding = h['content-encoding'];
      if (encoding !== undefined) {
        try {
          const codings = codingsOf(encoding);
          if (codings !== undefined) inflater = inflate(codings, c);
        } catch (err) {
          c.abort(err as Error);
          fail(err);
          return;
        }
      }
      handler.onHead({ status: statusCode, headers: h });
    },
    onResponseData(_c, chunk) {
      if (finished) return;
      if (inflater === undefined) handler.onData(chunk);
      else inflater.write(chunk);
    },
    onResponseEnd() {
      opts.signal.removeEventListener('abort', onAbort);
      if (finished) return;
      // The inflater ends the body once its last bytes are out.
      if (inflater !== undefined) return inflater.end();
      finished = true;
      handler.onEnd();
    },
    onResponseError(_c, err) {
      opts.signal.removeEventListener('abort', onAbort);
      inflater?.destroy();
      fail(err);
    },
  };

  const inflate = (codings: string[], c: Dispatcher.DispatchController): BodyInflater =>
    createInflater(codings, {
      data(chunk) {
        if (!finished) handler.onData(chunk);
      },
      end() {
        if (finished) return;
        finished = true;
        handler.onEnd();
      },
      fail(err) {
        opts.signal.removeEventListener('abort', onAbort);
        // Bytes that cannot be inflated end the exchange now, whether or not the upstream goes on.
        c.abort(err);
        fail(err);
      },
    });

  try {
    // undici keeps the body until the response ends: bytes of their own, not a slice of Buffer's pool
    // that a held stream would keep whole (core/held-bytes.ts).
    const body = req.method === 'GET' ? null : typeof req.body === 'string' ? heldUtf8(req.body) : heldCopy(req.body);
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: url.path,
        method: req.method ?? 'POST',
        headers: body === null ? req.headers : { ...req.headers, 'content-length': String(body.length) },
        body,
      },
      dispatchHandler,
    );
  } catch (err) {
    fail(err);
  }
  return {
    pause() {
      paused = true;
      if (!finished) {
        controller?.pause();
        inflater?.pause();
      }
    },
    resume() {
      paused = false;
      if (!finished) {
        controller?.resume();
        inflater?.resume();
      }
    },
  };
}

function classifyTransportError(err: unknown, provider: string, signal: AbortSignal): GatewayError {
  if (err instanceof GatewayError) return err;
  if (signal.aborted && signal.reason instanceof GatewayError) return signal.reason;
  const code = (err as { code?: string } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatewayError('connect_timeout', `could not connect to upstream within the connect timeout`, { target: provider, cause: err });
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new GatewayError('upstream_unreachable', `upstream unreachable (${code})`, { target: provider, cause: err });
  }
  if (signal.aborted) {
    return new GatewayError('internal', 'request aborted', { target: provider, cause: err });
  }
  return new GatewayError('upstream_unreachable', `upstream connection failed: ${message}`, { target: provider, cause: err });
}
