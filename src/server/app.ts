// The HTTP adapter: routes, request ids, body limits, client keys, and the hand-off to the pipeline.
// It knows endpoints, never protocols: a front is looked up by name for each chat endpoint.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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
import { Drain, type DrainResult } from './drain.ts';
import { serveAdminReload } from './admin.ts';
import type { ReloadResult } from './reload.ts';

/** Admission control per key (rate limits, concurrency); provided by the limits module. */
export interface Admission {
  /** Throws GatewayError('rate_limited') with retryAfterMs, or returns a release function. */
  admit(key: ClientKey | undefined, model: string, stream: boolean): Promise<() => void>;
  /** Records tokens used, for tokens-per-minute limits. */
  recordTokens?(key: ClientKey | undefined, tokens: number): void;
}

/** Extra routes (metrics, playground) mounted by other modules. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface AppOptions {
  router?: Router;
  store?: KeyStore;
  admission?: Admission;
  hooks?: PipelineHooks;
  routes?: Record<string, RouteHandler>;
  /** Readiness beyond "config loaded" and circuit states: returns problems, empty when ready. */
  readiness?: () => string[];
  /** A router for a reloaded config (sharing target health with the first); default createRouter. */
  routerFor?: (config: Config) => Router;
  /** POST /admin/reload (server/reload.ts); absent: the endpoint answers that reloads are off. */
  reload?: () => Promise<ReloadResult>;
  /** Requests in flight, on every change (a cluster worker reports it to the dispatcher). */
  onLoad?: (inFlight: number) => void;
}

export interface App {
  server: Server;
  /** The live generation's pipeline (a reload replaces it). */
  readonly pipeline: Pipeline;
  readonly config: Config;
  /** The live config generation (1 at start). */
  readonly generation: number;
  auth: Authenticator;
  /**
   * Binds the port. Cluster workers (src/cluster/) pass reusePort (each binds it under
   * SO_REUSEPORT), or `path` (a private socket that keeps node:http's connection bookkeeping and
   * timeouts running while the primary hands connections over through accept()).
   */
  listen(port: number, host: string, opts?: ListenOptions): Promise<AddressInfo>;
  /** Serves a connection accepted by another process (the cluster primary). */
  accept(socket: Socket): void;
  /** Swaps a new config in (server/reload.ts): requests in flight keep theirs. */
  swap(config: Config, generation: number): void;
  /** SIGTERM/SIGINT (server/drain.ts): stop accepting, let requests finish, end the rest. */
  drain(timeoutMs: number): Promise<DrainResult>;
  readonly draining: boolean;
  close(): Promise<void>;
}

export interface ListenOptions {
  reusePort?: boolean;
  path?: string;
}

/** What one config generation serves with; a request keeps the one it started on. */
interface Generation {
  number: number;
  config: Config;
  router: Router;
  pipeline: Pipeline;
}

/** How often the key store is asked whether keys exist (an open gateway closes once one does). */
const AUTH_REFRESH_MS = 10_000;

const CHAT_ROUTES: Record<string, ProtocolName> = {
  '/v1/chat/completions': 'openai',
  '/chat/completions': 'openai',
  '/v1/messages': 'anthropic',
};

export function createApp(initial: Config, opts: AppOptions = {}): App {
  const auth = new Authenticator(initial.auth.keys, opts.store);
  const hooks = opts.hooks ?? {};
  const firstRouter = opts.router ?? createRouter(initial);
  let live: Generation = { number: 1, config: initial, router: firstRouter, pipeline: new Pipeline(initial, firstRouter, hooks) };
  const drain = new Drain(opts.onLoad);
  let refreshTimer: NodeJS.Timeout | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = performance.now();
    drain.track(res);
    const gen = live;
    const { config, router } = gen;
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
      await serveChat(req, res, front, requestId, startedAt, gen);
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      switch (path) {
        case '/healthz':
          return json(res, 200, { status: 'ok' });
        case '/readyz': {
          const generation = live.number;
          if (drain.draining) return json(res, 503, { status: 'draining', generation, problems: ['the gateway is shutting down'] });
          const problems = [...router.readiness(), ...(opts.readiness?.() ?? [])];
          return json(res, problems.length ? 503 : 200, problems.length ? { status: 'unavailable', generation, problems } : { status: 'ready', generation });
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
    if (path === '/admin/reload') return serveAdminReload(req, res, config.auth.adminKey, opts.reload);
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
    { config, pipeline }: Generation,
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
        const record = await pipeline.serve(chat, plan, res, { requestId, keyName: key?.name, startedAt, headers, shutdown: drain.signal });
        if (record.usage) opts.admission?.recordTokens?.(key, record.usage.inputTokens + record.usage.outputTokens);
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
    get pipeline() {
      return live.pipeline;
    },
    get config() {
      return live.config;
    },
    get generation() {
      return live.number;
    },
    get draining() {
      return drain.draining;
    },
    auth,
    swap(config: Config, generation: number): void {
      const router = opts.routerFor?.(config) ?? createRouter(config);
      auth.setStaticKeys(config.auth.keys);
      live = { number: generation, config, router, pipeline: new Pipeline(config, router, hooks) };
    },
    drain(timeoutMs: number): Promise<DrainResult> {
      if (refreshTimer) clearInterval(refreshTimer);
      return drain.run(server, timeoutMs);
    },
    accept(socket: Socket): void {
      server.emit('connection', socket);
    },
    async listen(port: number, host: string, listenOpts: ListenOptions = {}): Promise<AddressInfo> {
      await auth.refresh();
      // Keys created in the store by `sluice keys create` (or another instance) close an open gateway
      // without a restart.
      refreshTimer = setInterval(() => void auth.refresh().catch(() => undefined), AUTH_REFRESH_MS);
      refreshTimer.unref();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // reusePort: several workers each bind the port and the kernel spreads connections
        // (src/cluster/; exclusive keeps node:cluster from sharing one handle instead).
        const options = listenOpts.path !== undefined
          ? { path: listenOpts.path, exclusive: true }
          : listenOpts.reusePort
            ? { port, host, reusePort: true, exclusive: true }
            : { port, host };
        server.listen(options, () => {
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
