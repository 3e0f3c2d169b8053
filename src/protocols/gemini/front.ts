// The Gemini API as a front (gemini.md §8): `@google/genai`, Gemini CLI and curl users speak it to
// sluice, over any upstream type. Routes under `/v1beta/` and `/v1/` (where `@google/genai` 3.x goes
// by default); the method is glued to the model segment (`gemini-2.5-flash:streamGenerateContent`),
// also sent percent-encoded (`%3A`). Keys as `x-goog-api-key`, `?key=` or Bearer.

import { SSE_DOWNSTREAM, type FrontCodec, type FrontHttpRequest, type FrontHttpResponse, type FrontRequestInfo, type FrontRoute, type FrontServices } from '../../core/protocol.ts';
import { GatewayError } from '../../core/errors.ts';
import { decodeGeminiRequest } from './decode-request.ts';
import { decodeGeminiCountRequest, encodeGeminiCount } from './count-tokens.ts';
import { createGeminiStreamEncoder } from './encode-stream.ts';
import { encodeGeminiResponse } from './encode-response.ts';
import { encodeGeminiError } from './front-errors.ts';
import type { GeminiFrontState } from './front-wire.ts';
import { getGeminiModel, listGeminiModels } from './models.ts';

const VERSIONS = ['/v1beta', '/v1'];
/** `:` as sent, and percent-encoded as some HTTP clients send it. */
const SEPARATORS = [':', '%3A', '%3a'];

const JSON_ARRAY_FRAMING = {
  contentType: 'application/json; charset=UTF-8',
  // Whitespace between array elements is valid JSON: a keepalive that no JSON parser sees.
  keepalive: '\n',
};

function modelRoutes(): FrontRoute[] {
  const routes: FrontRoute[] = [];
  for (const v of VERSIONS) {
    for (const sep of SEPARATORS) {
      routes.push(
        { method: 'POST', path: `${v}/models/{model+}${sep}generateContent`, op: 'chat', variant: 'generate' },
        { method: 'POST', path: `${v}/models/{model+}${sep}streamGenerateContent`, op: 'chat', variant: 'stream' },
        { method: 'POST', path: `${v}/models/{model+}${sep}countTokens`, op: 'count-tokens', variant: 'count' },
        // Part of Gemini CLI's client interface (gemini.md §8.1); sluice does not embed through this front.
        { method: 'POST', path: `${v}/models/{model+}${sep}embedContent`, op: 'custom', handle: notServed },
        { method: 'POST', path: `${v}/models/{model+}${sep}batchEmbedContents`, op: 'custom', handle: notServed },
      );
    }
    // GET /v1/models is OpenAI's list; it adds Google's `models` for Google clients (openai/models.ts).
    if (v === '/v1beta') routes.push({ method: 'GET', path: `${v}/models`, op: 'custom', handle: listModels });
    routes.push({ method: 'GET', path: `${v}/models/{model+}`, op: 'custom', handle: getModel });
  }
  return routes;
}

function listModels(req: FrontHttpRequest, services: FrontServices): FrontHttpResponse {
  return { status: 200, body: listGeminiModels(services.modelNames(), req.query) };
}

function getModel(req: FrontHttpRequest, services: FrontServices): FrontHttpResponse {
  return { status: 200, body: getGeminiModel(services.modelNames(), req.params.model ?? '') };
}

function notServed(req: FrontHttpRequest): FrontHttpResponse {
  throw new GatewayError('not_found', `${req.path} is not served by sluice's Gemini front`);
}

/** `x-goog-api-key` (the SDKs), `?key=` (curl, Google's REST docs) or `Authorization: Bearer`. */
function clientKey(info: FrontRequestInfo): string | undefined {
  const goog = info.headers['x-goog-api-key'];
  if (typeof goog === 'string' && goog.trim() !== '') return goog.trim();
  const query = info.query.get('key');
  if (query !== null && query !== '') return query;
  const auth = info.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  const x = info.headers['x-api-key'];
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
}

export const geminiFront: FrontCodec = {
  name: 'gemini',
  routes: modelRoutes(),
  clientKey,
  decodeRequest(body, info, services) {
    const model = info.params.model ?? '';
    const log = (fields: Record<string, unknown>, message: string): void => services.log(fields, message);
    if (info.variant === 'count') return decodeGeminiCountRequest(body, model, log);
    return decodeGeminiRequest(body, { model, stream: info.variant === 'stream', alt: info.query.get('alt') }, log);
  },
  streamFraming(ctx) {
    const state = ctx.chat?.frontState as GeminiFrontState | undefined;
    return state?.framing === 'json-array' ? JSON_ARRAY_FRAMING : SSE_DOWNSTREAM;
  },
  createStreamEncoder: (ctx, out) => createGeminiStreamEncoder(ctx, out),
  encodeResponse: encodeGeminiResponse,
  encodeError: (err) => encodeGeminiError(err),
  encodeCount: (count) => encodeGeminiCount(count),
};
