// A cached OAuth access token for one credential: fetched on first use, refreshed ahead of its
// expiry, one fetch in flight at a time however many requests want a token. Used by every provider
// type whose outbound auth is a bearer token (Vertex service accounts and ADC, Azure Entra ID).
//
// Refresh policy (docs/cloud-auth.md): a token with more than `refreshAheadMs` left is used as is; one
// with less left is still used, while a single background fetch replaces it, so no request waits on
// the token endpoint while the old token is good; an expired token (or one within `minValidityMs` of
// expiry, which a request in flight could outlive) makes callers wait for the new one. A failed
// background refresh is retried by the next request, never reported to one that has a valid token.

/** One token and the moment (ms, on the cache's clock) it stops being accepted. */
export interface AccessToken {
  token: string;
  expiresAtMs: number;
}

/** Where tokens come from: a JWT-bearer grant, the metadata server, google-auth-library, Entra ID. */
export type TokenFetcher = (signal: AbortSignal) => Promise<AccessToken>;

export interface TokenCacheOptions {
  /** Refresh in the background when less than this is left (default 5 min, google-auth-library's eager threshold). */
  refreshAheadMs?: number;
  /** Never hand out a token with less than this left (default 30 s): a request must not outlive it on the wire. */
  minValidityMs?: number;
  /** The clock, ms since the epoch. Injected by tests; Date.now otherwise. */
  now?: () => number;
}

const DEFAULT_REFRESH_AHEAD_MS = 5 * 60_000;
const DEFAULT_MIN_VALIDITY_MS = 30_000;

export class TokenCache {
  readonly #fetch: TokenFetcher;
  readonly #refreshAheadMs: number;
  readonly #minValidityMs: number;
  readonly #now: () => number;
  #current: Held | undefined;
  #inFlight: Promise<AccessToken> | undefined;
  /** Aborts the in-flight fetch when the cache is closed (config reload, shutdown). */
  readonly #closing = new AbortController();

  constructor(fetch: TokenFetcher, opts: TokenCacheOptions = {}) {
    this.#fetch = fetch;
    this.#refreshAheadMs = opts.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS;
    this.#minValidityMs = opts.minValidityMs ?? DEFAULT_MIN_VALIDITY_MS;
    this.#now = opts.now ?? Date.now;
  }

  /** A token valid for at least minValidityMs. Rejects with the fetcher's error when none can be had. */
  get(signal?: AbortSignal): Promise<string> | string {
    const current = this.#current;
    if (current !== undefined) {
      const now = this.#now();
      if (now < current.refreshAtMs) return current.token;
      if (now < current.usableUntilMs) {
        // Good for now: replace it in the background; a failure here is the next caller's to retry.
        this.#refresh().catch(() => {});
        return current.token;
      }
    }
    const pending = this.#refresh();
    return signal === undefined ? pending.then(tokenOf) : raceAbort(pending.then(tokenOf), signal);
  }

  /** Forget the cached token (the upstream rejected it): the next get() fetches a new one. */
  invalidate(token?: string): void {
    if (token === undefined || this.#current?.token === token) this.#current = undefined;
  }

  close(): void {
    this.#closing.abort(new Error('token cache closed'));
  }

  #refresh(): Promise<AccessToken> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const fetchedAt = this.#now();
    // One fetch shared by every caller; it is not tied to any caller's signal, so a client that hangs
    // up does not fail the refresh the others wait on.
    const p = this.#fetch(this.#closing.signal).then(
      (fresh) => {
        if (this.#inFlight === p) this.#inFlight = undefined;
        // Short-lived tokens (a test's, a metadata server's nearly spent one) scale the margins down
        // so that one fetch still serves a while, instead of every request starting another.
        const life = Math.max(0, fresh.expiresAtMs - fetchedAt);
        this.#current = {
          token: fresh.token,
          refreshAtMs: fresh.expiresAtMs - Math.min(this.#refreshAheadMs, life / 2),
          usableUntilMs: fresh.expiresAtMs - Math.min(this.#minValidityMs, life / 4),
        };
        return fresh;
      },
      (err: unknown) => {
        if (this.#inFlight === p) this.#inFlight = undefined;
        throw err;
      },
    );
    this.#inFlight = p;
    return p;
  }
}

interface Held {
  token: string;
  /** From here on a background refresh replaces it. */
  refreshAtMs: number;
  /** From here on callers wait for a new one. */
  usableUntilMs: number;
}

function tokenOf(t: AccessToken): string {
  return t.token;
}

/** Rejects as soon as `signal` aborts; the shared fetch goes on for the other callers. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
