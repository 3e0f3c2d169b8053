// Client keys. Secrets are only ever held as SHA-256 digests: a presented key is hashed and looked up
// by digest, then compared with timingSafeEqual, so neither the lookup nor the comparison leaks the
// secret through timing, and no log or error can print it.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { BudgetConfig, StaticKeyConfig } from '../config/types.ts';

export interface ClientKey {
  name: string;
  /** Allowed model names (undefined: all). */
  models?: string[];
  rpm?: number;
  tpm?: number;
  concurrency?: number;
  budget?: BudgetConfig;
  source: 'config' | 'store';
}

export interface KeyStore {
  /** Looks a key up by its SHA-256 hex digest. */
  findByHash(hash: string): Promise<ClientKey | undefined>;
  /** Whether any key exists (an empty store leaves the gateway open). */
  hasKeys(): Promise<boolean>;
}

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The presented key from `Authorization: Bearer KEY` or `x-api-key: KEY`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1]!.trim();
  }
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  return undefined;
}

export class Authenticator {
  private readonly staticKeys = new Map<string, ClientKey>();
  private readonly store?: KeyStore;
  private storeHasKeys = false;

  constructor(keys: StaticKeyConfig[], store?: KeyStore) {
    this.setStaticKeys(keys);
    this.store = store;
  }

  /** The config's keys (at start, and on a reload: requests already admitted keep their key). */
  setStaticKeys(keys: StaticKeyConfig[]): void {
    this.staticKeys.clear();
    for (const k of keys) {
      this.staticKeys.set(hashKey(k.key), {
        name: k.name,
        models: k.models,
        rpm: k.rpm,
        tpm: k.tpm,
        concurrency: k.concurrency,
        budget: k.budget,
        source: 'config',
      });
    }
  }

  /** Refreshes whether the store holds keys (called at start and after key changes). */
  async refresh(): Promise<void> {
    this.storeHasKeys = this.store ? await this.store.hasKeys() : false;
  }

  /** With no keys anywhere the gateway is open (SPEC §3). */
  get open(): boolean {
    return this.staticKeys.size === 0 && !this.storeHasKeys;
  }

  async authenticate(secret: string | undefined): Promise<ClientKey | undefined> {
    if (secret === undefined) return undefined;
    const digest = hashKey(secret);
    const hit = this.lookupStatic(digest);
    if (hit) return hit;
    if (this.store) {
      const found = await this.store.findByHash(digest);
      if (found) this.storeHasKeys = true;
      return found;
    }
    return undefined;
  }

  private lookupStatic(digest: string): ClientKey | undefined {
    const hit = this.staticKeys.get(digest);
    if (!hit) return undefined;
    // The map lookup already matched; the constant-time compare guards against a future change of
    // lookup structure that would compare prefixes.
    const a = Buffer.from(digest, 'hex');
    for (const k of this.staticKeys.keys()) {
      if (k.length === digest.length && timingSafeEqual(Buffer.from(k, 'hex'), a)) return this.staticKeys.get(k);
    }
    return undefined;
  }
}

const patterns = new Map<string, RegExp>();

/**
 * Whether `key` may use `model`: no list means every model; entries are exact names or `provider/model`,
 * and `*` in an entry matches any run of characters (`gpt-*`, `openrouter/*`), as config allows (SPEC §6).
 */
export function modelAllowed(key: ClientKey | undefined, model: string): boolean {
  if (key?.models === undefined) return true;
  for (const entry of key.models) {
    if (entry === model) return true;
    if (!entry.includes('*')) continue;
    let re = patterns.get(entry);
    if (re === undefined) {
      re = new RegExp(`^${entry.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      patterns.set(entry, re);
    }
    if (re.test(model)) return true;
  }
  return false;
}
