// Stored Responses (SPEC §3.1): with `responses.store: true` sluice keeps each response in the
// configured store (FrontServices.documents: SQLite or PostgreSQL) for `responses.retention`, so a
// later request can name it in `previous_response_id`, fetch it with GET /v1/responses/{id}, or point
// at one of its output items with an `item_reference` (the Vercel AI SDK does, with OpenAI's default
// store: true). Two kinds of documents: the response with its expanded input, and each output item.

import type { DocumentStore, FrontServices } from '../../core/protocol.ts';
import type { OutItem, OutResponse } from './wire.ts';

export const RESPONSE_KIND = 'openai-responses.response';
export const ITEM_KIND = 'openai-responses.item';

/** SPEC §2: responses.retention defaults to 30 days. */
export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

export interface StoredResponse {
  response: OutResponse;
  /** The input the response answered, previous turns included (what previous_response_id replays). */
  input: unknown[];
}

/**
 * Writes that have started but not finished, by document key. A client that sends the next turn the
 * moment the previous one ended must find it: a read of a pending key waits for its write.
 */
const pending = new Map<string, Promise<void>>();

const key = (kind: string, id: string): string => `${kind}\u0000${id}`;

export interface ResponsesSettings {
  store: boolean;
  retentionMs: number;
}

/** The front's config section (`responses:` in sluice.yaml). Durations may come parsed or as text. */
export function readSettings(settings: Readonly<Record<string, unknown>> | undefined): ResponsesSettings {
  const store = settings?.store === true;
  const retention = settings?.retention ?? settings?.retentionMs;
  return { store, retentionMs: retention === undefined ? DEFAULT_RETENTION_MS : parseRetention(retention) };
}

const RETENTION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseRetention(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value === 'string') {
    const m = RETENTION.exec(value.trim().toLowerCase());
    if (m) return Number(m[1]) * UNIT_MS[m[2]!]!;
    if (/^\d+$/.test(value.trim())) return Number(value.trim());
  }
  return DEFAULT_RETENTION_MS;
}

/** The document store when responses.store is on, else undefined. */
export function documentsOf(services: FrontServices | undefined): DocumentStore | undefined {
  if (!services?.documents) return undefined;
  return readSettings(services.settings).store ? services.documents : undefined;
}

/** Starts writing a finished response and its output items; failures are logged, never thrown. */
export function saveResponse(services: FrontServices, stored: StoredResponse, ttlMs: number): void {
  const docs = services.documents;
  if (!docs) return;
  const write = (kind: string, id: string, value: unknown): void => {
    const k = key(kind, id);
    const p = docs
      .put(kind, id, value, ttlMs)
      .catch((err: unknown) => services.log({ kind, id, err: (err as Error)?.message }, 'responses: storing failed'))
      .finally(() => {
        if (pending.get(k) === p) pending.delete(k);
      });
    pending.set(k, p);
  };
  for (const item of stored.response.output) write(ITEM_KIND, item.id, item);
  write(RESPONSE_KIND, stored.response.id, stored);
}

async function read(docs: DocumentStore, kind: string, id: string): Promise<unknown> {
  await pending.get(key(kind, id));
  return docs.get(kind, id);
}

export async function loadResponse(docs: DocumentStore, id: string): Promise<StoredResponse | undefined> {
  const value = (await read(docs, RESPONSE_KIND, id)) as StoredResponse | undefined;
  return value && typeof value === 'object' && value.response ? value : undefined;
}

export async function loadItem(docs: DocumentStore, id: string): Promise<OutItem | undefined> {
  const value = (await read(docs, ITEM_KIND, id)) as OutItem | undefined;
  return value && typeof value === 'object' ? value : undefined;
}

/** Deletes a response and its output items; false when it was not there. */
export async function deleteResponse(docs: DocumentStore, id: string): Promise<boolean> {
  const stored = await loadResponse(docs, id);
  if (!stored) return false;
  await Promise.all(stored.response.output.map((item) => docs.delete(ITEM_KIND, item.id)));
  return docs.delete(RESPONSE_KIND, id);
}
