// Checks: a request for a model that does not exist must come back as a clean JSON error with a 4xx
// status in the client's dialect (SPEC §4.2) — not a 200 stream, not a hang, not a proxy's HTML page —
// and the same connection must then serve the next request.

import { randomBytes } from 'node:crypto';
import { describeHops, fixesFor } from '../hops.ts';
import { exchange, ExchangeError, headerValue, singleConnectionAgent, type ExchangeResult } from '../http.ts';
import { ms, type Session } from '../session.ts';
import type { Check } from '../types.ts';

const ERROR_TIMEOUT_MS = 15_000;

export async function checkErrorHandling(s: Session): Promise<Check[]> {
  const model = `sluice-doctor-no-such-model-${randomBytes(4).toString('hex')}`;
  const { path, body } = s.target.chatRequest(model);
  const agent = singleConnectionAgent(s.target.url('/'));
  try {
    let res: ExchangeResult;
    try {
      res = await exchange({
        url: s.target.url(path),
        method: 'POST',
        body,
        agent,
        headers: s.target.headers({ accept: 'text/event-stream' }),
        timeoutMs: Math.min(ERROR_TIMEOUT_MS, s.target.timeoutMs),
      });
    } catch (err) {
      if (!(err instanceof ExchangeError)) throw err;
      const hang = err.code === 'TIMEOUT';
      return [
        {
          name: 'error-handling',
          status: 'fail',
          detail: hang ? `a request for an unknown model got no answer within ${ms(err.elapsedMs)} (hang)` : `a request for an unknown model failed: ${err.message}`,
          culprit: 'the gateway does not answer requests it cannot route',
          fix: 'answer unknown models at once with 404 and a JSON error in the client dialect (docs/spec.md §4.2)',
        },
        { name: 'connection-reuse', status: 'skip', detail: 'skipped: the error request got no response' },
      ];
    }
    return [judgeError(s, res, model), await nextRequest(s, agent, res)];
  } finally {
    agent.destroy();
  }
}

function judgeError(s: Session, res: ExchangeResult, model: string): Check {
  const name = 'error-handling';
  const type = headerValue(res.headers, 'content-type') ?? '';
  const took = ms(res.headersAt - res.startedAt);
  const data = { status: res.status, contentType: type, ms: Math.round(res.headersAt - res.startedAt) };
  const spec = 'answer unknown models with 404 and a JSON error in the client dialect, before any stream starts (docs/spec.md §4.2)';
  if (res.status === 200) {
    return {
      name,
      status: 'fail',
      detail: `an unknown model answered 200${type.startsWith('text/event-stream') ? ' with a stream' : ''}: clients cannot see the error status`,
      culprit: 'the gateway starts the response before resolving the model',
      fix: spec,
      data,
    };
  }
  if (res.end === 'timeout') {
    return { name, status: 'fail', detail: `the error response (${res.status}) never finished (hang)`, culprit: 'the gateway', fix: spec, data };
  }
  const shape = errorShape(s, res.body);
  if (res.status >= 500) {
    return {
      name,
      status: 'fail',
      detail: `an unknown model answered ${res.status} in ${took}; SDKs retry 5xx, so the client waits through retries for a request that cannot succeed`,
      culprit: describeHops(s.hops) && !shape ? `${describeHops(s.hops)} (not the gateway) produced the error` : 'the gateway reports a client error as a server error',
      fix: spec,
      data,
    };
  }
  if (!type.includes('json') || !shape) {
    const html = /html/i.test(type) || /^\s*</.test(res.body.toString('utf8', 0, 64));
    return {
      name,
      status: 'fail',
      detail: `an unknown model answered ${res.status} with ${html ? 'an HTML page' : `a ${type || 'untyped'} body`}, not a JSON error in the ${s.target.protocol} dialect`,
      culprit: html ? `${describeHops(s.hops) ?? 'a proxy between you and the gateway'} replaces the gateway's error body with its own page` : 'the gateway',
      fix: html ? fixesFor('error-page', s.hops) : spec,
      data,
    };
  }
  const status = res.status === 404 ? 'pass' : 'warn';
  return {
    name,
    status,
    detail: `unknown model "${model}" → ${res.status} JSON error in ${took}: ${shape.slice(0, 120)}`,
    ...(status === 'warn' ? { culprit: 'the gateway', fix: 'OpenAI and Anthropic answer unknown models with 404 (not_found_error / model_not_found)' } : {}),
    data,
  };
}

/** The error message when the body is a JSON error in the target's dialect (its probe knows the shape). */
function errorShape(s: Session, body: Buffer): string | undefined {
  try {
    return s.target.probe.errorMessage(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** After the error, the same keep-alive connection must answer GET /healthz. */
async function nextRequest(s: Session, agent: ReturnType<typeof singleConnectionAgent>, previous: ExchangeResult): Promise<Check> {
  const name = 'connection-reuse';
  const closing = /\bclose\b/i.test(headerValue(previous.headers, 'connection') ?? '');
  try {
    const res = await exchange({ url: s.target.url('/healthz'), agent, headers: s.target.headers(), timeoutMs: Math.min(ERROR_TIMEOUT_MS, s.target.timeoutMs) });
    if (res.end !== 'complete') return { name, status: 'fail', detail: `the request after the error was not answered completely (${res.end})`, culprit: 'the gateway', fix: 'keep the connection usable after an error response' };
    if (res.reusedSocket) return { name, status: 'pass', detail: `the same connection served the next request (GET /healthz → ${res.status})` };
    return {
      name,
      status: 'warn',
      detail: `the next request needed a new connection${closing ? ' (the error response said Connection: close)' : ''}`,
      culprit: closing ? 'the gateway (or a hop) closes the connection after an error' : 'the connection was closed after the error response',
      fix: 'keep connections alive after error responses: clients reconnect on every failed request otherwise',
    };
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    return {
      name,
      status: 'fail',
      detail: `the request after the error failed: ${err.message}`,
      culprit: 'the gateway left the connection unusable after the error',
      fix: 'read (or discard) the whole request body and end the error response cleanly (docs/spec.md §4.2)',
    };
  }
}
