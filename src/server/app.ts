// The HTTP adapter: routes, request ids, body limits, client keys, and the hand-off to the pipeline.
// It knows endpoints, never protocols: the routes are what the registry's fronts declare.

import { createServer, maxHeaderSize, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config/types.ts';
import type { ChatRequest } from '../core/request.ts';
import { GatewayError } from '../core/errors.ts';
import { mintId } from '../core/ids.ts';
import type { DocumentStore, FrontCodec, FrontRequestInfo, FrontServices } from '../core/protocol.ts';
import { fronts, frontSettingsKey } from '../protocols/index.ts';
import { DEFAULT_ENV, type AttemptEnv } from '../gateway/attempt.ts';
import { closeUpstreams } from '../gateway/upstreams.ts';
import { Pipeline, newRecord, sendError, type LocalCounter, type PipelineHooks } from '../gateway/pipeline.ts';
import { createRouter, type Router } from '../router/index.ts';
import { closeAgents } from '../transport/http.ts';
import { Authenticator, modelAllowed, presentedKey, type ClientKey, type KeyStore } from './auth.ts';
import { BODY_TIMEOUT_MS, readRequestBody } from './body.ts';
import { serveDebugStream } from './debug-stream.ts';
import { httpOutput } from './http-output.ts';
import { asUrl, requestTarget, type RequestTarget } from './request-target.ts';
import { RouteTable, type RouteMatch } from './routes.ts';
import { Drain, type DrainResult } from './drain.ts';
import { serveAdminReload } from './admin.ts';
import type { ReloadResult } from './reload.ts';

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
  /** Readiness beyond "config loaded" and circuit states: returns problems, empty when ready. */
  readiness?: () => string[];
  /** A router for a reloaded config (sharing target health with the first); default createRouter. */
  routerFor?: (config: Config) => Router;
  /** POST /admin/reload (server/reload.ts); absent: the endpoint answers that reloads are off. */
  reload?: () => Promise<ReloadResult>;
  /** Requests in flight, on every change (a cluster worker reports it to the dispatcher). */
  onLoad?: (inFlight: number) => void;
  /** Stored documents for fronts that keep state (FrontServices.documents). */
  documents?: DocumentStore;
  /** Log lines fronts write (FrontServices.log). */
  log?: (fields: Record<string, unknown>, message: string) => void;
  /** Time and the upstream HTTP dispatcher (tests inject both). */
  env?: AttemptEnv;
  /** The local token counter for count-tokens routes when no upstream counts. */
  countLocally?: LocalCounter;
  /**
   * Time limits on receiving a request (docs/operations.md "Slow clients"); tests shorten them.
   * Defaults: HEADERS_TIMEOUT_MS, BODY_TIMEOUT_MS, and Node's 30 s check interval for the head.
   */
  receive?: { headersMs?: number; bodyMs?: number; checkIntervalMs?: number };
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
  /** Per front, built on first use: its settings come from this generation's config. */
  servicesByFront: Map<string, FrontServices>;
}

/** How often the key store is asked whether keys exist (an open gateway closes once one does). */
const AUTH_REFRESH_MS = 10_000;

/**
 * Unknown paths outside every front's routes (RouteTable.owner) are answered in the first registered
 * front's error shape (OpenAI's `{"error":{…}}`).
 */
const fallbackFront = (): FrontCodec => fronts[0]!;

/** How long a request's head may take to arrive (Node's headersTimeout; docs/operations.md). */
export const HEADERS_TIMEOUT_MS = 60_000;

/**
 * A request Node could not parse, answered before any route is known, in the fallback front's shape
 * and saying what was wrong: headers over Node's limit are a 431 (a large cookie or custom header), a
 * head not complete within its time limit a 408, anything else a 400. The connection closes after it.
 */
function clientErrorResponse(err: NodeJS.ErrnoException, headersTimeoutMs: number): string {
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const late = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const error = tooLarge
    ? new GatewayError('invalid_request', `the request's headers exceed the server's limit of ${Math.round(maxHeaderSize / 1024)} KB`, { status: 431 })
    : late
      ? new GatewayError('request_timeout', `the request's headers did not arrive within ${headersTimeoutMs / 1000} s`)
      : new GatewayError('invalid_request', `malformed HTTP request (${err.code ?? 'parse error'})`);
  const rendered = fallbackFront().encodeError(error);
  const reason = tooLarge ? 'Request Header Fields Too Large' : late ? 'Request Timeout' : 'Bad Request';
  return (
    `HTTP/1.1 ${rendered.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(rendered.body)}\r\n` +
    `connection: close\r\n\r\n${rendered.body}`
  );
}

