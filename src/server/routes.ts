// The route table, built from what each front of the registry declares (FrontRoute): the server
// mounts whatever the protocols list and names none of them. Literal paths are one map lookup
// (the chat endpoints are the hot path); patterns (`{model+}:generateContent`) are tried in order.

import type { FrontCodec, FrontRoute } from '../core/protocol.ts';

export interface RouteMatch {
  front: FrontCodec;
  route: FrontRoute;
  params: Record<string, string>;
}

export type RouteLookup =
  | { kind: 'found'; match: RouteMatch }
  /** The path exists for other methods: answered 404 in that front's dialect, naming them. */
  | { kind: 'method'; front: FrontCodec; allowed: string[] }
  | { kind: 'none' };

interface Compiled {
  front: FrontCodec;
  route: FrontRoute;
  pattern?: RegExp;
  names: string[];
}

export class RouteTable {
  private readonly literal = new Map<string, Compiled[]>();
  private readonly patterns: Compiled[] = [];

  constructor(fronts: readonly FrontCodec[]) {
    for (const front of fronts) {
      for (const route of front.routes) {
        const compiled = compile(front, route);
        if (compiled.pattern === undefined) {
          const list = this.literal.get(route.path) ?? [];
          if (list.some((c) => c.route.method === route.method)) throw new Error(`route ${route.method} ${route.path} is declared twice`);
          list.push(compiled);
          this.literal.set(route.path, list);
        } else {
          this.patterns.push(compiled);
        }
      }
    }
  }

  lookup(method: string, path: string): RouteLookup {
    const byPath = this.literal.get(path);
    if (byPath !== undefined) return pick(byPath, method, path, {});
    let candidates: Compiled[] | undefined;
    let params: Record<string, string> = {};
    for (const c of this.patterns) {
      const m = c.pattern!.exec(path);
      if (m === null) continue;
      const p = paramsOf(c, m);
      if (p === undefined) continue;
      if (c.route.method === (method === 'HEAD' ? 'GET' : method)) return { kind: 'found', match: { front: c.front, route: c.route, params: p } };
      candidates ??= [];
      candidates.push(c);
      params = p;
    }
    return candidates ? pick(candidates, method, path, params) : { kind: 'none' };
  }
}

function pick(list: Compiled[], method: string, _path: string, params: Record<string, string>): RouteLookup {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const hit = list.find((c) => c.route.method === wanted);
  if (hit) return { kind: 'found', match: { front: hit.front, route: hit.route, params } };
  return { kind: 'method', front: list[0]!.front, allowed: list.map((c) => c.route.method) };
}

function compile(front: FrontCodec, route: FrontRoute): Compiled {
  if (!route.path.includes('{')) return { front, route, names: [] };
  const names: string[] = [];
  let source = '^';
  let rest = route.path;
  for (;;) {
    const open = rest.indexOf('{');
    if (open < 0) break;
    const close = rest.indexOf('}', open);
    if (close < 0) throw new Error(`route ${route.path}: unclosed {`);
    source += escape(rest.slice(0, open));
    const name = rest.slice(open + 1, close);
    if (name.endsWith('+')) {
      names.push(name.slice(0, -1));
      source += '(.+?)';
    } else {
      names.push(name);
      source += '([^/]+)';
    }
    rest = rest.slice(close + 1);
  }
  source += `${escape(rest)}$`;
  return { front, route, pattern: new RegExp(source), names };
}

function paramsOf(c: Compiled, m: RegExpExecArray): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < c.names.length; i++) {
    try {
      params[c.names[i]!] = decodeURIComponent(m[i + 1]!);
    } catch {
      return undefined;
    }
  }
  return params;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
