// Shared state in Redis (ioredis), so limits and circuit states hold across a fleet (SPEC §6).
//
// - Every read-modify-write is one Lua script, so two instances never both take the last slot.
// - Scripts take the time from Redis (TIME), not from the instance, so clock skew between hosts
//   cannot shift windows or expire slots early.
// - A dead Redis must be noticed fast and never hang a request: no offline queue (commands fail at
//   once while disconnected), no per-command retries, a short command timeout. The caller
//   (resilient.ts) falls back to per-instance state.
// - Concurrency slots are sorted-set members scored by their expiry; holders renew them while the
//   request runs, so a crashed instance's slots lapse after one TTL instead of leaking forever.
// - Redis Cluster and Valkey (SPEC §11; `redis+cluster://`, redis-url.ts): every key a script
//   touches carries the same hash tag — the counter's name in braces, `sluice:w:{rpm:config:ci}` and
//   its window keys `sluice:w:{rpm:config:ci}:<index>` — so they hash to one slot and the script
//   runs on one node. Each script is one slot's; the circuits hash is a single key. docs/redis.md.

import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { ConsumeResult, Lease, SharedCircuit, SharedState } from './types.ts';
import type { WindowSnapshot } from './window.ts';
import { parseRedisUrl, type RedisTarget } from './redis-url.ts';

const PREFIX = 'sluice:';
const CIRCUITS = `${PREFIX}circuits`;

/** The key of a window counter: its name is the hash tag (see above). */
export function windowKey(name: string): string {
  return `${PREFIX}w:{${name}}`;
}

/** The key of a budget counter: each of its scripts touches this one key, so a cluster needs no tag. */
export function counterKey(name: string): string {
  return `${PREFIX}c:${name}`;
}

/** The key of a concurrency slot set. */
export function slotsKey(name: string): string {
  return `${PREFIX}slots:{${name}}`;
}

// KEYS[1] = counter prefix. ARGV = windowMs, limit (-1: add unconditionally), cost.
// Returns {allowed, prev, curr-before, elapsedMs}. The two window keys are derived from server time
// inside the script; they extend KEYS[1] after its hash tag, so on a cluster they live in its slot.
const WINDOW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local idx = math.floor(now / w)
local elapsed = now - idx * w
local ck = KEYS[1] .. ':' .. idx
local curr = tonumber(redis.call('GET', ck) or '0')
local prev = tonumber(redis.call('GET', KEYS[1] .. ':' .. (idx - 1)) or '0')
local allowed = 1
if limit >= 0 and prev * (1 - elapsed / w) + curr + cost > limit then allowed = 0 end
if allowed == 1 and cost > 0 then
  redis.call('INCRBY', ck, cost)
  redis.call('PEXPIRE', ck, w * 2)
end
return {allowed, prev, curr, elapsed}
`;

// KEYS[1] = slot set. ARGV = limit, lease id, ttlMs. Returns 1 when the slot was taken.
const ACQUIRE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1
`;

// KEYS[1] = slot set. ARGV = lease id, ttlMs. Pushes a held slot's expiry forward.
const RENEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl * 2)
return 1
`;

// KEYS[1] = counter. ARGV = amount. Adds only to an existing counter; nil when there is none.
const COUNTER_ADD_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('INCRBY', KEYS[1], ARGV[1])
`;

