// The route table, built from what each front of the registry declares (FrontRoute): the server
// mounts whatever the protocols list and names none of them. Literal paths are one map lookup
// (the chat endpoints are the hot path); patterns (`{model+}:generateContent`) are tried in order.
// A path no route serves still belongs to the front whose routes it shares the most leading segments
// with (`/v1/messages/batches` is Anthropic's, `/v2/foo` Cohere's): its 404 is in that dialect.

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

/** A route's path as segments; WILD stands for a segment holding a parameter. */
const WILD = Symbol('param');
type Segment = string | typeof WILD;

export class RouteTable {
  private readonly literal = new Map<string, Compiled[]>();
  private readonly patterns: Compiled[] = [];
  private readonly prefixes: Array<{ front: FrontCodec; segments: Segment[] }> = [];

  constructor(fronts: readonly FrontCodec[]) {
    for (const front of fronts) {
      for (const route of front.routes) {
        this.prefixes.push({ front, segments: segmentsOf(route.path) });
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

  /**
   * The front whose declared routes share the most leading path segments with `path` (a parameter
   * segment matches any; a greedy one matches the rest), for a 404 in that front's dialect. Undefined
   * when nothing is shared or fronts tie (`/v1/foo`): the caller answers in its fallback dialect.
   */
  owner(path: string): FrontCodec | undefined {
    const segments = path.split('/').slice(1);
    let best: FrontCodec | undefined;
    let bestScore = 0;
    let tied = false;
    for (const p of this.prefixes) {
      const score = sharedSegments(p.segments, segments);
      if (score > bestScore) {
        best = p.front;
        bestScore = score;
        tied = false;
      } else if (score === bestScore && score > 0 && p.front !== best) {
        tied = true;
      }
    }
    return tied ? undefined : best;
  }
}

function segmentsOf(routePath: string): Segment[] {
  const out: Segment[] = [];
  for (const seg of routePath.split('/').slice(1)) {
    if (!seg.includes('{')) {
      out.push(seg);
      continue;
    }
    out.push(WILD);
    // A greedy parameter may hold any number of segments: nothing after it can be lined up.
    if (seg.includes('+}')) break;
  }
  return out;
}

function sharedSegments(route: Segment[], path: string[]): number {
  let n = 0;
  while (n < route.length && n < path.length && (route[n] === WILD || route[n] === path[n])) n++;
  return n;
}

function pick(list: Compiled[], method: string, _path: string, params: Record<string, string>): RouteLookup {
  const wanted = method === 'HEAD' ? 'GET' : method;
  const hit = list.find((c) => c.route.method === wanted);
  if (hit) return { kind: 'found', match: { front: hit.front, route: hit.route, params } };
  // A catch-all (`/v1beta/models/{model+}`) matches every path below it: another method there is far
  // more likely a mistyped verb (`…:generateContnet`) than the wrong method, so it is no route at all.
  const named = list.filter((c) => !catchAll(c.route.path));
  if (named.length === 0) return { kind: 'none' };
  return { kind: 'method', front: named[0]!.front, allowed: named.map((c) => c.route.method) };
}

function catchAll(routePath: string): boolean {
  return routePath.endsWith('+}');
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
      // May be empty (`/model//converse`): the front then says which value the path lacks.
      source += '(.*?)';
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
