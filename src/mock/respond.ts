// Chooses what to send for one parsed request — a normal answer or the response mode a fault asks
// for — and hands the bytes to the player.

import { STATUS_CODES, type ServerResponse } from 'node:http';
import { buildAnswer } from './content.ts';
import type { Dialect, Inspected, StreamContext } from './dialect.ts';
import type { Plan } from './directives.ts';
import { type Framed, frameBody, frameJsonArray, frameStream } from './framing.ts';
import { type PlayOptions, play } from './player.ts';

export interface Exchange {
  res: ServerResponse;
  dialect: Dialect;
  plan: Plan;
  info: Inspected;
  requestId: number;
  /** Gemini streamGenerateContent without alt=sse streams a JSON array instead of SSE. */
  jsonArray: boolean;
  /** A token-count route: one JSON answer with the prompt tokens (after any response-mode fault). */
  count: boolean;
  markFault(): void;
  /** Registers the stop function of a running response, so MockServer.close() can end it. */
  track(stop: () => void): void;
}

const JSON_TYPE = 'application/json';

function htmlPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<!DOCTYPE html>\n<html>\n<head><title>${title}</title></head>\n<body>\n<center><h1>${title}</h1></center>\n<hr><center>cloudflare</center>\n</body>\n</html>\n`;
}

function single(body: string): Framed {
  return { frames: [body], endingAt: 1, errorFrame: '', keepaliveFrame: '' };
}

const NOTHING: Framed = { frames: [], endingAt: 0, errorFrame: '', keepaliveFrame: '' };

export function respond(x: Exchange): void {
  const { res, dialect, plan, info } = x;
  const baseHeaders: Record<string, string> = { [dialect.requestIdHeader]: `req_mock${x.requestId}` };
  const sseHeaders = (contentType = dialect.sseContentType): Record<string, string> => ({
    ...baseHeaders,
    'content-type': contentType,
    'cache-control': 'no-cache',
  });
  const errorHeaders = (contentType: string, status?: number): Record<string, string> => {
    const h: Record<string, string> = { ...baseHeaders, ...(status === undefined ? undefined : dialect.errorHeaders?.(status)), 'content-type': contentType };
    if (plan.retryAfter !== undefined) h['retry-after'] = String(plan.retryAfter);
    return h;
  };
  const run = (o: Partial<PlayOptions> & Pick<PlayOptions, 'status' | 'headers' | 'headersEarly' | 'framed'>): void => {
    x.track(
      play(res, {
        firstMs: plan.firstMs,
        delayMs: plan.delayMs,
        keepaliveMs: 0,
        ending: undefined,
        endAfterMs: undefined,
        onFault: x.markFault,
        encoding: plan.encoding,
        ...o,
      }),
    );
  };
  const ctx: StreamContext = {
    requestId: x.requestId,
    model: info.model,
    modelJson: JSON.stringify(info.model),
    created: Math.floor(Date.now() / 1000),
    includeUsage: info.includeUsage,
    plan,
    answer: buildAnswer(plan, info, x.requestId),
  };

  const sse = info.stream && !x.jsonArray;
  switch (plan.mode) {
    case 'drop_before':
      x.markFault();
      res.socket?.destroy();
      return;
    case 'stall_headers':
      return; // the record stays open until the client gives up
    case 'status': {
      x.markFault();
      const status = plan.status ?? 500;
      const body = dialect.errorJson(status, `sluice mock: injected HTTP ${status} (fault=status)`);
      return run({ status, headers: errorHeaders(JSON_TYPE, status), headersEarly: false, framed: single(body) });
    }
    case 'html_error': {
      x.markFault();
      const status = plan.status ?? 502;
      return run({ status, headers: errorHeaders('text/html; charset=utf-8'), headersEarly: false, framed: single(htmlPage(status)) });
    }
    case 'json_error_sse': {
      // an error body under text/event-stream, often with status 200.
      x.markFault();
      const status = plan.status ?? 200;
      const body = dialect.errorJson(status >= 400 ? status : 500, 'sluice mock: injected error body (fault=json_error_sse)');
      return run({ status, headers: errorHeaders(dialect.sseContentType), headersEarly: false, framed: single(body) });
    }
    case 'stall_first':
      return run({
        status: 200,
        headers: sse ? sseHeaders() : { ...baseHeaders, 'content-type': JSON_TYPE },
        headersEarly: true,
        // Keepalive frames (if asked for) still flow: the "relay that only pings" case.
        framed: sse ? { ...frameStream([], plan, ctx, dialect), frames: [], endingAt: 0 } : NOTHING,
        ending: 'stall_mid',
        keepaliveMs: sse ? plan.keepaliveMs : 0,
        firstMs: 0,
      });
    case 'keepalive_only': {
      const framed = frameStream([], plan, ctx, dialect);
      return run({
        status: 200,
        headers: sseHeaders(),
        headersEarly: true,
        framed: { ...framed, frames: [], endingAt: 0 },
        ending: 'stall_mid',
        keepaliveMs: plan.everyMs,
        endAfterMs: plan.forMs,
        firstMs: 0,
      });
    }
    case 'json_sse': {
      // the whole completion as one JSON object under text/event-stream.
      let body = dialect.responseJson(ctx);
      if (plan.faults.has('done_after_stop')) body += '\n\ndata: [DONE]\n\n';
      return run({ status: 200, headers: sseHeaders(), headersEarly: false, framed: single(body) });
    }
    case 'ignore_stream':
      // stream:true ignored.
      return run({ status: 200, headers: { ...baseHeaders, 'content-type': JSON_TYPE }, headersEarly: false, framed: single(dialect.responseJson(ctx)) });
  }

  if (x.count && dialect.countJson !== undefined) {
    const body = dialect.countJson(ctx.answer.usage?.input ?? 0);
    return run({ status: 200, headers: { ...baseHeaders, 'content-type': JSON_TYPE }, headersEarly: false, framed: single(body), delayMs: 0 });
  }

  if (!info.stream) {
    // A non-streaming answer takes as long as its stream would have.
    const firstMs = plan.firstMs + plan.delayMs * ctx.answer.text.length;
    const ending = plan.ending === 'error_mid' ? undefined : plan.ending;
    return run({
      status: 200,
      headers: { ...baseHeaders, 'content-type': JSON_TYPE },
      headersEarly: ending !== undefined,
      framed: frameBody(dialect.responseJson(ctx), plan),
      firstMs,
      delayMs: 0,
      ending,
    });
  }

  const events = dialect.streamEvents(ctx);
  const framed = x.jsonArray ? frameJsonArray(events, plan, ctx, dialect) : frameStream(events, plan, ctx, dialect);
  const contentType = x.jsonArray || plan.mode === 'sse_as_json' ? JSON_TYPE : dialect.sseContentType;
  run({
    status: 200,
    headers: sseHeaders(contentType),
    headersEarly: true,
    framed,
    ending: plan.ending,
    keepaliveMs: x.jsonArray ? 0 : plan.keepaliveMs,
  });
}
