// GET /v1/models: the model names a client may ask for, in OpenAI's list shape (SPEC §3). Every SDK
// and most agent tools list models this way before they choose one.

import type { FrontHttpRequest, FrontHttpResponse, FrontServices } from '../../core/protocol.ts';
import { listGeminiModels } from '../gemini/models.ts';

export function modelList(req: FrontHttpRequest, services: FrontServices): FrontHttpResponse {
  const created = Math.floor(Date.now() / 1000);
  const names = services.modelNames();
  const body: Record<string, unknown> = {
    object: 'list',
    data: names.map((id) => ({ id, object: 'model', created, owned_by: 'sluice' })),
  };
  // `@google/genai` 3.x lists models at the same path (GET /v1/models, gemini.md §8.2) and reads
  // `models` and `nextPageToken`; it is recognised by its headers.
  if (req.headers['x-goog-api-key'] !== undefined || req.headers['x-goog-api-client'] !== undefined) {
    Object.assign(body, JSON.parse(listGeminiModels(names, req.query)) as Record<string, unknown>);
  }
  return { status: 200, body: JSON.stringify(body) };
}
