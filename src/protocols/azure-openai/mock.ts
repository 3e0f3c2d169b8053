// Azure OpenAI as `sluice mock` speaks it: OpenAI Chat Completions chunks with Azure's content-filter
// shapes (docs/cloud-providers.md): the prompt annotation first (empty id/model/choices), `"usage":null`
// on every chunk, a delta-less annotation chunk mid-stream and another after the finish chunk (the
// asynchronous filter, Q-43). `finish=content_filter` plays the asynchronous filter blocking text it
// already let through: the usual `stop` finish, then a late annotation with
// `finish_reason:"content_filter"`. Errors carry a string `code`.

import type { Dialect, Inspected, MockContext, MockHttpReply, MockHttpRequest, RouteInfo, SseEvent, StreamContext } from '../../mock/dialect.ts';
import { openaiMock as openai } from '../openai/mock.ts';
import { responsesMock } from '../openai-responses/mock.ts';
import { MockTokenService } from '../vertex/mock-tokens.ts';
import { azureUnauthorizedBody, checkAzureAuth, msiToken } from './mock-auth.ts';

/** `dialectOptions['azure-openai']` of startMock. */
export interface AzureMockOptions {
  /** The only `api-key` accepted (default: any non-empty key). */
  apiKey?: string;
  /** Lifetime of managed-identity tokens in seconds (default 3599). */
  tokenLifetimeS?: number;
  /** A token service of the test's own. */
  tokens?: MockTokenService;
}

const FILTER_RESULTS =
  '{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},' +
  '"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}';
const PROMPT_FILTER = `{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":${FILTER_RESULTS}}],"usage":null}`;
const BLOCKED_RESULTS = '{"protected_material_text":{"detected":true,"filtered":true}}';

function annotation(finish: string, end: number, results = FILTER_RESULTS): SseEvent {
  return {
    data:
      `{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":${finish},` +
      `"content_filter_results":${results},"content_filter_offsets":{"check_offset":0,"start_offset":0,"end_offset":${end}}}],"usage":null}`,
  };
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  // The late-blocking case streams like a normal answer and ends with the filter's verdict.
  const late = ctx.answer.finish === 'content_filter';
  const inner = openai.streamEvents(late ? { ...ctx, answer: { ...ctx.answer, finish: 'stop' } } : ctx);
  const textLength = ctx.answer.text.reduce((n, t) => n + t.length, 0);
  const events: SseEvent[] = [{ data: PROMPT_FILTER }];
  const finalAt = inner.findIndex((e) => e.final === true);
  const middle = finalAt > 1 ? Math.ceil(finalAt / 2) : -1;
  for (let i = 0; i < inner.length; i++) {
    const e = inner[i]!;
    if (i === middle) events.push(annotation('null', textLength >> 1));
    events.push(e);
    if (i === finalAt) events.push(late ? annotation('"content_filter"', textLength, BLOCKED_RESULTS) : annotation('null', textLength));
  }
  return events;
}

/** `{"error":{"code":"429","message":…}}`: Azure's codes are strings, type and param absent. */
function errorJson(status: number, message: string): string {
  return JSON.stringify({ error: { code: String(status), message } });
}

function inspect(body: unknown, route: RouteInfo): Inspected | string {
  const info = openai.inspect(body, route);
  if (typeof info === 'string') return info;
  // Classic deployment paths name the deployment; the body's model is ignored there.
  return route.pathModel !== undefined ? { ...info, model: route.pathModel } : info;
}

function optionsOf(ctx: MockContext): AzureMockOptions {
  return (ctx.options ?? {}) as AzureMockOptions;
}

function tokensOf(ctx: MockContext): MockTokenService {
  return ctx.state('azure-openai:tokens', () => optionsOf(ctx).tokens ?? new MockTokenService({ lifetimeS: optionsOf(ctx).tokenLifetimeS, now: ctx.now }));
}

function json(status: number, body: string): MockHttpReply {
  return { status, headers: { 'content-type': 'application/json' }, body };
}

/** `api-key` or an issued Entra token; classic paths also need `api-version` (else Azure's 404). */
function authorize(req: MockHttpRequest, ctx: MockContext): MockHttpReply | undefined {
  // Every classic path needs api-version; the v1 API takes none (or `preview`).
  if (!req.path.includes('/openai/v1/') && !req.query.has('api-version')) {
    return json(404, JSON.stringify({ error: { code: '404', message: 'Resource not found' } }));
  }
  const check = checkAzureAuth(tokensOf(ctx), req.headers, optionsOf(ctx).apiKey);
  return check === 'ok' ? undefined : json(401, azureUnauthorizedBody(check));
}

export const azureOpenAIMock: Dialect = {
  ...openai,
  name: 'azure-openai',
  routes: [
    {
      path: /\/openai\/deployments\/([^/]+)\/chat\/completions$/,
      help: ['POST …/openai/deployments/D/chat/completions?api-version=V', 'Azure OpenAI, classic (api-key or an Entra token from GET /msi/token)'],
      info: (m) => ({ pathModel: decodeURIComponent(m[1]!) }),
      authorize,
    },
    // Also an OpenAI-compatible base path (Groq's is /openai/v1): Azure's only with Azure credentials.
    {
      path: /\/openai\/v1\/chat\/completions$/,
      help: ['POST …/openai/v1/chat/completions', 'Azure OpenAI, v1 API (only with api-key or an Entra token; otherwise OpenAI)'],
      accepts: isAzureRequest,
      authorize,
    },
  ],
  endpoints: [
    // App Service managed identity (@azure/identity with IDENTITY_ENDPOINT/IDENTITY_HEADER pointed here).
    { method: 'GET', path: /^\/msi\/token$/, handle: (req, ctx) => msiToken(tokensOf(ctx), req.query, headerOf(req, 'x-identity-header')) },
  ],
  inspect,
  streamEvents,
  errorJson,
  requestIdHeader: 'apim-request-id',
};

/** An `api-key`, or a bearer token this mock issued (expired ones too: they deserve Azure's 401). */
function isAzureRequest(req: MockHttpRequest, ctx: MockContext): boolean {
  if (headerOf(req, 'api-key') !== undefined) return true;
  const check = tokensOf(ctx).peekBearer(headerOf(req, 'authorization'));
  return check === 'ok' || check === 'expired';
}

function headerOf(req: MockHttpRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Azure OpenAI Responses: OpenAI's Responses shapes at Azure's paths, with Azure's auth and errors. */
export const azureResponsesMock: Dialect = {
  ...responsesMock,
  name: 'azure-openai',
  routes: [
    {
      path: /\/openai\/responses$/,
      help: ['POST …/openai/responses?api-version=V', 'Azure OpenAI Responses, classic (model = deployment)'],
      authorize,
    },
    {
      path: /\/openai\/v1\/responses$/,
      help: ['POST …/openai/v1/responses', 'Azure OpenAI Responses, v1 API (only with api-key or an Entra token; otherwise OpenAI)'],
      accepts: isAzureRequest,
      authorize,
    },
  ],
  endpoints: [],
  errorJson,
  requestIdHeader: 'apim-request-id',
};
