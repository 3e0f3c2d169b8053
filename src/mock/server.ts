// `sluice mock`: a fake OpenAI / Anthropic / Gemini upstream with fault injection (SPEC §8).
// node:http only, and it writes raw bytes itself (framing.ts) so it can reproduce broken framing
// exactly. Every request is recorded, including when the client hung up (closedAt), which is what
// the "client abort reaches the upstream" tests assert on.

import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Dialect, MockContext, MockEndpoint, MockHttpReply, MockHttpRequest, MockRoute, RouteInfo } from './dialect.ts';
import { mockDialects } from '../protocols/index.ts';
import { type Directives, DirectiveError, buildPlan, directivesInText, mergeDirectives, parseDirectiveList, splitMockPath } from './directives.ts';
import { type MockRequestRecord, RequestLog } from './records.ts';
import { respond } from './respond.ts';

export type { MockRequestRecord };
export { MOCK_TOOL_ARGS, MOCK_TOOL_ARGS_JSON, MOCK_TOOL_ARGS_FRAGMENTS, mockBigText, mockReasoning, mockText } from './content.ts';

export interface MockOptions {
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `delay` directive (ms between events), default 0. */
  chunkDelayMs?: number;
  /** Default `first` directive (ms before the first event). */
  firstDelayMs?: number;
  /** Default `chunks` directive, default 12. */
  chunks?: number;
  /** Records kept for `requests` and GET /_mock/requests (oldest dropped first); default 10000. */
  maxRecords?: number;
  /** Called when a request's response finished or its connection closed. */
  onRecord?: (r: MockRequestRecord) => void;
  /** The mock's wall clock in ms (default Date.now): credentials it issues expire on it. */
  now?: () => number;
  /** Per-dialect options by dialect name (MockContext.options), e.g. the keys a cloud dialect accepts. */
  dialectOptions?: Record<string, unknown>;
}

export interface MockServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  requests: MockRequestRecord[];
  openConnections(): number;
  waitFor(pred: (r: MockRequestRecord) => boolean, timeoutMs: number): Promise<MockRequestRecord>;
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const KEEP_ALIVE_TIMEOUT_MS = 30_000;

interface Route {
  dialect: Dialect;
  route: MockRoute;
  info: RouteInfo;
  /** An embeddings path (Dialect.embeddings) rather than a chat one. */
  embeddings?: boolean;
}

/**
 * The route whose pattern matches the longest stretch of the path (the most specific dialect wins),
 * among those that accept the request.
 */
function matchRoute(path: string, query: URLSearchParams, accepts: (route: MockRoute, dialect: Dialect) => boolean): Route | undefined {
  let best: { dialect: Dialect; route: MockRoute; match: RegExpExecArray } | undefined;
  for (const dialect of mockDialects()) {
    for (const route of dialect.routes) {
      const m = route.path.exec(path);
      if (m === null || (best !== undefined && m[0].length <= best.match[0].length)) continue;
      if (route.accepts !== undefined && !accepts(route, dialect)) continue;
      best = { dialect, route, match: m };
    }
    for (const route of dialect.embeddings?.routes ?? []) {
      const m = route.path.exec(path);
      if (m !== null) return { dialect, route, info: route.info?.(m, query) ?? {}, embeddings: true };
    }
  }
  return best === undefined ? undefined : { dialect: best.dialect, route: best.route, info: best.route.info?.(best.match, query) ?? {} };
}

function matchEndpoint(method: string, path: string): { dialect: Dialect; endpoint: MockEndpoint } | undefined {
  for (const dialect of mockDialects()) {
    for (const endpoint of dialect.endpoints ?? []) if (endpoint.method === method && endpoint.path.test(path)) return { dialect, endpoint };
  }
  return undefined;
}

function sendReply(res: ServerResponse, reply: MockHttpReply): void {
  const headers = { 'content-type': 'application/json', ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) };
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}

function sendJson(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Reads the body; undefined when the client went away. Events, not for-await: cheaper per request. */
function readBody(req: IncomingMessage): Promise<Buffer | 'too_large' | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.resume();
        resolve('too_large');
        return;
      }
      parts.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(size > MAX_BODY_BYTES ? 'too_large' : Buffer.concat(parts, size)));
    req.once('error', () => resolve(undefined));
    req.once('close', () => {
      if (!req.complete) resolve(undefined);
    });
  });
}

/**
 * An embeddings answer: the dialect's deterministic vectors, or `fault=status` (with `retry_after`)
 * from the path or the `x-mock` header, so retries and failover can be driven as for chat.
 */
