// AWS Bedrock Runtime, both ways (bedrock.md): as an upstream (the `bedrock` provider type:
// Converse / ConverseStream, SigV4 or Bedrock API keys, AWS event-stream framing) and as a front
// (clients that speak only Bedrock — the AWS SDKs, Claude Code's Bedrock mode — reach any model:
// Converse, ConverseStream, InvokeModel[WithResponseStream] with Anthropic bodies, CountTokens).

import type { FrontCodec, FrontHttpRequest, FrontHttpResponse, FrontServices } from '../../core/protocol.ts';
import { GatewayError } from '../../core/errors.ts';
import type { ChatRequest } from '../../core/request.ts';
import type { Protocol } from '../plugin.ts';
import { encodeAnthropicResponse } from '../anthropic/encode-response.ts';
import { bedrockConformance } from './conformance.ts';
import { decodeConverseRequest, validationError } from './decode-request.ts';
import { encodeConverseResponse } from './encode-response.ts';
import { createConverseStreamEncoder } from './encode-stream.ts';
import { encodeBedrockError } from './errors.ts';
import { createInvokeStreamEncoder, decodeInvokeRequest } from './invoke.ts';
import { bedrockMock } from './mock.ts';
import { bedrockProviderType } from './provider.ts';
import { bedrockUpstreamCodec } from './upstream.ts';
import { EVENT_STREAM_CONTENT_TYPE } from './wire.ts';
import type { FrontRequestInfo } from '../../core/protocol.ts';

type Variant = 'converse' | 'converse-stream' | 'invoke' | 'invoke-stream' | 'count-tokens';

function decodeRequest(body: unknown, info: FrontRequestInfo): ChatRequest {
  const model = info.params.modelId ?? '';
  if (model === '') throw validationError('modelId', 'Member must have length greater than or equal to 1');
  switch (info.variant as Variant) {
    case 'converse':
      return decodeConverseRequest(body, { model, stream: false });
    case 'converse-stream':
      return decodeConverseRequest(body, { model, stream: true });
    case 'invoke':
      return decodeInvokeRequest(body, info.headers, { model, stream: false });
    case 'invoke-stream':
      return decodeInvokeRequest(body, info.headers, { model, stream: true });
    case 'count-tokens':
      return decodeCountTokens(body, info, model);
  }
  throw new GatewayError('internal', `no Bedrock operation ${String(info.variant)}`);
}

/** CountTokens input: `{input:{converse:{messages, system, toolConfig}}}` or `{input:{invokeModel:{body}}}` (base64 JSON). */
function decodeCountTokens(body: unknown, info: FrontRequestInfo, model: string): ChatRequest {
  const input = (body as { input?: Record<string, unknown> } | null)?.input;
  if (typeof input !== 'object' || input === null) throw validationError('input', 'Member must not be null');
  if (input.converse !== undefined) return decodeConverseRequest(input.converse, { model, stream: false });
  const invoke = input.invokeModel as { body?: unknown } | undefined;
  if (typeof invoke?.body !== 'string') throw validationError('input', 'Member must contain one of converse, invokeModel');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(invoke.body, 'base64').toString('utf8'));
  } catch {
    throw validationError('input.invokeModel.body', 'Member must be base64-encoded JSON');
  }
  return decodeInvokeRequest(parsed, info.headers, { model, stream: false });
}

/**
 * ListInferenceProfiles (a Bedrock control-plane call Claude Code makes at start): the configured
 * model names as system-defined profiles, so a client that picks its model from this list finds them.
 */
function listInferenceProfiles(_req: FrontHttpRequest, services: FrontServices): FrontHttpResponse {
  const at = new Date(0).toISOString();
  const inferenceProfileSummaries = services.modelNames().map((id) => ({
    inferenceProfileName: id,
    description: `sluice model ${id}`,
    createdAt: at,
    updatedAt: at,
    inferenceProfileArn: `arn:aws:bedrock:us-east-1:000000000000:inference-profile/${id}`,
    models: [{ modelArn: `arn:aws:bedrock:us-east-1::foundation-model/${id}` }],
    inferenceProfileId: id,
    status: 'ACTIVE',
    type: 'SYSTEM_DEFINED',
  }));
  return { status: 200, body: JSON.stringify({ inferenceProfileSummaries }) };
}

export const bedrockFront: FrontCodec = {
  name: 'bedrock',
  routes: [
    // `{modelId+}`: a raw ARN holds '/' (Claude Code sends ids unencoded); the AWS SDK sends %2F.
    { method: 'POST', path: '/model/{modelId+}/converse', op: 'chat', variant: 'converse' },
    { method: 'POST', path: '/model/{modelId+}/converse-stream', op: 'chat', variant: 'converse-stream' },
    { method: 'POST', path: '/model/{modelId+}/invoke', op: 'chat', variant: 'invoke' },
    { method: 'POST', path: '/model/{modelId+}/invoke-with-response-stream', op: 'chat', variant: 'invoke-stream' },
    { method: 'POST', path: '/model/{modelId+}/count-tokens', op: 'count-tokens', variant: 'count-tokens' },
    { method: 'GET', path: '/inference-profiles', op: 'custom', handle: listInferenceProfiles },
  ],
  requestIdHeader: 'x-amzn-requestid',
  decodeRequest: (body, info) => decodeRequest(body, info),
  // No keepalive bytes: an event-stream has no comment syntax (headers still go out on time).
  streamFraming: () => ({ contentType: EVENT_STREAM_CONTENT_TYPE }),
  createStreamEncoder: (ctx, out) => (ctx.variant === 'invoke-stream' ? createInvokeStreamEncoder(ctx, out) : createConverseStreamEncoder(ctx, out)),
  encodeResponse: (resp, ctx) => (ctx.variant === 'invoke' ? encodeAnthropicResponse(resp, ctx) : encodeConverseResponse(resp, ctx)),
  encodeError: (err) => encodeBedrockError(err),
  encodeCount: (count) => JSON.stringify({ inputTokens: count.inputTokens }),
};

export const bedrock: Protocol = {
  name: 'bedrock',
  front: bedrockFront,
  // The dialect's codec for reuse; providers of type bedrock get one per model family (provider.ts).
  upstream: bedrockUpstreamCodec('other'),
  providerTypes: [bedrockProviderType],
  mock: bedrockMock,
  conformance: bedrockConformance,
};
