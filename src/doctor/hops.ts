// Which hops stand between the doctor and the gateway, guessed from the headers they add, and what
// to change on each kind of hop for each kind of problem. Fix texts follow sse.md §6–§8; a detected hop
// is listed first, the other common hops after it, since proxies rarely all identify themselves.

import type { IncomingHttpHeaders } from 'node:http';
import { headerValue } from './http.ts';

export type HopKind = 'nginx' | 'caddy' | 'cloudflare' | 'aws-alb' | 'cloudfront' | 'envoy' | 'apache' | 'varnish';
export type Problem = 'buffering' | 'idle-timeout' | 'compression' | 'error-page';

export interface Hop {
  kind: HopKind;
  /** The header that gave it away, e.g. `server: nginx/1.22.1`. */
  evidence: string;
}

const LABEL: Record<HopKind, string> = {
  nginx: 'nginx',
  caddy: 'Caddy',
  cloudflare: 'Cloudflare',
  'aws-alb': 'AWS ALB',
  cloudfront: 'CloudFront',
  envoy: 'Envoy',
  apache: 'Apache httpd',
  varnish: 'Varnish',
};

/** Header patterns, checked in order; a response may reveal several hops (CDN in front of nginx). */
const SIGNATURES: Array<{ kind: HopKind; header: string; pattern: RegExp }> = [
  { kind: 'cloudflare', header: 'cf-ray', pattern: /./ },
  { kind: 'cloudflare', header: 'server', pattern: /cloudflare/i },
  { kind: 'cloudfront', header: 'x-amz-cf-id', pattern: /./ },
  { kind: 'cloudfront', header: 'via', pattern: /cloudfront/i },
  { kind: 'aws-alb', header: 'server', pattern: /awselb/i },
  { kind: 'nginx', header: 'server', pattern: /nginx|openresty/i },
  { kind: 'caddy', header: 'server', pattern: /caddy/i },
  { kind: 'caddy', header: 'via', pattern: /caddy/i },
  { kind: 'envoy', header: 'server', pattern: /envoy/i },
  { kind: 'envoy', header: 'x-envoy-upstream-service-time', pattern: /./ },
  { kind: 'apache', header: 'server', pattern: /apache/i },
  { kind: 'varnish', header: 'x-varnish', pattern: /./ },
  { kind: 'varnish', header: 'via', pattern: /varnish/i },
];

export function detectHops(headers: IncomingHttpHeaders): Hop[] {
  const found: Hop[] = [];
  for (const sig of SIGNATURES) {
    const value = headerValue(headers, sig.header);
    if (value === undefined || !sig.pattern.test(value)) continue;
    if (found.some((h) => h.kind === sig.kind)) continue;
    found.push({ kind: sig.kind, evidence: `${sig.header}: ${value.slice(0, 60)}` });
  }
  return found;
}

/** Adds hops seen in another response, without duplicates. */
export function mergeHops(into: Hop[], more: Hop[]): void {
  for (const h of more) if (!into.some((x) => x.kind === h.kind)) into.push(h);
}

/** "nginx (server: nginx/1.22.1)", or undefined when no hop identified itself. */
export function describeHops(hops: Hop[]): string | undefined {
  if (hops.length === 0) return undefined;
  return hops.map((h) => `${LABEL[h.kind]} (${h.evidence})`).join(', ');
}

export function hopLabel(kind: HopKind): string {
  return LABEL[kind];
}

const FIXES: Record<Problem, Partial<Record<HopKind, string>> & { other: string }> = {
  buffering: {
    nginx:
      'nginx: proxy_buffering off; in the location (or keep X-Accel-Buffering: no from sluice effective and do not set proxy_ignore_headers X-Accel-Buffering); also proxy_http_version 1.1;',
    caddy: 'Caddy: reverse_proxy … { flush_interval -1 } (and no `encode` on the API routes)',
    cloudflare:
      'Cloudflare: keep Content-Type text/event-stream and Cache-Control: no-transform intact; turn off Workers, transform rules or compression that read the whole body',
    'aws-alb':
      'AWS: an ALB streams as is; API Gateway REST APIs and non-streaming Lambda integrations buffer the whole response — use Lambda response streaming or go through the ALB',
    envoy: 'Envoy: remove the buffer filter (envoy.filters.http.buffer) from the route',
    apache: 'Apache httpd: ProxyPass … flushpackets=on',
    varnish: 'Varnish: return (pass) for the API path and set beresp.do_stream = true',
    other: 'any other proxy or middleware: disable response buffering for text/event-stream',
  },
  'idle-timeout': {
    nginx: 'nginx: proxy_read_timeout (default 60s) above the keepalive interval, e.g. proxy_read_timeout 3600s; (and send_timeout)',
    caddy: 'Caddy: reverse_proxy … { transport http { read_timeout 0 } } or a value above the keepalive interval',
    cloudflare: 'Cloudflare: the proxy read timeout is 100 s (HTTP 524) and fixed below Enterprise — keep server.keepalive well below it',
    'aws-alb': 'AWS ALB: raise the idle timeout (attribute idle_timeout.timeout_seconds, default 60) above the keepalive interval',
    envoy: 'Envoy: route timeout: 0s and a stream idle_timeout above the keepalive interval',
    apache: 'Apache httpd: ProxyTimeout (or ProxyPass … timeout=) above the keepalive interval',
    other: "or lower sluice's server.keepalive below the smallest idle timeout of the chain (default 15s)",
  },
  compression: {
    nginx: 'nginx: gzip off; in the API location (or remove text/event-stream from gzip_types)',
    caddy: 'Caddy: do not apply `encode` to the API routes (or exclude Content-Type text/event-stream from its match)',
    cloudflare: 'Cloudflare: disable compression rules for the API path; it honours Cache-Control: no-transform, which sluice sends',
    other: 'any compressing hop: skip text/event-stream and Cache-Control: no-transform responses (Express compression skips no-transform)',
  },
  'error-page': {
    nginx: 'nginx: remove proxy_intercept_errors on; and error_page for 4xx/5xx in the API location',
    caddy: 'Caddy: remove handle_errors / handle_response rules that replace upstream error bodies on the API routes',
    cloudflare: 'Cloudflare: exclude the API path from custom error pages',
    other: 'any hop that replaces error bodies: pass the gateway JSON errors through unchanged',
  },
};

/**
 * Hops whose fix is always listed: the usual fronts of an LLM gateway. A CDN replaces the Server
 * header of the proxy behind it, so an nginx behind Cloudflare never shows itself.
 */
const COMMON: HopKind[] = ['nginx', 'caddy', 'cloudflare', 'aws-alb'];

/** Fix lines for a problem: detected hops first, then the other common hops, then the generic advice. */
export function fixesFor(problem: Problem, hops: Hop[]): string {
  const table = FIXES[problem];
  const kinds = [...hops.map((h) => h.kind), ...COMMON.filter((k) => !hops.some((h) => h.kind === k))];
  const lines: string[] = [];
  for (const kind of kinds) {
    const fix = table[kind];
    if (fix) lines.push(fix);
  }
  lines.push(table.other);
  return lines.join('\n');
}
