// Check 1: can anything be reached at URL? GET /healthz through the chain. No HTTP answer at all
// means nothing else can be tested (exit 2).

import { detectHops, mergeHops } from '../hops.ts';
import { exchange, ExchangeError } from '../http.ts';
import { ms, type Session } from '../session.ts';
import type { Check } from '../types.ts';

const HEALTH_TIMEOUT_MS = 10_000;

export async function checkReachability(s: Session): Promise<{ check: Check; reachable: boolean }> {
  const url = s.target.url('/healthz');
  try {
    const res = await exchange({ url, headers: s.target.headers(), timeoutMs: Math.min(HEALTH_TIMEOUT_MS, s.target.timeoutMs) });
    mergeHops(s.hops, detectHops(res.headers));
    const elapsed = ms(res.headersAt - res.startedAt);
    const data = { status: res.status, ms: Math.round(res.headersAt - res.startedAt) };
    if (res.status === 200 && isHealthy(res.body)) {
      return { reachable: true, check: { name: 'reachability', status: 'pass', detail: `GET /healthz → 200 {"status":"ok"} in ${elapsed}`, data } };
    }
    return {
      reachable: true,
      check: {
        name: 'reachability',
        status: 'warn',
        detail: `reachable, but GET /healthz answered ${res.status} in ${elapsed} (not a sluice, or a hop does not route /healthz)`,
        culprit: 'the hop at URL routes only part of the gateway, or the gateway is not a sluice',
        fix: 'route the whole gateway (/, /healthz, /debug/stream, /v1/…) through the proxy, or point the doctor at the gateway base URL',
        data,
      },
    };
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    const why = explainConnectError(err, url);
    return {
      reachable: false,
      check: { name: 'reachability', status: 'fail', detail: `GET /healthz: ${err.message}`, culprit: why.culprit, fix: why.fix, data: { code: err.code } },
    };
  }
}

function isHealthy(body: Buffer): boolean {
  try {
    return (JSON.parse(body.toString('utf8')) as { status?: unknown }).status === 'ok';
  } catch {
    return false;
  }
}

/** Maps a connection failure to its usual cause. */
export function explainConnectError(err: ExchangeError, url: URL): { culprit: string; fix: string } {
  const where = url.host;
  switch (err.code) {
    case 'ECONNREFUSED':
      return { culprit: `nothing listens on ${where}`, fix: 'start the gateway (sluice serve) or the proxy, or correct the host and port in URL' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { culprit: `the name ${url.hostname} does not resolve`, fix: 'check the host name in URL and your DNS' };
    case 'TIMEOUT':
    case 'ETIMEDOUT':
      return { culprit: `${where} did not answer in time (a firewall dropping packets, or a hung server)`, fix: 'check that the port is open and the process is serving' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { culprit: `${where} closed the connection without answering`, fix: 'check the scheme (http vs https) and that the port belongs to an HTTP server' };
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return { culprit: `TLS handshake with ${where} failed`, fix: 'use http:// for a plain-HTTP port, https:// only where TLS is served' };
    default:
      if (err.code.startsWith('CERT_') || err.code.includes('CERT') || err.code.startsWith('ERR_TLS')) {
        return { culprit: `the TLS certificate of ${where} is not trusted (${err.code})`, fix: 'install a valid certificate, or set NODE_EXTRA_CA_CERTS to your CA file' };
      }
      return { culprit: `could not connect to ${where} (${err.code})`, fix: 'check the URL and that the gateway is running' };
  }
}