export function createApp(initial: Config, opts: AppOptions = {}): App {
  const auth = new Authenticator(initial.auth.keys, opts.store);
  const hooks = opts.hooks ?? {};
  // Upstreams log their own events (a cache resource refused) where the fronts do, unless the env says otherwise.
  const env = opts.env ?? DEFAULT_ENV;
  const pipelineEnv = env.log === undefined && opts.log !== undefined ? { ...env, log: opts.log } : env;
  const routes = new RouteTable(fronts);
  const generation = (number: number, config: Config, router: Router): Generation => ({
    number,
    config,
    router,
    pipeline: new Pipeline(config, router, hooks, pipelineEnv, opts.countLocally),
    servicesByFront: new Map(),
  });
  let live = generation(1, initial, opts.router ?? createRouter(initial));
  /** Every config generation served, for their upstreams to be closed at shutdown. */
  const configs = new Set<Config>([initial]);
  const drain = new Drain(opts.onLoad);
  let refreshTimer: NodeJS.Timeout | undefined;

  const servicesFor = (gen: Generation, front: FrontCodec): FrontServices => {
    let services = gen.servicesByFront.get(front.name);
    if (services === undefined) {
      const key = frontSettingsKey(front.name);
      services = {
        modelNames: () => gen.router.modelNames(),
        documents: opts.documents,
        settings: key === undefined ? undefined : gen.config.sections[key],
        log: opts.log ?? (() => {}),
      };
      gen.servicesByFront.set(front.name, services);
    }
    return services;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const startedAt = performance.now();
    // A request keeps the generation it arrived on, however many reloads happen meanwhile.
    drain.track(res);
    const gen = live;
    const { config, router } = gen;
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const target = requestTarget(req.url);
    const path = target.pathname.length > 1 && target.pathname.endsWith('/') ? target.pathname.slice(0, -1) : target.pathname;
    const method = req.method ?? 'GET';

    const found = routes.lookup(method, path);
    if (found.kind === 'found') {
      await serveRoute(req, res, target, found.match, requestId, startedAt, gen);
      return;
    }
    if (found.kind === 'method') {
      req.resume();
      const use = [...new Set(found.allowed)].join(' or ');
      sendError(httpOutput(res), found.front, new GatewayError('not_found', `${method} ${path} is not supported; use ${use}`), {});
      return;
    }
    const url = asUrl(target, req.url);
    if (method === 'GET' || method === 'HEAD') {
      switch (path) {
        case '/healthz':
          return json(res, 200, { status: 'ok' });
        case '/readyz': {
          const generation = gen.number;
          if (drain.draining) return json(res, 503, { status: 'draining', generation, problems: ['the gateway is shutting down'] });
          const problems = [...router.readiness(), ...(opts.readiness?.() ?? [])];
          return json(res, problems.length ? 503 : 200, problems.length ? { status: 'unavailable', generation, problems } : { status: 'ready', generation });
        }
        case '/debug/stream':
          // Open only on an open gateway: a ticker anyone can hold open for minutes is a lever for strangers.
          if (!auth.open && !(await auth.authenticate(anyClientKey(req, url)))) {
            req.resume();
            return sendError(httpOutput(res), fallbackFront(), new GatewayError('unauthorized', 'missing or invalid API key (/debug/stream needs a client key when keys are configured)'), {});
          }
          return serveDebugStream(req, res, url, config.server.keepaliveMs);
      }
    }
    if (path === '/admin/reload') return serveAdminReload(req, res, config.auth.adminKey, opts.reload);
    const extra = opts.routes?.[path];
    if (extra) return extra(req, res, url);
    req.resume();
    sendError(httpOutput(res), routes.owner(path) ?? fallbackFront(), new GatewayError('not_found', `no route for ${method} ${path}`), {});
  };

  const serveRoute = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: RequestTarget,
    match: RouteMatch,
    requestId: string,
    startedAt: number,
    gen: Generation,
  ): Promise<void> => {
    const { config, pipeline } = gen;
    const { front, route } = match;
    const out = httpOutput(res);
    if (front.requestIdHeader !== undefined) res.setHeader(front.requestIdHeader, requestId);
    const info: FrontRequestInfo = { headers: req.headers, params: match.params, query: url.searchParams, variant: route.variant };
    const services = servicesFor(gen, front);
    const headers: Record<string, string> = { 'x-request-id': requestId };
    let key: ClientKey | undefined;
    let model = '';
    let stream = false;
    const reject = (error: GatewayError): void => {
      // The rest of a late body may still be on its way: it must not be read as the next request.
      if (error.code === 'request_timeout') headers.connection = 'close';
      sendError(out, front, error, headers, route.variant);
      if (route.op !== 'chat' && route.op !== 'embeddings') return;
      const record = newRecord(requestId, key?.name, front.name, model, stream);
      record.status = error.status;
      record.endReason = 'rejected';
      record.errorCode = error.code;
      record.totalMs = performance.now() - startedAt;
      hooks.onRecord?.(record);
    };
    try {
      // Authenticate before reading a large body from a stranger.
      if (!auth.open && !(route.op === 'custom' && route.open)) {
        key = await auth.authenticate(front.clientKey?.(info) ?? presentedKey(req.headers));
        if (!key) {
          req.resume();
          return reject(new GatewayError('unauthorized', 'missing or invalid API key'));
        }
        info.keyName = key.name;
      }
      const body = req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE' ? Buffer.alloc(0) : await readRequestBody(req, config.server.maxBodyBytes, bodyTimeoutMs);
      if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') req.resume();
      if (route.op === 'custom') {
        const answer = await route.handle!({ ...info, method: req.method ?? 'GET', path: url.pathname, body, requestId, keyName: key?.name }, services);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...headers, ...answer.headers });
        res.end(req.method === 'HEAD' ? undefined : answer.body);
        return;
      }
      if (route.op === 'embeddings') {
        const request = pipeline.decodeEmbeddings(front.name, body, info);
        model = request.model;
        // Routed first: a model this gateway does not know is a 404 for every key (SPEC §4.2);
        // 403 is for a model that exists but is outside the key's list.
        const plan = pipeline.planEmbeddings(request);
        if (!modelAllowed(key, request.model)) {
          return reject(new GatewayError('forbidden', `this key may not use model "${request.model}"`, { param: 'model' }));
        }
        const ctx = { requestId, keyName: key?.name, startedAt, headers, variant: route.variant, services, incoming: req.headers };
        const release = opts.admission ? await opts.admission.admit(key, request.model, false) : undefined;
        try {
          const record = await pipeline.embed(request, plan, out, ctx);
          if (record.usage) opts.admission?.recordTokens?.(key, record.usage.inputTokens);
          opts.admission?.recordSpend?.(key, record.costUsd);
        } finally {
          release?.();
        }
        return;
      }
      const decoded = pipeline.decode(front.name, body, info, services);
      const chat: ChatRequest = decoded instanceof Promise ? await decoded : decoded;
      model = chat.model;
      stream = chat.stream;
      const plan = pipeline.plan(chat);
      if (!modelAllowed(key, chat.model)) {
        return reject(new GatewayError('forbidden', `this key may not use model "${chat.model}"`, { param: 'model' }));
      }
      const ctx = { requestId, keyName: key?.name, startedAt, headers, variant: route.variant, services, incoming: req.headers, front: front.name, shutdown: drain.signal };
      if (route.op === 'count-tokens') {
        await pipeline.count(chat, plan, out, ctx);
        return;
      }
      const release = opts.admission ? await opts.admission.admit(key, chat.model, chat.stream) : undefined;
      try {
        const record = await pipeline.serve(chat, plan, out, ctx);
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

  // The head has Node's headersTimeout (answered 408 by clientError below); the body its own limit in
  // readRequestBody, which knows the front and answers in its dialect. Node's requestTimeout stays off:
  // it would add nothing but a second, dialect-less 408.
  const bodyTimeoutMs = opts.receive?.bodyMs ?? BODY_TIMEOUT_MS;
  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      requestTimeout: 0,
      headersTimeout: opts.receive?.headersMs ?? HEADERS_TIMEOUT_MS,
      ...(opts.receive?.checkIntervalMs === undefined ? undefined : { connectionsCheckingInterval: opts.receive.checkIntervalMs }),
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        // Last line of defence: a handler bug must not take the process down.
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: `internal error: ${(err as Error)?.message}`, type: 'server_error', code: 'internal' } }));
        } else if (!res.writableEnded) res.end();
      });
    },
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // A response already under way on this connection (a pipelined request's head timed out behind
    // it) must not get an answer written into its middle: only close then, as Node itself does.
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) socket.end(clientErrorResponse(err, server.headersTimeout));
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
    swap(config: Config, number: number): void {
      auth.setStaticKeys(config.auth.keys);
      configs.add(config);
      live = generation(number, config, opts.routerFor?.(config) ?? createRouter(config));
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
      await closeUpstreams([...configs].flatMap((c) => Object.values(c.providers)));
      await closeAgents();
    },
  };
}

/**
 * The key of a request to an endpoint that belongs to no front (`/debug/stream`): Bearer or
 * x-api-key (SPEC §3), else however a front takes its key (`x-goog-api-key` from `sluice doctor
 * --protocol gemini`).
 */
function anyClientKey(req: IncomingMessage, url: URL): string | undefined {
  const given = presentedKey(req.headers);
  if (given !== undefined) return given;
  const info: FrontRequestInfo = { headers: req.headers, params: {}, query: url.searchParams };
  for (const front of fronts) {
    const key = front.clientKey?.(info);
    if (key !== undefined) return key;
  }
  return undefined;
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
