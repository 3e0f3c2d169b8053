// The HTTP adapter: routes, request ids, body limits, client keys, and the hand-off to the pipeline.
// It knows endpoints, never protocols: a front is looked up by name for each chat endpoint.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/types.ts';
import type { ProtocolName } from '../core/request.ts';
import { GatewayError } from '../core/errors.ts';
import { mintId } from '../core/ids.ts';
import { frontCodec } from '../protocols/index.ts';
import { Pipeline, sendError, type PipelineHooks, type RequestRecord } from '../gateway/pipeline.ts';
import { createRouter, type Router } from '../router/index.ts';
import { closeAgents } from '../transport/http.ts';
import { Authenticator, presentedKey, type ClientKey, type KeyStore } from './auth.ts';
import { readBody } from './body.ts';
import { serveDebugStream } from './debug-stream.ts';

/** Admission control per key (rate limits, concurrency); provided by the limits module. */
export interface Admission {
  /** Throws GatewayError('rate_limited') with retryAfterMs, or returns a release function. */
  admit(key: ClientKey | undefined, model: string, stream: boolean): Promise<() => void>;
  /** Records tokens used, for tokens-per-minute limits. */
  recordTokens?(key: ClientKey | undefined, tokens: number): void;
  /** Counts a finished request's cost (USD; undefined: unpriced) against the key's budget. */
  recordSpend?(key: ClientKey | undefined, usd: number | undefined): void;
}

/** Extra routes (metrics, playground) mounted by other modules. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface AppOptions {
  router?: Router;
  store?: KeyStore;
  admission?: Admission;
  hooks?: PipelineHooks;
  routes?: Record<string, RouteHandler>;
  /** Readiness beyond "config loaded" (e.g. circuit states): returns problems, empty when ready. */
  readiness?: () => string[];
}

export interface App {
  server: Server;
  pipeline: Pipeline;
  auth: Authenticator;
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** How often the key store is asked whether keys exist (an open gateway closes once one does). */
const AUTH_REFRESH_MS = 10_000;

const CHAT_ROUTES: Record<string, ProtocolName> = {
  '/v1/chat/completions': 'openai',
  '/chat/completions': 'openai',
  '/v1/messages': 'anthropic',
};

export function createApp(config: Config, opts: AppOptions = {}): App {
  const router = opts.router ?? createRouter(config);
  const auth = new Authenticator(config.auth.keys, opts.store);
  const hooks = opts.hooks ?? {};
  const pipeline = new Pipeline(config, router, hooks);
  let refreshTimer: NodeJS.Timeout | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = performance.now();
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://sluice.local');
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const front = CHAT_ROUTES[path];

    if (front) {
      if (req.method !== 'POST') {
        sendError(res, frontCodec(front), new GatewayError('not_found', `${req.method} ${path} is not supported; use POST`), {});
        return;
      }
      await serveChat(req, res, front, requestId, startedAt);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      switch (path) {
        case '/healthz':
          return json(res, 200, { status: 'ok' });
        case '/readyz': {
          const problems = opts.readiness?.() ?? [];
          return json(res, problems.length ? 503 : 200, problems.length ? { status: 'unavailable', problems } : { status: 'ready' });
        }
        case '/v1/models':
        case '/models': {
          if (!(await authorizeOnly(req, res))) return;
          const created = Math.floor(Date.now() / 1000);
          return json(res, 200, {
            object: 'list',
            data: router.modelNames().map((id) => ({ id, object: 'model', created, owned_by: 'sluice' })),
          });
        }
        case '/debug/stream':
          return serveDebugStream(req, res, url, config.server.keepaliveMs);
      }
    }
    const extra = opts.routes?.[path];
    if (extra) return extra(req, res, url);
    sendError(res, frontCodec('openai'), new GatewayError('not_found', `no route for ${req.method} ${path}`), {});
  };

  /** /v1/models and friends: a key is needed only when the gateway has keys. */
  const authorizeOnly = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (auth.open) return true;
    const key = await auth.authenticate(presentedKey(req.headers));
    if (key) return true;
    sendError(res, frontCodec('openai'), new GatewayError('unauthorized', 'missing or invalid API key'), {});
    return false;
  };

  const serveChat = async (
    req: IncomingMessage,
    res: ServerResponse,
    frontName: ProtocolName,
    requestId: string,
    startedAt: number,
  ): Promise<void> => {
    const front = frontCodec(frontName);
    const headers: Record<string, string> = { 'x-request-id': requestId };
    let key: ClientKey | undefined;
    let model = '';
    const reject = (error: GatewayError, stream = false): void => {
      sendError(res, front, error, headers);
      const record: RequestRecord = {
        requestId,
        keyName: key?.name,
        front: frontName,
        model,
        stream,
        attempts: 0,
        status: error.status,
        endReason: 'rejected',
        errorCode: error.code,
        firstEventMs: -1,
        totalMs: performance.now() - startedAt,
        events: 0,
        retries: 0,
        failovers: 0,
      };
      hooks.onRecord?.(record);
    };
    try {
      // Authenticate before reading a large body from a stranger.
      if (!auth.open) {
        key = await auth.authenticate(presentedKey(req.headers));
        if (!key) {
          req.resume();
          return reject(new GatewayError('unauthorized', 'missing or invalid API key'));
        }
      }
      const body = await readBody(req, config.server.maxBodyBytes);
      const chat = pipeline.decode(frontName, body, req);
      model = chat.model;
      if (key?.models && !key.models.includes(chat.model)) {
        return reject(new GatewayError('forbidden', `this key may not use model "${chat.model}"`, { param: 'model' }), chat.stream);
      }
      const plan = pipeline.plan(chat);
      const release = opts.admission ? await opts.admission.admit(key, chat.model, chat.stream) : undefined;
      try {
        const record = await pipeline.serve(chat, plan, res, { requestId, keyName: key?.name, startedAt, headers });
        if (record.usage) opts.admission?.recordTokens?.(key, record.usage.inputTokens + record.usage.outputTokens);
        opts.admission?.recordSpend?.(key, record.costUsd);
      } finally {
        release?.();
      }
    } catch (err) {
      const error = err instanceof GatewayError ? err : new GatewayError('internal', `internal error: ${(err as Error)?.message}`);
      reject(error);
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Last line of defence: a handler bug must not take the process down.
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `internal error: ${(err as Error)?.message}`, type: 'server_error', code: 'internal' } }));
      } else if (!res.writableEnded) res.end();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    pipeline,
    auth,
    async listen(port: number, host: string): Promise<AddressInfo> {
      await auth.refresh();
      // Keys created in the store by `sluice keys create` (or another instance) close an open gateway
      // without a restart.
      refreshTimer = setInterval(() => void auth.refresh().catch(() => undefined), AUTH_REFRESH_MS);
      refreshTimer.unref();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    async close(): Promise<void> {
      if (refreshTimer) clearInterval(refreshTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await closeAgents();
    },
  };
}

function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given)) return given;
  return mintId('req_', 20);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}
