// The `redis:` setting (SPEC §2, §11): one Redis or Valkey server, or a Redis/Valkey Cluster.
//
//   redis://[user:password@]host:port[/db]              one server (Valkey speaks the same protocol)
//   rediss://…                                           the same over TLS
//   redis+cluster://[user:password@]h1:p1,h2:p2,…        a cluster, by any of its nodes (seeds); the
//   rediss+cluster://…                                   client learns the rest from CLUSTER SLOTS
//
// One string, so it fits an environment variable (`redis: ${REDIS_URL}`) like the single-server form.

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisTarget {
  cluster: boolean;
  tls: boolean;
  nodes: RedisNode[];
  username?: string;
  password?: string;
  /** Database number (single server only; a cluster has only 0). */
  db?: number;
}

const SCHEME = /^(rediss?)(\+cluster)?:\/\/(.*)$/i;
const DEFAULT_PORT = 6379;

/** Parses a redis URL; throws an Error whose message never contains the password. */
export function parseRedisUrl(url: string): RedisTarget {
  const m = SCHEME.exec(url.trim());
  if (!m) throw new Error('must be a redis://, rediss://, redis+cluster:// or rediss+cluster:// URL');
  const tls = m[1]!.toLowerCase() === 'rediss';
  const cluster = m[2] !== undefined;
  let rest = m[3]!;
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
    const pass = colon < 0 ? undefined : decode(userinfo.slice(colon + 1));
    // redis://:password@host is the classic form (no user: AUTH with the password alone); a lone
    // userinfo is a user name, as ioredis reads it.
    if (user !== '') username = user;
    if (pass !== undefined && pass !== '') password = pass;
  }
  const slash = rest.indexOf('/');
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1).replace(/\?.*$/, '');
  let db: number | undefined;
  if (path !== '') {
    if (!/^\d+$/.test(path)) throw new Error(`database must be a number, got "${path}"`);
    db = Number(path);
    if (cluster && db !== 0) throw new Error('a cluster has only database 0');
  }
  const nodes = hosts.split(',').map((h) => parseNode(h.trim()));
  if (nodes.length === 0 || hosts.trim() === '') throw new Error('names no host');
  if (!cluster && nodes.length > 1) throw new Error('names several hosts: use redis+cluster:// for a cluster');
  const target: RedisTarget = { cluster, tls, nodes };
  if (username !== undefined) target.username = username;
  if (password !== undefined) target.password = password;
  if (db !== undefined && db !== 0) target.db = db;
  return target;
}

function parseNode(text: string): RedisNode {
  if (text === '') throw new Error('has an empty host in its list');
  let host = text;
  let port = DEFAULT_PORT;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      host = text.slice(0, colon);
      const p = text.slice(colon + 1);
      if (!/^\d+$/.test(p)) throw new Error(`has an invalid port "${p}"`);
      port = Number(p);
    }
  }
  if (host === '') throw new Error('has an empty host in its list');
  if (!(port > 0 && port < 65536)) throw new Error(`has an invalid port ${port}`);
  return { host, port };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** host:port (or the cluster's seeds) for logs: never the credentials. */
export function describeRedisTarget(t: RedisTarget): string {
  const nodes = t.nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');
  return t.cluster ? `cluster ${nodes}` : nodes;
}