function answerEmbeddings(
  res: ServerResponse,
  route: Route,
  body: unknown,
  pathDirectives: Directives | undefined,
  header: string | string[] | undefined,
  record: MockRequestRecord,
): void {
  const { dialect } = route;
  const headerDirectives = header === undefined ? undefined : parseDirectiveList(Array.isArray(header) ? header.join(';') : header);
  const directives = mergeDirectives({}, pathDirectives, headerDirectives, undefined);
  record.directives = directives;
  let plan;
  try {
    plan = buildPlan(directives);
  } catch (e) {
    if (!(e instanceof DirectiveError)) throw e;
    return sendJson(res, 400, dialect.errorJson(400, `sluice mock: ${e.message}`), dialect.errorHeaders?.(400));
  }
  if (plan.mode === 'status') {
    record.outcome = 'fault';
    const status = plan.status ?? 500;
    if (plan.retryAfter !== undefined) res.setHeader('retry-after', String(plan.retryAfter));
    return sendJson(res, status, dialect.errorJson(status, `sluice mock: injected HTTP ${status} (fault=status)`), dialect.errorHeaders?.(status));
  }
  const answer = dialect.embeddings!.answer(body, route.info);
  if (typeof answer === 'string') return sendJson(res, 400, dialect.errorJson(400, answer), dialect.errorHeaders?.(400));
  sendJson(res, 200, answer.json, answer.headers);
}

function defaultDirectives(opts: MockOptions): Directives {
  const d: Directives = {};
  if (opts.chunks !== undefined) d.chunks = String(opts.chunks);
  if (opts.chunkDelayMs !== undefined) d.delay = String(opts.chunkDelayMs);
  if (opts.firstDelayMs !== undefined) d.first = String(opts.firstDelayMs);
  return d;
}

