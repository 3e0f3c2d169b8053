// The request a provider actually sends: its codec's buildRequest, then its provider type's
// outbound auth (core/protocol.ts OutboundAuth), as the attempt does.

import type { ChatRequest } from '../../src/core/request.ts';
import type { ProviderType, UpstreamEndpoint, UpstreamHttpRequest } from '../../src/core/protocol.ts';

export function signed(type: ProviderType, req: ChatRequest, model: string, endpoint: UpstreamEndpoint, stream: boolean): UpstreamHttpRequest {
  const upstream = type.create(endpoint, { now: Date.now });
  if (upstream.kind !== 'http') throw new Error(`${type.type} is not an HTTP upstream`);
  const http = upstream.codecFor(model).buildRequest(req, model, endpoint, stream);
  const pending = upstream.auth.apply(http, new AbortController().signal);
  if (pending !== undefined) throw new Error('auth is asynchronous: use signedAsync');
  return http;
}
