// `sluice mock`'s cachedContents (docs/protocols/gemini.md §9), for the Gemini API
// (`…/v1beta/cachedContents`) and Vertex AI (`…/v1beta1/projects/P/locations/L/cachedContents`, mounted
// by the vertex folder's mock with its own credential check). As Google answers (checked against
// @google/genai's caches.create/get/update/delete, test/protocols/gemini/mock-cache-sdk.test.ts):
//   - create: `{model, ttl | expireTime, contents?, systemInstruction?, tools?, toolConfig?, displayName?}`
//     → the resource (`name`, `model`, `createTime`, `updateTime`, `expireTime`, `usageMetadata`); an
//     unknown field, a model not spelled as a resource name or a prefix below the minimum size
//     (`dialectOptions.<dialect>.cacheMinTokens`, default 1024) is a 400; no ttl means one hour;
//   - get / update (PATCH `{ttl}` or `{expireTime}`) / delete by name; a name that does not exist or
//     has expired (on the mock's clock) is 403 `CachedContent not found (or permission denied)`;
//   - generateContent naming one in `cachedContent` reports its tokens as `cachedContentTokenCount`
//     (and in `promptTokenCount`); with systemInstruction, tools or toolConfig beside it, 400.

import { randomBytes } from 'node:crypto';
import type { Inspected, MockContext, MockEndpoint, MockHttpReply, MockHttpRequest, Refusal } from '../../mock/dialect.ts';
import { isObject } from '../../mock/dialect.ts';

const DEFAULT_MIN_TOKENS = 1024;
/** Google's default lifetime when neither ttl nor expireTime is given. */
const DEFAULT_TTL_MS = 3_600_000;
const MAX_CACHES = 100_000;
const JSON_TYPE = { 'content-type': 'application/json; charset=UTF-8' };
const CREATE_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'ttl',
  'expireTime',
  'expire_time',
  'displayName',
  'display_name',
  'contents',
  'systemInstruction',
  'system_instruction',
  'tools',
  'toolConfig',
  'tool_config',
  'encryptionSpec',
  'encryption_spec',
]);
/** Fields a generateContent request may not set beside cachedContent. */
const NOT_WITH_CACHE = ['systemInstruction', 'system_instruction', 'tools', 'toolConfig', 'tool_config'];
const NOT_FOUND = 'CachedContent not found (or permission denied)';

/** The mock's input-token count: about one token per 4 bytes of the counted JSON, as a rough tokenizer. */
export function mockTokenCount(value: unknown): number {
  return Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(value ?? '')) / 4));
}

interface Held {
  name: string;
  model: string;
  displayName: string;
  tokens: number;
  createTime: string;
  updateTime: string;
  expiresAtMs: number;
}

/** Every cachedContents resource of one mock server (both dialects), and what tests count. */
export class MockCachedContents {
  readonly #held = new Map<string, Held>();
  readonly #now: () => number;
  readonly stats = { created: 0, refused: 0, updated: 0, deleted: 0, used: 0, notFound: 0 };

  constructor(now: () => number) {
    this.#now = now;
  }

  /** A live resource by name; expired ones are gone, as on Google. */
  get(name: string): Held | undefined {
    const held = this.#held.get(name);
    if (held === undefined) return undefined;
    if (this.#now() >= held.expiresAtMs) {
      this.#held.delete(name);
      return undefined;
    }
    return held;
  }

