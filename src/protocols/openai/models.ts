// GET /v1/models: the model names a client may ask for, in OpenAI's list shape (SPEC §3). Every SDK
// and most agent tools list models this way before they choose one. The same body also carries
// Codex CLI's shape (`models: [ModelInfo]`, docs/protocols/openai-responses.md §6), which Codex asks
// for as GET {base_url}/models?client_version=… in the builds that fetch a model list, with an ETag
// so an unchanged list is a 304.

import { createHash } from 'node:crypto';
import type { FrontHttpRequest, FrontHttpResponse, FrontRequestInfo, FrontServices } from '../../core/protocol.ts';
import { listGeminiModels } from '../gemini/models.ts';

/**
 * Codex's per-model metadata, with the fields its fixtures show. `base_instructions` is left out on
 * purpose: Codex would replace its own system prompt with it.
 */
function codexModelInfo(slug: string, priority: number): Record<string, unknown> {
  return {
    slug,
    display_name: slug,
    description: 'Served by sluice',
    default_reasoning_level: 'medium',
    supported_reasoning_levels: [
      { effort: 'low', description: 'Fast responses with lighter reasoning' },
      { effort: 'medium', description: 'Balances speed and reasoning depth' },
      { effort: 'high', description: 'Greater reasoning depth for complex problems' },
    ],
    shell_type: 'shell_command',
    visibility: 'list',
    supported_in_api: true,
    priority,
    upgrade: null,
    supports_reasoning_summaries: true,
    support_verbosity: false,
    default_verbosity: null,
    apply_patch_tool_type: null,
    truncation_policy: { mode: 'bytes', limit: 10_000 },
    supports_parallel_tool_calls: true,
    context_window: null,
    experimental_supported_tools: [],
  };
}

export function modelList(req: FrontHttpRequest, services: FrontServices): FrontHttpResponse {
  const names = services.modelNames();
  // The ETag follows the names only, so it is stable while the configuration is.
  const etag = `"${createHash('sha256').update(names.join('\n')).digest('base64url').slice(0, 22)}"`;
  if (req.headers['if-none-match'] === etag) return { status: 304, headers: { etag }, body: '' };
  const created = Math.floor(Date.now() / 1000);
  return {
    status: 200,
    headers: { etag },
    body: JSON.stringify({
      object: 'list',
      data: names.map((id) => ({ id, object: 'model', created, owned_by: 'sluice' })),
      ...modelsMember(req, names),
    }),
  };
}

/**
 * `models` for the client asking: `@google/genai` 3.x lists models at this path too (GET /v1/models,
 * gemini.md §8.2) and reads Google `Model` resources and `nextPageToken`; it is recognised by its
 * headers. Everyone else gets Codex's ModelInfo list.
 */
function modelsMember(req: FrontHttpRequest, names: string[]): Record<string, unknown> {
  if (req.headers['x-goog-api-key'] !== undefined || req.headers['x-goog-api-client'] !== undefined) {
    return JSON.parse(listGeminiModels(names, req.query)) as Record<string, unknown>;
  }
  return { models: names.map((slug, i) => codexModelInfo(slug, i)) };
}

/**
 * The client key of a model-list request from `@google/genai`, which sends it as `x-goog-api-key`
 * (gemini.md §8.2); undefined leaves the default (Bearer or x-api-key). Other OpenAI routes take
 * the default only.
 */
export function modelListKey(info: FrontRequestInfo): string | undefined {
  if (info.variant !== 'models') return undefined;
  const goog = info.headers['x-goog-api-key'];
  return typeof goog === 'string' && goog.trim() !== '' ? goog.trim() : undefined;
}
