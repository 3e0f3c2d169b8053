// Vertex AI as `sluice mock` speaks it (docs/cloud-providers.md, docs/cloud-auth.md):
//   - Google's models at `…/publishers/google/models/{m}:generateContent|streamGenerateContent|countTokens`,
//     answered exactly as the Gemini API answers, and a location's `cachedContents` (gemini/mock-cache.ts);
//   - Claude models at `…/publishers/anthropic/models/{m}:rawPredict|streamRawPredict` and the
//     `count-tokens:rawPredict` pseudo-model, answered in Anthropic's JSON and SSE, but only for
//     Vertex's body: without `anthropic_version`, with a `model` field, or with a `stream` that
//     contradicts the method it is a 400, so a gateway that forgets the rewrite is caught;
//   - text embeddings at `…/publishers/google/models/{m}:predict` (mock-embeddings.ts);
//   - every model path needs `Authorization: Bearer` with a token this mock issued and that has not
//     expired on its clock (else Google's 401 UNAUTHENTICATED); express-mode paths (no project) an
//     `x-goog-api-key`;
//   - the token endpoints that issue them: `POST /token` (the JWT-bearer grant of a service account
//     whose public key the mock was given, or of the mock's own account from
//     `GET /vertex/service-account.json`), and the GCE metadata server's token path (ADC on Google
//     Cloud, for clients with GCE_METADATA_HOST pointed here).
// Vertex's own front end (401, 403, 404, 429) answers in Google's JSON, a Claude 429 as the
// one-element array its quota errors come in; a Claude model's other errors stay Anthropic's.
// `fault=status;status=429` is therefore RESOURCE_EXHAUSTED, `status=401` an expired-token answer.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Dialect, Inspected, MockContext, MockHttpReply, MockHttpRequest, RouteInfo } from '../../mock/dialect.ts';
import { isObject } from '../../mock/dialect.ts';
import { anthropicMock } from '../anthropic/mock.ts';
import { GEMINI_API_SIGNATURE, VERTEX_SIGNATURE, geminiMock, refuseSignature, resolveCachedContent } from '../gemini/mock.ts';
import { cachedContentEndpoints, mockTokenCount } from '../gemini/mock-cache.ts';
import { VERTEX_ANTHROPIC_VERSION } from './anthropic-publisher.ts';
import { predictAnswer } from './mock-embeddings.ts';
import { MockTokenService, unauthenticatedBody } from './mock-tokens.ts';

/** `dialectOptions.vertex` of startMock. */
export interface VertexMockOptions {
  /** Accept JWT-bearer grants signed by these accounts' keys (a PEM public or private key). */
  serviceAccounts?: Array<{ clientEmail: string; key: string | KeyObject }>;
  /** Lifetime of issued access tokens in seconds (default 3599, as Google). */
  tokenLifetimeS?: number;
  /** A token service of the test's own, to count grants and rejections. */
  tokens?: MockTokenService;
}

const OWN_ACCOUNT = 'sluice-mock@mock-project.iam.gserviceaccount.com';
const JSON_TYPE = { 'content-type': 'application/json; charset=UTF-8' };
/** Statuses Vertex's front end produces itself, before a request reaches the model. */
const FRONT_END_STATUSES: ReadonlySet<number> = new Set([401, 403, 404, 429]);

function options(ctx: MockContext): VertexMockOptions {
  return (ctx.options ?? {}) as VertexMockOptions;
}

/** The mock server's Google token service (shared by both dialects and the token endpoints). */
function tokensOf(ctx: MockContext): MockTokenService {
  return ctx.state('vertex:tokens', () => {
    const o = options(ctx);
    const tokens = o.tokens ?? new MockTokenService({ lifetimeS: o.tokenLifetimeS, now: ctx.now });
    for (const sa of o.serviceAccounts ?? []) tokens.addServiceAccount(sa.clientEmail, sa.key);
    return tokens;
  });
}

/** The mock's own service account, generated on first request: for users trying a chain without a key file. */
function ownAccount(ctx: MockContext): { privateKeyPem: string } {
  return ctx.state('vertex:own-account', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    tokensOf(ctx).addServiceAccount(OWN_ACCOUNT, privateKey);
    return { privateKeyPem: privateKey };
  });
}

