// The cachedContents resources one provider has made, by prefix key (cache-prepare.ts computes keys
// and does the HTTP). Policy (docs/protocols/gemini.md §9):
//   - lookup: a live resource for a key, or nothing; it never starts a creation;
//   - one creation per key at a time: concurrent requests with the same prefix wait for the same one,
//     each only as long as its own attempt's limits allow (then it fails as the attempt does) and its
//     patience lasts (then it goes uncached); when every waiter has gone the creation is aborted —
//     with the reason GAVE_UP when they ran out of patience (cache-prepare.ts remembers the prefix as
//     refused for a while), else forgotten;
//   - a creation in the background (`ensure`: made for the next request, waited for by none) belongs
//     to the store, not to a request: waiters leaving do not abort it; one that has not answered
//     within BACKGROUND_LIMIT_MS is aborted with TOO_SLOW (no request's limits bound it), and `close`
//     aborts it;
//   - a resource is used while it has more than `minValidityMs` left; from half its lifetime on, the
//     request that uses it also extends it (one PATCH at a time, not waited for), as Anthropic's
//     breakpoints live on while they are read;
//   - a refused creation (too small, quota, an outage) is remembered for a while, so the prefix is
//     sent uncached without asking again, and reported once.

/** Never use a resource with less than this left: the request must reach Google before it expires. */
const MIN_VALIDITY_MS = 30_000;
/** Entries kept per provider (oldest dropped first); Google keeps every resource until its own expiry. */
const MAX_ENTRIES = 1000;

/**
 * A background creation's limit. Google answers a creation in seconds; one silent this long is stuck,
 * and the conversation it was made for has moved on.
 */
export const BACKGROUND_LIMIT_MS = 120_000;

/** The abort reason of a creation every waiting request lost patience with. */
export const GAVE_UP = new Error('the context cache creation outlasted the patience of every request waiting for it');
/** The abort reason of a background creation that outlasted BACKGROUND_LIMIT_MS. */
export const TOO_SLOW = new Error('the context cache creation did not answer within the background limit');

/** A resource Google made, and until when (ms on the cache's clock) it lives. */
export interface MadeCache {
  name: string;
  expiresAtMs: number;
}

/** What a creation came to: a resource, or a refusal kept for `retryAfterMs`. */
export type CreateOutcome = { ok: true; cache: MadeCache } | { ok: false; retryAfterMs: number };

interface Ready {
  kind: 'ready';
  name: string;
  ttlMs: number;
  expiresAtMs: number;
  refreshing: boolean;
}

interface Creating {
  kind: 'creating';
  result: Promise<string | undefined>;
  waiters: number;
  abort: AbortController;
  /** Wanted by the store for later requests: waiters leaving do not abort it. */
  background: boolean;
  startedAtMs: number;
  /** A background creation's BACKGROUND_LIMIT_MS timer. */
  timer?: unknown;
}

interface Refused {
  kind: 'refused';
  untilMs: number;
}

type Entry = Ready | Creating | Refused;

/** What using a live resource needs. */
export interface UseOptions {
  ttlMs: number;
  /** Extends a resource's life to `ttlMs` from now; resolves true when it still exists, false when it is gone. */
  refresh(name: string, ttlMs: number): Promise<boolean>;
}

/** What making one needs. */
export interface CreateOptions {
  ttlMs: number;
  /** Makes the resource; `signal` aborts when nobody wants it any more (or it is too slow). */
  create(signal: AbortSignal): Promise<CreateOutcome>;
}

export interface AcquireOptions extends UseOptions, CreateOptions {
  /** The waiting attempt's signal: when it aborts, acquire rejects with its reason. */
  signal: AbortSignal;
  /** When it aborts, acquire resolves undefined (the request goes uncached). */
  patience: AbortSignal;
}

/** Timers for the background limit (tests inject their own). */
export interface CacheTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/**
 * The process's timers, not holding the process open. UpstreamEnv carries no timer, so the limit
 * runs on the process clock; ContextCaches' tests inject theirs.
 */