  create(body: Record<string, unknown>, parent: string, minTokens: number, modelOk: (model: string) => boolean): MockHttpReply {
    for (const key of Object.keys(body)) {
      if (!CREATE_FIELDS.has(key)) return this.#refuse(400, `Invalid JSON payload received. Unknown name ${JSON.stringify(key)} at 'cached_content': Cannot find field.`);
    }
    const model = body.model;
    if (typeof model !== 'string' || model === '') return this.#refuse(400, '* CachedContent.model: model is not specified');
    if (!modelOk(model)) return this.#refuse(400, `* CachedContent.model: invalid resource name ${JSON.stringify(model)}`);
    const contents = body.contents;
    if (contents !== undefined && !Array.isArray(contents)) return this.#refuse(400, "Invalid value at 'cached_content.contents': expected a list");
    const lifetime = lifetimeOf(body, this.#now());
    if (typeof lifetime === 'string') return this.#refuse(400, lifetime);
    const tokens = mockTokenCount([body.systemInstruction ?? body.system_instruction, contents, body.tools]);
    if (tokens < minTokens) return this.#refuse(400, `Cached content is too small. total_token_count=${tokens}, min_total_token_count=${minTokens}`);
    const now = new Date(this.#now()).toISOString();
    const held: Held = {
      name: `${parent}cachedContents/${randomBytes(20).toString('hex')}`,
      model,
      displayName: typeof body.displayName === 'string' ? body.displayName : '',
      tokens,
      createTime: now,
      updateTime: now,
      expiresAtMs: lifetime,
    };
    if (this.#held.size >= MAX_CACHES) this.#held.delete(this.#held.keys().next().value!);
    this.#held.set(held.name, held);
    this.stats.created++;
    return reply(200, resource(held));
  }

  update(name: string, body: Record<string, unknown>): MockHttpReply {
    const held = this.get(name);
    if (held === undefined) return this.#missing();
    for (const key of Object.keys(body)) {
      if (key !== 'ttl' && key !== 'expireTime' && key !== 'expire_time') return reply(400, googleError(400, `Invalid JSON payload received. Unknown name ${JSON.stringify(key)} at 'cached_content': Cannot find field.`));
    }
    const lifetime = lifetimeOf(body, this.#now());
    if (typeof lifetime === 'string') return reply(400, googleError(400, lifetime));
    held.expiresAtMs = lifetime;
    held.updateTime = new Date(this.#now()).toISOString();
    this.stats.updated++;
    return reply(200, resource(held));
  }

  read(name: string): MockHttpReply {
    const held = this.get(name);
    return held === undefined ? this.#missing() : reply(200, resource(held));
  }

  delete(name: string): MockHttpReply {
    if (this.get(name) === undefined) return this.#missing();
    this.#held.delete(name);
    this.stats.deleted++;
    return reply(200, '{}');
  }

  /**
   * A generateContent request's `cachedContent`: the request facts with the resource's tokens, or
   * Google's refusal. `pathModel` is the model the request's path names.
   */
  use(body: Record<string, unknown>, info: Inspected, pathModel: string | undefined): Inspected | Refusal {
    const name = body.cachedContent ?? body.cached_content;
    if (name === undefined) return info;
    if (typeof name !== 'string' || !/(?:^|\/)cachedContents\/[^/]+$/.test(name)) {
      return { status: 400, message: `Invalid value at 'cached_content' (${JSON.stringify(name)}): not a cachedContents resource name` };
    }
    if (NOT_WITH_CACHE.some((f) => body[f] !== undefined)) {
      return {
        status: 400,
        message: 'CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.\n\nProposed fix: move those values to CachedContent from GenerateContent request.',
      };
    }
    const held = this.get(name);
    if (held === undefined) {
      this.stats.notFound++;
      return { status: 403, message: NOT_FOUND };
    }
    if (pathModel !== undefined && lastSegment(held.model) !== lastSegment(pathModel)) {
      return { status: 400, message: `Model used by GenerateContent request (models/${lastSegment(pathModel)}) and CachedContent (${held.model}) has to be the same.` };
    }
    this.stats.used++;
    return { ...info, cachedTokens: held.tokens };
  }

  #refuse(status: number, message: string): MockHttpReply {
    this.stats.refused++;
    return reply(status, googleError(status, message));
  }

  #missing(): MockHttpReply {
    this.stats.notFound++;
    return reply(403, googleError(403, NOT_FOUND));
  }
}

/** The server's resources, shared by the Gemini and Vertex dialects. */
export function cachedContentsOf(ctx: MockContext): MockCachedContents {
  return ctx.state('gemini:cached-contents', () => new MockCachedContents(ctx.now));
}

function minTokensOf(ctx: MockContext): number {
  const n = (ctx.options as { cacheMinTokens?: unknown } | undefined)?.cacheMinTokens;
  return typeof n === 'number' && n >= 0 ? n : DEFAULT_MIN_TOKENS;
}

export interface CacheRoutes {
  /** Matches the collection path; group 1 is the parent (`` or `projects/P/locations/L/`). */
  collection: RegExp;
  /** Matches one resource's path; group 1 is its full name. */
  resource: RegExp;
  /** Whether a create body's model is spelled right for this API, given the parent. */
  modelOk(model: string, parent: string): boolean;
  /** Credentials (a reply refuses the request). */
  authorize(req: MockHttpRequest, ctx: MockContext): MockHttpReply | undefined;
}

/** The create / get / update / delete endpoints of one API's cachedContents. */
export function cachedContentEndpoints(routes: CacheRoutes): MockEndpoint[] {
  const guarded =
    (handle: (req: MockHttpRequest, ctx: MockContext, name: string) => MockHttpReply, path: RegExp) =>
    (req: MockHttpRequest, ctx: MockContext): MockHttpReply => {
      const refused = routes.authorize(req, ctx);
      if (refused !== undefined) return refused;
      return handle(req, ctx, path.exec(req.path)?.[1] ?? '');
    };
  const withBody = (req: MockHttpRequest, then: (body: Record<string, unknown>) => MockHttpReply): MockHttpReply => {
    let v: unknown;
    try {
      v = JSON.parse(req.body === '' ? '{}' : req.body);
    } catch {
      v = undefined;
    }
    return isObject(v) ? then(v) : reply(400, googleError(400, 'Invalid JSON payload received.'));
  };
  return [
    {
      method: 'POST',
      path: routes.collection,
      handle: guarded(
        (req, ctx, parent) => withBody(req, (body) => cachedContentsOf(ctx).create(body, parent, minTokensOf(ctx), (m) => routes.modelOk(m, parent))),
        routes.collection,
      ),
    },
    { method: 'GET', path: routes.resource, handle: guarded((_req, ctx, name) => cachedContentsOf(ctx).read(name), routes.resource) },
    {
      method: 'PATCH',
      path: routes.resource,
      handle: guarded((req, ctx, name) => withBody(req, (body) => cachedContentsOf(ctx).update(name, body)), routes.resource),
    },
    { method: 'DELETE', path: routes.resource, handle: guarded((_req, ctx, name) => cachedContentsOf(ctx).delete(name), routes.resource) },
  ];
}

/** The Gemini API needs a key on every call; without one Google answers 403. */
export function requireGoogleKey(req: MockHttpRequest): MockHttpReply | undefined {
  const header = req.headers['x-goog-api-key'];
  const key = (Array.isArray(header) ? header[0] : header) ?? req.query.get('key') ?? '';
  if (key !== '') return undefined;
  return reply(
    403,
    googleError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."),
  );
}

/** Expiry in ms from `ttl` (`"300s"`, `"1.5s"`) or `expireTime` (RFC 3339), else the default; a string is a 400 message. */
function lifetimeOf(body: Record<string, unknown>, now: number): number | string {
  const ttl = body.ttl;
  const expire = body.expireTime ?? body.expire_time;
  if (ttl !== undefined && expire !== undefined) return 'ttl and expire_time are mutually exclusive';
  if (ttl !== undefined) {
    const m = typeof ttl === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(ttl) : null;
    if (m === null) return `Invalid value at 'cached_content.ttl' (type.googleapis.com/google.protobuf.Duration), ${JSON.stringify(ttl)}`;
    const ms = Number(m[1]) * 1000;
    if (ms <= 0) return 'ttl must be positive';
    return now + ms;
  }
  if (expire !== undefined) {
    const at = typeof expire === 'string' ? Date.parse(expire) : NaN;
    if (!Number.isFinite(at)) return `Invalid value at 'cached_content.expire_time' (type.googleapis.com/google.protobuf.Timestamp), ${JSON.stringify(expire)}`;
    if (at <= now) return 'expire_time must be in the future';
    return at;
  }
  return now + DEFAULT_TTL_MS;
}

function resource(held: Held): Record<string, unknown> {
  return {
    name: held.name,
    model: held.model,
    createTime: held.createTime,
    updateTime: held.updateTime,
    expireTime: new Date(held.expiresAtMs).toISOString(),
    displayName: held.displayName,
    usageMetadata: { totalTokenCount: held.tokens },
  };
}

function lastSegment(model: string): string {
  return model.slice(model.lastIndexOf('/') + 1);
}

function googleError(status: number, message: string): string {
  const statusName = status === 400 ? 'INVALID_ARGUMENT' : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'NOT_FOUND' : 'INTERNAL';
  return JSON.stringify({ error: { code: status, message, status: statusName } });
}

function reply(status: number, body: unknown): MockHttpReply {
  return { status, headers: JSON_TYPE, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
