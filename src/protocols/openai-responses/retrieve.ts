// GET and DELETE /v1/responses/{id}, GET /v1/responses/{id}/input_items (SPEC §3.1): the responses
// sluice stored (store.ts). Unknown, expired, another key's, or the store off: 404 in OpenAI's error
// shape, saying why (another key's reads as unknown: its existence is not revealed).

import type { FrontHttpRequest, FrontHttpResponse, FrontServices } from '../../core/protocol.ts';
import type { WireErrorBody } from './wire.ts';
import { deleteResponse, documentsOf, loadResponse } from './store.ts';

function error(status: number, message: string, param: string | null = null): FrontHttpResponse {
  const body: WireErrorBody = { error: { message, type: 'invalid_request_error', param, code: status === 404 ? 'not_found' : null } };
  return { status, body: JSON.stringify(body) };
}

function notFound(id: string, services: FrontServices): FrontHttpResponse {
  if (!documentsOf(services)) {
    return error(404, `Response with id '${id}' not found: this sluice keeps no responses (set responses.store: true in its config).`);
  }
  return error(404, `Response with id '${id}' not found: it is unknown to this sluice or expired.`);
}

export async function getStoredResponse(req: FrontHttpRequest, services: FrontServices): Promise<FrontHttpResponse> {
  const id = req.params.id ?? '';
  if (req.query.get('stream') === 'true') return error(400, 'Streaming a stored response is not supported by sluice; retrieve it without stream=true.', 'stream');
  const docs = documentsOf(services);
  const stored = docs ? await loadResponse(docs, id, req.keyName) : undefined;
  return stored ? { status: 200, body: JSON.stringify(stored.response) } : notFound(id, services);
}

export async function deleteStoredResponse(req: FrontHttpRequest, services: FrontServices): Promise<FrontHttpResponse> {
  const id = req.params.id ?? '';
  const docs = documentsOf(services);
  if (!docs || !(await deleteResponse(docs, id, req.keyName))) return notFound(id, services);
  return { status: 200, body: JSON.stringify({ id, object: 'response', deleted: true }) };
}

export async function getStoredInputItems(req: FrontHttpRequest, services: FrontServices): Promise<FrontHttpResponse> {
  const id = req.params.id ?? '';
  const docs = documentsOf(services);
  const stored = docs ? await loadResponse(docs, id, req.keyName) : undefined;
  if (!stored) return notFound(id, services);
  const data = req.query.get('order') === 'asc' ? stored.input : [...stored.input].reverse();
  const idOf = (item: unknown): string | null => (typeof (item as { id?: unknown })?.id === 'string' ? (item as { id: string }).id : null);
  return {
    status: 200,
    body: JSON.stringify({ object: 'list', data, first_id: idOf(data[0]), last_id: idOf(data[data.length - 1]), has_more: false }),
  };
}
