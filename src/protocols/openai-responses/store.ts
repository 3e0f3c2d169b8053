// Stored Responses (SPEC §3.1): with `responses.store: true` sluice keeps each response in the
// configured store (FrontServices.documents: SQLite or PostgreSQL) for `responses.retention`, so a
// later request can name it in `previous_response_id`, fetch it with GET /v1/responses/{id}, or point
// at one of its output items with an `item_reference` (the Vercel AI SDK does, with OpenAI's default
// store: true). Two kinds of documents: the response with its expanded input, and each output item.
// On a gateway with client keys each document names the key that made it, and only that key reads,
// continues or deletes it: another key's id is as unknown as an expired one. Documents without an
// owner (an open gateway, or written before owners were kept) stay readable by any key.

import { z } from 'zod';
import { bool } from '../../config/fields.ts';
import type { DocumentStore, FrontServices } from '../../core/protocol.ts';
import type { SettingsSection } from '../plugin.ts';
import type { OutItem, OutResponse } from './wire.ts';

export const RESPONSE_KIND = 'openai-responses.response';
export const ITEM_KIND = 'openai-responses.item';

/** SPEC §2: responses.retention defaults to 30 days. */
export const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

export interface StoredResponse {
  response: OutResponse;
  /** The input the response answered, previous turns included (what previous_response_id replays). */
  input: unknown[];
  /** Name of the client key whose request made it; absent on an open gateway. */
  owner?: string;
}

/** An output item document of a keyed gateway: the item and the key that may reference it. */
interface OwnedItem {
  owner: string;
  item: OutItem;
}

function isOwnedItem(value: unknown): value is OwnedItem {
  return typeof (value as OwnedItem).owner === 'string' && typeof (value as OwnedItem).item === 'object';
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

const RETENTION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `12h`, `90m`, or a number of milliseconds (SPEC §2 durations, plus days for retention). */
export function parseRetention(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`retention must be a positive duration, got ${value}`);
    return value;
  }
  const text = value.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(text) && Number(text) > 0) return Number(text);
  const m = RETENTION.exec(text);
  if (m && Number(m[1]) > 0) return Number(m[1]) * UNIT_MS[m[2]!]!;
  throw new RangeError(`invalid retention "${value}" (use e.g. 30d, 12h, 90m, or a number of milliseconds)`);
}

/** The `responses:` section of sluice.yaml (SPEC §2), declared by this protocol (Protocol.settings). */
export const responsesSettings: SettingsSection<ResponsesSettings> = {
  key: 'responses',
  schema: z.strictObject({
    store: bool(),
    retention: z
      .union([z.string(), z.number()])
      .transform((v, ctx): number => {
        try {
          return parseRetention(v);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message, input: v });
          return z.NEVER;
        }
      })
      .optional(),
  }),
  resolve(raw): ResponsesSettings {
    const r = (raw ?? {}) as { store?: boolean; retention?: number };
    return { store: r.store === true, retentionMs: r.retention ?? DEFAULT_RETENTION_MS };
  },
};

/** FrontServices.settings as this front reads it (absent in tests that build services by hand). */
export function readSettings(settings: unknown): ResponsesSettings {
  const s = (settings ?? {}) as Partial<ResponsesSettings>;
  return { store: s.store === true, retentionMs: typeof s.retentionMs === 'number' ? s.retentionMs : DEFAULT_RETENTION_MS };
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
  const owner = stored.owner;
  for (const item of stored.response.output) write(ITEM_KIND, item.id, owner === undefined ? item : ({ owner, item } satisfies OwnedItem));
  write(RESPONSE_KIND, stored.response.id, stored);
}

async function read(docs: DocumentStore, kind: string, id: string): Promise<unknown> {
  await pending.get(key(kind, id));
  return docs.get(kind, id);
}

/** The stored response `id` as `keyName` may see it: undefined when unknown, expired or another key's. */
export async function loadResponse(docs: DocumentStore, id: string, keyName: string | undefined): Promise<StoredResponse | undefined> {
  const value = (await read(docs, RESPONSE_KIND, id)) as StoredResponse | undefined;
  if (!value || typeof value !== 'object' || !value.response) return undefined;
  return value.owner === undefined || value.owner === keyName ? value : undefined;
}

/** The stored output item `id` as `keyName` may see it (as loadResponse). */
export async function loadItem(docs: DocumentStore, id: string, keyName: string | undefined): Promise<OutItem | undefined> {
  const value = await read(docs, ITEM_KIND, id);
  if (!value || typeof value !== 'object') return undefined;
  if (isOwnedItem(value)) return value.owner === keyName ? value.item : undefined;
  return value as OutItem;
}

/** Deletes a response `keyName` may see, and its output items; false when it was not there (for that key). */
export async function deleteResponse(docs: DocumentStore, id: string, keyName: string | undefined): Promise<boolean> {
  const stored = await loadResponse(docs, id, keyName);
  if (!stored) return false;
  await Promise.all(stored.response.output.map((item) => docs.delete(ITEM_KIND, item.id)));
  return docs.delete(RESPONSE_KIND, id);
}
