// Azure OpenAI as `sluice mock` speaks it: OpenAI Chat Completions chunks with Azure's content-filter
// shapes (docs/cloud-providers.md): the prompt annotation first (empty id/model/choices), `"usage":null`
// on every chunk, a delta-less annotation chunk mid-stream and another after the finish chunk (the
// asynchronous filter, Q-43). `finish=content_filter` plays the asynchronous filter blocking text it
// already let through: the usual `stop` finish, then a late annotation with
// `finish_reason:"content_filter"`. Errors carry a string `code`.

import type { Dialect, Inspected, RouteInfo, SseEvent, StreamContext } from '../../mock/dialect.ts';
import { openai } from '../../mock/dialects/openai.ts';

const FILTER_RESULTS =
  '{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},' +
  '"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}';
const PROMPT_FILTER = `{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":${FILTER_RESULTS}}],"usage":null}`;
const BLOCKED_RESULTS = '{"protected_material_text":{"detected":true,"filtered":true}}';

function annotation(finish: string, end: number, results = FILTER_RESULTS): SseEvent {
  return {
    data:
      `{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"finish_reason":${finish},` +
      `"content_filter_results":${results},"content_filter_offsets":{"check_offset":0,"start_offset":0,"end_offset":${end}}}],"usage":null}`,
  };
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  // The late-blocking case streams like a normal answer and ends with the filter's verdict.
  const late = ctx.answer.finish === 'content_filter';
  const inner = openai.streamEvents(late ? { ...ctx, answer: { ...ctx.answer, finish: 'stop' } } : ctx);
  const textLength = ctx.answer.text.reduce((n, t) => n + t.length, 0);
  const events: SseEvent[] = [{ data: PROMPT_FILTER }];
  const finalAt = inner.findIndex((e) => e.final === true);
  const middle = finalAt > 1 ? Math.ceil(finalAt / 2) : -1;
  for (let i = 0; i < inner.length; i++) {
    const e = inner[i]!;
    if (i === middle) events.push(annotation('null', textLength >> 1));
    events.push(e);
    if (i === finalAt) events.push(late ? annotation('"content_filter"', textLength, BLOCKED_RESULTS) : annotation('null', textLength));
  }
  return events;
}

/** `{"error":{"code":"429","message":…}}`: Azure's codes are strings, type and param absent. */
function errorJson(status: number, message: string): string {
  return JSON.stringify({ error: { code: String(status), message } });
}

function inspect(body: unknown, route: RouteInfo): Inspected | string {
  const info = openai.inspect(body, route);
  if (typeof info === 'string') return info;
  // Classic deployment paths name the deployment; the body's model is ignored there.
  return route.pathModel !== undefined ? { ...info, model: route.pathModel } : info;
}

export const azureOpenAI: Dialect = {
  ...openai,
  name: 'openai',
  inspect,
  streamEvents,
  errorJson,
  keepaliveEvent: { comment: '' },
  requestIdHeader: 'apim-request-id',
};