const PROCESS_TIMERS: CacheTimers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class ContextCaches {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #timers: CacheTimers;

  constructor(now: () => number, timers: CacheTimers = PROCESS_TIMERS) {
    this.#now = now;
    this.#timers = timers;
  }

  /** The live resource for `key`, or undefined; never starts a creation. */
  lookup(key: string, opts: UseOptions): string | undefined {
    const entry = this.#entries.get(key);
    return entry?.kind === 'ready' ? this.#use(key, entry, opts) : undefined;
  }

  /** The resource name for `key` (made and waited for if need be), or undefined: send the request uncached. */
  acquire(key: string, opts: AcquireOptions): string | undefined | Promise<string | undefined> {
    const entry = this.#current(key);
    if (entry === undefined) return join(this.#create(key, opts, false), opts);
    switch (entry.kind) {
      case 'ready':
        return this.#use(key, entry, opts);
      case 'refused':
        return undefined;
      case 'creating':
        return join(entry, opts);
    }
  }

  /**
   * Makes sure `key`'s resource exists or is being made, for a later request: starts a creation
   * nobody waits for unless one is live, under way (it is then kept going whoever leaves it) or
   * recently refused.
   */
  ensure(key: string, opts: CreateOptions): void {
    const entry = this.#current(key);
    if (entry === undefined) this.#create(key, opts, true);
    else if (entry.kind === 'creating' && !entry.background) this.#keep(entry);
  }

  /** `key`'s entry while it is still good: a resource not near its expiry, a refusal still held, a creation. */
  #current(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (entry.kind === 'creating' || (entry.kind === 'ready' && usable(entry, now)) || (entry.kind === 'refused' && now < entry.untilMs)) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** A ready resource's name when it is not near its expiry (extended from half its life on). */
  #use(key: string, entry: Ready, opts: UseOptions): string | undefined {
    const now = this.#now();
    if (!usable(entry, now)) return undefined;
    // Most recently used last, so the oldest are dropped first.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (opts.ttlMs > entry.ttlMs) entry.ttlMs = opts.ttlMs;
    if (now >= entry.expiresAtMs - entry.ttlMs / 2 && !entry.refreshing) this.#refresh(key, entry, opts);
    return entry.name;
  }

  /** Forget `key`'s resource (Google no longer has it): the next request makes a new one. */
  invalidate(key: string, name?: string): void {
    const entry = this.#entries.get(key);
    if (entry?.kind === 'ready' && (name === undefined || entry.name === name)) this.#entries.delete(key);
  }

  /** Abandons creations under way (config reload, shutdown). */
  close(): void {
    for (const entry of this.#entries.values()) if (entry.kind === 'creating') entry.abort.abort(new Error('context cache closed'));
    this.#entries.clear();
  }

  /** Entries held (tests, the bound). */
  get size(): number {
    return this.#entries.size;
  }

  #create(key: string, opts: CreateOptions, background: boolean): Creating {
    const abort = new AbortController();
    const ttlMs = opts.ttlMs;
    const entry: Creating = { kind: 'creating', waiters: 0, abort, result: Promise.resolve(undefined), background: false, startedAtMs: this.#now() };
    entry.result = opts.create(abort.signal).then(
      (outcome) => {
        const current = this.#entries.get(key) === entry;
        if (outcome.ok) {
          if (current) this.#entries.set(key, { kind: 'ready', name: outcome.cache.name, ttlMs, expiresAtMs: outcome.cache.expiresAtMs, refreshing: false });
          return outcome.cache.name;
        }
        if (current) this.#entries.set(key, { kind: 'refused', untilMs: this.#now() + outcome.retryAfterMs });
        return undefined;
      },
      () => {
        // Abandoned by every waiter: nothing learnt about the prefix.
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        return undefined;
      },
    );
    this.#entries.set(key, entry);
    if (background) this.#keep(entry);
    this.#bound();
    return entry;
  }

  /** Makes a creation the store's: kept whoever leaves it, aborted at BACKGROUND_LIMIT_MS from its start. */
  #keep(entry: Creating): void {
    entry.background = true;
    const left = Math.max(0, entry.startedAtMs + BACKGROUND_LIMIT_MS - this.#now());
    entry.timer = this.#timers.set(() => entry.abort.abort(TOO_SLOW), left);
    void entry.result.then(() => this.#timers.clear(entry.timer));
  }

  #refresh(key: string, entry: Ready, opts: UseOptions): void {
    entry.refreshing = true;
    const sentAt = this.#now();
    const ttlMs = entry.ttlMs;
    opts.refresh(entry.name, ttlMs).then(
      (exists) => {
        entry.refreshing = false;
        if (exists) entry.expiresAtMs = Math.max(entry.expiresAtMs, sentAt + ttlMs);
        else this.invalidate(key, entry.name);
      },
      () => {
        // Not extended (an outage, the request that carried it ended): the next use tries again.
        entry.refreshing = false;
      },
    );
  }

  /** Drops what is spent, then the least recently used, beyond MAX_ENTRIES (creations under way stay). */
  #bound(): void {
    if (this.#entries.size <= MAX_ENTRIES) return;
    const now = this.#now();
    for (const [key, e] of this.#entries) {
      if ((e.kind === 'ready' && now >= e.expiresAtMs) || (e.kind === 'refused' && now >= e.untilMs)) this.#entries.delete(key);
    }
    for (const [key, e] of this.#entries) {
      if (this.#entries.size <= MAX_ENTRIES) break;
      if (e.kind !== 'creating') this.#entries.delete(key);
    }
  }
}

function usable(entry: Ready, now: number): boolean {
  return now < entry.expiresAtMs - margin(entry.ttlMs);
}

/** Short lifetimes scale the margin down, so a one-minute cache is still used for most of its life. */
function margin(ttlMs: number): number {
  return Math.min(MIN_VALIDITY_MS, ttlMs / 4);
}

/**
 * Waits for a creation on behalf of one attempt: rejects with the attempt's abort reason as soon as
 * it aborts, resolves undefined as soon as its patience runs out; the last waiter to leave aborts
 * the creation (GAVE_UP when it left for patience) unless it is a background one.
 */
function join(entry: Creating, opts: { signal: AbortSignal; patience: AbortSignal }): Promise<string | undefined> {
  const { signal, patience } = opts;
  if (signal.aborted || patience.aborted) {
    if (entry.waiters === 0 && !entry.background) entry.abort.abort(signal.aborted ? signal.reason : GAVE_UP);
    return signal.aborted ? Promise.reject(signal.reason) : Promise.resolve(undefined);
  }
  entry.waiters++;
  return new Promise<string | undefined>((resolve, reject) => {
    let left = false;
    const leave = (reason: unknown): void => {
      left = true;
      signal.removeEventListener('abort', onAbort);
      patience.removeEventListener('abort', onImpatient);
      if (--entry.waiters === 0 && !entry.background) entry.abort.abort(reason);
    };
    const onAbort = (): void => {
      leave(signal.reason);
      reject(signal.reason);
    };
    const onImpatient = (): void => {
      leave(GAVE_UP);
      resolve(undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    patience.addEventListener('abort', onImpatient, { once: true });
    void entry.result.then((name) => {
      if (left) return;
      signal.removeEventListener('abort', onAbort);
      patience.removeEventListener('abort', onImpatient);
      entry.waiters--;
      resolve(name);
    });
  });
}