export function startMock(opts: MockOptions = {}): Promise<MockServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxRecords = opts.maxRecords ?? 10_000;
  const defaults = defaultDirectives(opts);
  const log = new RequestLog(maxRecords);
  const sockets = new Set<Socket>();
  const running = new Set<() => void>();
  let nextId = 1;
  const now = opts.now ?? Date.now;
  const states = new Map<string, unknown>();
  const contexts = new Map<string, MockContext>();
  const contextOf = (dialect: Dialect): MockContext => {
    let ctx = contexts.get(dialect.name);
    if (ctx === undefined) {
      ctx = {
        now,
        options: opts.dialectOptions?.[dialect.name],
        state<T>(key: string, make: () => T): T {
          if (!states.has(key)) states.set(key, make());
          return states.get(key) as T;
        },
      };
      contexts.set(dialect.name, ctx);
    }
    return ctx;
  };
  const hookRequest = (req: IncomingMessage, path: string, query: URLSearchParams, body: string): MockHttpRequest => ({
    method: req.method ?? 'GET',
    path,
    query,
    headers: req.headers,
    body,
    origin: `http://${req.headers.host ?? `${host}:0`}`,
  });

  const handleApi = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    pathDirectives: Directives | undefined,
    path: string,
    query: URLSearchParams,
  ): Promise<void> => {
    const { dialect } = route;
    const record: MockRequestRecord = {
      id: nextId++,
      dialect: dialect.name,
      method: req.method ?? 'GET',
      path: req.url ?? '',
      headers: req.headers,
      body: undefined,
      stream: false,
      directives: {},
      startedAt: Date.now(),
    };
    log.add(record);
    res.once('finish', () => {
      record.finishedAt = Date.now();
      record.outcome ??= 'completed';
      log.changed(record);
      opts.onRecord?.(record);
    });
    res.once('close', () => {
      if (res.writableFinished) return;
      record.closedAt = Date.now();
      record.outcome ??= 'client_closed';
      log.changed(record);
      opts.onRecord?.(record);
    });
    log.changed(record);

    const fail = (status: number, message: string): void => sendJson(res, status, dialect.errorJson(status, message), dialect.errorHeaders?.(status));
    const refused = route.route.authorize?.(hookRequest(req, path, query, ''), contextOf(dialect));
    if (refused !== undefined) {
      req.resume();
      record.outcome = 'refused';
      sendReply(res, refused);
      return;
    }

    const raw = await readBody(req);
    if (raw === undefined || res.destroyed) return;
    if (raw === 'too_large') {
      fail(413, `sluice mock: request body larger than ${MAX_BODY_BYTES} bytes`);
      return;
    }
    if (route.route.verify) {
      // A check over the request as sent, body included (a request signature), before it is answered.
      const refusal = await route.route.verify({ ...hookRequest(req, path, query, ''), target: req.url ?? '/', rawBody: raw }, contextOf(dialect));
      if (res.destroyed) return;
      if (refusal !== undefined) {
        record.outcome = 'refused';
        sendReply(res, refusal);
        return;
      }
    }
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      record.body = text;
      fail(400, `sluice mock: request body is not valid JSON (${(e as Error).message})`);
      return;
    }
    record.body = body;
    if (route.embeddings) {
      answerEmbeddings(res, route, body, pathDirectives, req.headers['x-mock'], record);
      return;
    }
    const inspected = dialect.inspect(body, route.info);
    if (typeof inspected === 'string') {
      fail(400, inspected);
      return;
    }
    const info = dialect.resolve === undefined ? inspected : dialect.resolve(body, inspected, contextOf(dialect));
    if ('status' in info) {
      record.outcome = 'refused';
      fail(info.status, info.message);
      return;
    }
    record.stream = info.stream;
    const header = req.headers['x-mock'];
    const headerDirectives = header === undefined ? undefined : parseDirectiveList(Array.isArray(header) ? header.join(';') : header);
    const directives = mergeDirectives(defaults, pathDirectives, headerDirectives, directivesInText(info.lastUserText));
    record.directives = directives;
    let plan;
    try {
      plan = buildPlan(directives);
    } catch (e) {
      if (!(e instanceof DirectiveError)) throw e;
      fail(400, `sluice mock: ${e.message}`);
      return;
    }
    log.changed(record);
    respond({
      res,
      dialect,
      plan,
      info,
      requestId: record.id,
      jsonArray: route.info.jsonArray === true,
      count: route.info.count === true,
      markFault: () => {
        record.outcome = 'fault';
      },
      track: (stop) => {
        running.add(stop);
        res.once('close', () => running.delete(stop));
      },
    });
  };

  /** A dialect's own endpoint (token endpoints …): recorded like any request, answered by the dialect. */
  const handleEndpoint = async (
    req: IncomingMessage,
    res: ServerResponse,
    dialect: Dialect,
    endpoint: MockEndpoint,
    path: string,
    query: URLSearchParams,
  ): Promise<void> => {
    const record: MockRequestRecord = {
      id: nextId++,
      dialect: dialect.name,
      method: req.method ?? 'GET',
      path: req.url ?? '',
      headers: req.headers,
      body: undefined,
      stream: false,
      directives: {},
      startedAt: Date.now(),
    };
    log.add(record);
    const raw = await readBody(req);
    if (raw === undefined || res.destroyed) return;
    if (raw === 'too_large') {
      sendJson(res, 413, dialect.errorJson(413, `sluice mock: request body larger than ${MAX_BODY_BYTES} bytes`));
      return;
    }
    const text = raw.toString('utf8');
    record.body = text;
    const reply = endpoint.handle(hookRequest(req, path, query, text), contextOf(dialect));
    record.outcome = reply.status < 400 ? 'completed' : 'refused';
    record.finishedAt = Date.now();
    log.changed(record);
    opts.onRecord?.(record);
    sendReply(res, reply);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const pathname = url.pathname;
    if (req.method === 'GET' && pathname === '/healthz') return sendJson(res, 200, '{"ok":true}');
    if (req.method === 'GET' && pathname === '/_mock/requests') return sendJson(res, 200, JSON.stringify(log.requests));
    if (req.method === 'POST' && pathname === '/_mock/reset') {
      log.clear();
      return sendJson(res, 200, '{"ok":true}');
    }
    const { path, directives } = splitMockPath(pathname);
    const own = matchEndpoint(req.method ?? '', path);
    if (own !== undefined) {
      handleEndpoint(req, res, own.dialect, own.endpoint, path, url.searchParams).catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, own.dialect.errorJson(500, `sluice mock: internal error: ${(e as Error).message}`));
        else res.destroy();
      });
      return;
    }
    const route = matchRoute(path, url.searchParams, (r, d) => r.accepts!(hookRequest(req, path, url.searchParams, ''), contextOf(d)));
    if (route === undefined || req.method !== 'POST') {
      req.resume();
      const message = `sluice mock: no route for ${req.method} ${pathname} (${mockDialects().flatMap((d) => [...d.routes, ...(d.embeddings?.routes ?? [])].map((r) => r.help[0])).join(', ')})`;
      return sendJson(res, 404, JSON.stringify({ error: { message, type: 'not_found', code: 404 } }));
    }
    handleApi(req, res, route, directives, path, url.searchParams).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, route.dialect.errorJson(500, `sluice mock: internal error: ${(e as Error).message}`), route.dialect.errorHeaders?.(500));
      else res.destroy();
    });
  };

  const server: Server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, handle);
  let onAllSocketsClosed: (() => void) | undefined;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0) onAllSocketsClosed?.();
    });
  });
  // A client that sends garbage must not take the mock down.
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${port}`,
        port,
        requests: log.requests,
        openConnections: () => sockets.size,
        waitFor: (pred, timeoutMs) => log.waitFor(pred, timeoutMs),
        reset: () => log.clear(),
        close() {
          for (const stop of running) stop();
          running.clear();
          log.abandon();
          const serverClosed = new Promise<void>((done) => server.close(() => done()));
          // Resolve only once every socket has really closed, so openConnections() is 0 afterwards.
          const socketsClosed = new Promise<void>((done) => {
            if (sockets.size === 0) return done();
            onAllSocketsClosed = done;
          });
          server.closeAllConnections();
          for (const s of sockets) s.destroy();
          return Promise.all([serverClosed, socketsClosed]).then(() => undefined);
        },
      });
    });
  });
}