// KEYS[1] = counter. ARGV = value, expiresAt (ms since the epoch; 0: never). SET NX, then the value.
const COUNTER_SEED_LUA = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return ARGV[1]
`;

interface Scripts {
  sluiceCounterAdd(key: string, amount: number): Promise<number | null>;
  sluiceCounterSeed(key: string, value: number, expiresAt: number): Promise<string>;
  sluiceWindow(key: string, windowMs: number, limit: number, cost: number): Promise<[number, number, number, number]>;
  sluiceAcquire(key: string, limit: number, lease: string, ttlMs: number): Promise<number>;
  sluiceRenew(key: string, lease: string, ttlMs: number): Promise<number>;
}

export interface RedisStateOptions {
  /** A command slower than this fails (and the caller falls back). Default 500 ms. */
  commandTimeoutMs?: number;
  /** Default 1000 ms. */
  connectTimeoutMs?: number;
  /** How often held slots are renewed. Default 5 s; slot TTLs must be a few times longer. */
  renewEveryMs?: number;
  /** Connection up (ready) or down, with the reason; called on every change. */
  onStatus?(up: boolean, reason: string): void;
}

type Client = Redis | Cluster;

export class RedisState implements SharedState {
  readonly shared = true;
  private readonly client: Client;
  private readonly scripts: Scripts;
  private readonly held = new Map<string, { key: string; ttlMs: number }>();
  private readonly renewTimer: NodeJS.Timeout;
  private readonly instance = randomBytes(6).toString('hex');
  private leases = 0;
  private lastError = '';

  constructor(url: string, opts: RedisStateOptions = {}) {
    const target = parseRedisUrl(url);
    this.client = target.cluster ? clusterClient(target, opts) : new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 500,
      connectTimeout: opts.connectTimeoutMs ?? 1000,
      // Keep trying in the background, never faster than every 250 ms nor slower than every 2 s.
      retryStrategy: (times) => Math.min(250 * times, 2000),
      // Subscriber mode and readiness checks are not needed; INFO on connect would slow recovery.
      enableReadyCheck: false,
      lazyConnect: false,
    });
    this.client.defineCommand('sluiceWindow', { numberOfKeys: 1, lua: WINDOW_LUA });
    this.client.defineCommand('sluiceAcquire', { numberOfKeys: 1, lua: ACQUIRE_LUA });
    this.client.defineCommand('sluiceRenew', { numberOfKeys: 1, lua: RENEW_LUA });
    this.client.defineCommand('sluiceCounterAdd', { numberOfKeys: 1, lua: COUNTER_ADD_LUA });
    this.client.defineCommand('sluiceCounterSeed', { numberOfKeys: 1, lua: COUNTER_SEED_LUA });
    this.scripts = this.client as unknown as Scripts;
    // Without an 'error' listener ioredis prints every failed reconnect; the wrapper logs once.
    this.client.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    this.client.on('ready', () => opts.onStatus?.(true, 'connected'));
    this.client.on('close', () => opts.onStatus?.(false, this.lastError || 'connection closed'));
    this.renewTimer = setInterval(() => this.renew(), opts.renewEveryMs ?? 5000);
    this.renewTimer.unref();
  }

  /** Commands can be sent now (they fail at once otherwise). */
  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Resolves when connected, or rejects after timeoutMs. */
  waitReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.client.off('ready', done);
        reject(new Error(this.lastError || 'not connected'));
      }, timeoutMs);
      this.client.once('ready', done);
    });
  }

  async consume(name: string, windowMs: number, limit: number, cost: number): Promise<ConsumeResult> {
    const [allowed, prev, curr, elapsed] = await this.scripts.sluiceWindow(windowKey(name), windowMs, limit, cost);
    return { allowed: allowed === 1, window: { prev, curr, elapsedMs: elapsed, windowMs } };
  }

  async add(name: string, windowMs: number, amount: number): Promise<void> {
    await this.scripts.sluiceWindow(windowKey(name), windowMs, -1, amount);
  }

  async peek(name: string, windowMs: number): Promise<WindowSnapshot> {
    const [, prev, curr, elapsed] = await this.scripts.sluiceWindow(windowKey(name), windowMs, -1, 0);
    return { prev, curr, elapsedMs: elapsed, windowMs };
  }

  async acquire(name: string, limit: number, ttlMs: number): Promise<Lease | undefined> {
    const key = slotsKey(name);
    const id = `${this.instance}:${++this.leases}`;
    const taken = await this.scripts.sluiceAcquire(key, limit, id, ttlMs);
    if (taken !== 1) return undefined;
    this.held.set(id, { key, ttlMs });
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held.delete(id);
        // If Redis is gone the slot lapses by itself after its TTL.
        if (this.ready) this.client.zrem(key, id).catch(() => {});
      },
    };
  }

  async addToCounter(name: string, amount: number): Promise<number | undefined> {
    const v = await this.scripts.sluiceCounterAdd(counterKey(name), Math.round(amount));
    return v === null ? undefined : Number(v);
  }

  async readCounter(name: string): Promise<number | undefined> {
    const v = await this.client.get(counterKey(name));
    return v === null ? undefined : Number(v);
  }

  async seedCounter(name: string, value: number, expiresAt: number): Promise<number> {
    return Number(await this.scripts.sluiceCounterSeed(counterKey(name), Math.round(value), Math.round(expiresAt)));
  }

  async publishCircuit(target: string, circuit: SharedCircuit): Promise<void> {
    await this.client.hset(CIRCUITS, target, JSON.stringify(circuit));
  }

  async readCircuits(): Promise<Map<string, SharedCircuit>> {
    const raw = await this.client.hgetall(CIRCUITS);
    const out = new Map<string, SharedCircuit>();
    for (const [target, text] of Object.entries(raw)) {
      try {
        const c = JSON.parse(text) as SharedCircuit;
        if ((c.state === 'open' || c.state === 'closed') && typeof c.at === 'number') out.set(target, c);
      } catch {
        // Not ours, or corrupt: ignore it rather than fail every poll.
      }
    }
    return out;
  }

  async close(): Promise<void> {
    clearInterval(this.renewTimer);
    this.held.clear();
    this.client.disconnect();
  }

  private renew(): void {
    if (!this.ready) return;
    for (const [id, { key, ttlMs }] of this.held) this.scripts.sluiceRenew(key, id, ttlMs).catch(() => {});
  }
}

/**
 * A Redis Cluster client with the same failure behaviour as the single-server one: no offline queue,
 * no per-command retries, a short command timeout, reconnection in the background.
 */
function clusterClient(target: RedisTarget, opts: RedisStateOptions): Cluster {
  return new Cluster(target.nodes, {
    enableOfflineQueue: false,
    // Ready only once CLUSTER INFO says the cluster is ok, i.e. every slot is served.
    enableReadyCheck: true,
    clusterRetryStrategy: (times) => Math.min(250 * times, 2000),
    slotsRefreshTimeout: opts.connectTimeoutMs ?? 1000,
    redisOptions: {
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 500,
      connectTimeout: opts.connectTimeoutMs ?? 1000,
      username: target.username,
      password: target.password,
      tls: target.tls ? {} : undefined,
    },
  });
}