function reply(status: number, body: unknown, headers: Record<string, string> = JSON_TYPE): MockHttpReply {
  return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

function header(req: MockHttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Bearer token on project paths; an API key on express-mode paths (no project segment). */
function authorize(req: MockHttpRequest, ctx: MockContext): MockHttpReply | undefined {
  if (!req.path.includes('/projects/')) {
    const key = header(req, 'x-goog-api-key');
    if (key === undefined || key === '') return reply(401, { error: { code: 401, message: 'API keys are not supported by this API. Expected OAuth2 access token or other authentication credentials that assert a principal.', status: 'UNAUTHENTICATED' } });
    return undefined;
  }
  const check = tokensOf(ctx).checkBearer(header(req, 'authorization'));
  return check === 'ok' ? undefined : reply(401, unauthenticatedBody(check));
}

function pathModel(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// ---------------------------------------------------------------------------------------------
// Claude models

/**
 * `vertex-2023-10-16` (Google's documented value, what sluice sends), or an Anthropic API version
 * date: Anthropic's Vertex SDK 1.1.5 copies its `anthropic-version` header into the body
 * (`2026-10-21` with @anthropic-ai/sdk 1.12; docs/cloud-providers.md).
 */
function isAnthropicVersion(v: unknown): boolean {
  return typeof v === 'string' && /^(?:vertex-)?\d{4}-\d{2}-\d{2}$/.test(v);
}

function inspectClaude(body: unknown, route: RouteInfo): Inspected | string {
  if (!isObject(body)) return 'request body must be a JSON object';
  if (!isAnthropicVersion(body.anthropic_version)) return `anthropic_version: Field required (e.g. '${VERTEX_ANTHROPIC_VERSION}')`;
  if ('model' in body) return 'model: Extra inputs are not permitted';
  const info = anthropicMock.inspect(body, route);
  if (typeof info === 'string') return info;
  if (route.pathStream !== undefined && info.stream !== route.pathStream) {
    return route.pathStream ? 'stream: must be true for streamRawPredict' : 'stream: must be false for rawPredict';
  }
  return { ...info, model: route.pathModel ?? info.model };
}

function claudeErrorJson(status: number, message: string): string {
  if (status === 429) {
    return JSON.stringify([{ error: { code: 429, message: `Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude. ${message}`, status: 'RESOURCE_EXHAUSTED' } }]);
  }
  if (status === 401) return unauthenticatedBody('expired');
  return FRONT_END_STATUSES.has(status) ? geminiMock.errorJson(status, message) : anthropicMock.errorJson(status, message);
}

const CLAUDE_PATH = /\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/;

export const vertexClaudeMock: Dialect = {
  ...anthropicMock,
  name: 'vertex',
  routes: [
    {
      path: CLAUDE_PATH,
      help: ['POST …/v1/projects/P/locations/L/publishers/anthropic/models/M:streamRawPredict', 'Vertex AI, Claude models (also :rawPredict, count-tokens:rawPredict); Bearer token from POST /token'],
      info: (m) => ({ pathModel: pathModel(m[1]!), pathStream: m[2] === 'streamRawPredict' }),
      authorize,
    },
  ],
  endpoints: [
    // The JWT-bearer grant (RFC 7523) at the service account's token_uri.
    { method: 'POST', path: /^\/token$/, handle: (req, ctx) => tokensOf(ctx).grant(req.body, `${req.origin}/token`) },
    // ADC on Google Cloud: the metadata server (Metadata-Flavor: Google both ways).
    {
      method: 'GET',
      path: /^\/computeMetadata\/v1\/instance\/service-accounts\/[^/]+\/token$/,
      handle: (req, ctx) => tokensOf(ctx).metadataToken(header(req, 'metadata-flavor')),
    },
    { method: 'GET', path: /^\/computeMetadata\/v1\/?(?:instance\/?)?$/, handle: () => reply(200, '', { 'metadata-flavor': 'Google', 'content-type': 'text/plain' }) },
    { method: 'GET', path: /^\/computeMetadata\/v1\/project\/project-id$/, handle: () => reply(200, 'mock-project', { 'metadata-flavor': 'Google', 'content-type': 'text/plain' }) },
    // A ready-made key file whose token_uri is this mock (`curl …/vertex/service-account.json > sa.json`).
    {
      method: 'GET',
      path: /^\/vertex\/service-account\.json$/,
      handle: (req, ctx) =>
        reply(200, {
          type: 'service_account',
          project_id: 'mock-project',
          private_key_id: 'sluice-mock',
          private_key: ownAccount(ctx).privateKeyPem,
          client_email: OWN_ACCOUNT,
          client_id: '0',
          token_uri: `${req.origin}/token`,
        }),
    },
    // Token counts, both publishers (they answer before the chat routes).
    { method: 'POST', path: /\/publishers\/anthropic\/models\/count-tokens:rawPredict$/, handle: countClaude },
    { method: 'POST', path: /\/publishers\/google\/models\/[^/:]+:countTokens$/, handle: countGemini },
    // Context caches of a project location (gemini.md §9), with the same Bearer check as the models.
    ...cachedContentEndpoints({
      collection: /\/v1(?:beta1)?\/(projects\/[^/]+\/locations\/[^/]+\/)cachedContents$/,
      resource: /\/v1(?:beta1)?\/(projects\/[^/]+\/locations\/[^/]+\/cachedContents\/[^/]+)$/,
      modelOk: (model, parent) => model.startsWith(`${parent}publishers/google/models/`) && !model.slice(parent.length + 'publishers/google/models/'.length).includes('/'),
      authorize,
    }),
  ],
  inspect: inspectClaude,
  errorJson: claudeErrorJson,
  requestIdHeader: 'x-vertex-request-id',
};

export { mockTokenCount };

function parseBody(req: MockHttpRequest): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(req.body);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function countClaude(req: MockHttpRequest, ctx: MockContext): MockHttpReply {
  const refused = authorize(req, ctx);
  if (refused !== undefined) return refused;
  const body = parseBody(req);
  if (body === undefined) return reply(400, anthropicMock.errorJson(400, 'request body must be a JSON object'));
  if (!isAnthropicVersion(body.anthropic_version)) return reply(400, anthropicMock.errorJson(400, `anthropic_version: Field required (e.g. '${VERTEX_ANTHROPIC_VERSION}')`));
  if (typeof body.model !== 'string') return reply(400, anthropicMock.errorJson(400, 'model: Field required'));
  if (!Array.isArray(body.messages)) return reply(400, anthropicMock.errorJson(400, 'messages: Field required'));
  for (const refusedField of ['max_tokens', 'stream', 'temperature']) {
    if (refusedField in body) return reply(400, anthropicMock.errorJson(400, `${refusedField}: Extra inputs are not permitted`));
  }
  return reply(200, { input_tokens: mockTokenCount([body.system, body.messages, body.tools]) });
}

function countGemini(req: MockHttpRequest, ctx: MockContext): MockHttpReply {
  const refused = authorize(req, ctx);
  if (refused !== undefined) return refused;
  const body = parseBody(req);
  if (body === undefined || !Array.isArray(body.contents)) return reply(400, geminiMock.errorJson(400, '* CountTokensRequest.contents: contents is not specified'));
  const total = mockTokenCount([body.systemInstruction, body.contents, body.tools]);
  return reply(200, { totalTokens: total, promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }] });
}

// ---------------------------------------------------------------------------------------------
// Google's models

const PREDICT_PATH = /\/(?:v1|v1beta1)\/(?:projects\/[^/]+\/locations\/[^/]+\/)?publishers\/google\/models\/([^/:]+):predict$/;
const GOOGLE_PATH = /\/(?:v1|v1beta1)\/(?:projects\/[^/]+\/locations\/[^/]+\/)?publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

export const vertexGoogleMock: Dialect = {
  ...geminiMock,
  name: 'vertex',
  // Vertex's own thought signatures; the Gemini API's are refused.
  streamEvents: (ctx) => geminiMock.streamEvents(ctx).map((e) => ({ ...e, data: e.data?.replace(GEMINI_API_SIGNATURE, VERTEX_SIGNATURE) })),
  responseJson: (ctx) => geminiMock.responseJson(ctx).replace(GEMINI_API_SIGNATURE, VERTEX_SIGNATURE),
  resolve: (body, info, ctx) =>
    refuseSignature(body, GEMINI_API_SIGNATURE, 'Unable to submit request because Thought signature is not valid.') ?? resolveCachedContent(body, info, ctx),
  // Vertex's own (project-location) endpoints are listed once, above; the Gemini API's are not Vertex's.
  endpoints: [],
  routes: [
    {
      path: GOOGLE_PATH,
      help: ['POST …/v1beta1/projects/P/locations/L/publishers/google/models/M:streamGenerateContent?alt=sse', 'Vertex AI, Gemini models (also :generateContent, :countTokens; v1 too)'],
      info: (m, query) => {
        const stream = m[2] === 'streamGenerateContent';
        return { pathModel: pathModel(m[1]!), pathStream: stream, jsonArray: stream && query.get('alt') !== 'sse' };
      },
      authorize,
    },
  ],
  // Text embeddings through `:predict` (not the Gemini API's embedContent, which Vertex paths do not take here).
  embeddings: {
    routes: [
      {
        path: PREDICT_PATH,
        help: ['POST …/v1/projects/P/locations/L/publishers/google/models/M:predict', 'Vertex AI text embeddings: deterministic vectors, statistics.token_count; Bearer token'],
        info: (m) => ({ pathModel: pathModel(m[1]!), method: 'predict' }),
        authorize,
      },
    ],
    answer: predictAnswer,
  },
  errorJson: (status, message) => (status === 401 ? unauthenticatedBody('expired') : geminiMock.errorJson(status, message)),
};

export const vertexMock: readonly Dialect[] = [vertexClaudeMock, vertexGoogleMock];
