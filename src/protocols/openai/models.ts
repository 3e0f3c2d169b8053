// GET /v1/models: the model names a client may ask for, in OpenAI's list shape (SPEC §3). Every SDK
// and most agent tools list models this way before they choose one.

import type { FrontHttpRequest, FrontHttpResponse, FrontServices } from '../../core/protocol.ts';

export function modelList(_req: FrontHttpRequest, services: FrontServices): FrontHttpResponse {
  const created = Math.floor(Date.now() / 1000);
  return {
    status: 200,
    body: JSON.stringify({
      object: 'list',
      data: services.modelNames().map((id) => ({ id, object: 'model', created, owned_by: 'sluice' })),
    }),
  };
}
