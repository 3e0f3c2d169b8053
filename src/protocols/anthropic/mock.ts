// Anthropic Messages as the mock speaks it (protocols/anthropic-messages.md §5–§7): named events,
// blocks opened/delta'd/stopped in order, one ping, cumulative usage in message_delta.

import type { Usage } from '../../mock/content.ts';
import type { Finish } from '../../mock/directives.ts';
import { type Dialect, type Inspected, type RouteInfo, type SseEvent, type StreamContext, contentText, isObject, lastUserText } from '../../mock/dialect.ts';

const PING: SseEvent = { name: 'ping', data: '{"type": "ping"}' };
const SIGNATURE = 'bW9jay1zaWduYXR1cmUtZm9yLXRoaW5raW5n';
const MESSAGE_STOP: SseEvent = { name: 'message_stop', data: '{"type":"message_stop"}' };

/** §5 stop_reason for the canonical finish. */
const STOP_REASON: Record<Finish, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'refusal',
  tool_calls: 'tool_use',
};

/**
 * §5 usage: input_tokens counts only the uncached input; cache reads and writes have their own
 * fields; thinking tokens are reported inside output_tokens (and in output_tokens_details).
 */
function usageJson(u: Usage, output: number): string {
  const details = u.reasoning > 0 && output >= u.reasoning ? `,"output_tokens_details":{"thinking_tokens":${u.reasoning}}` : '';
  return (
    `{"input_tokens":${u.input - u.cacheRead - u.cacheWrite},"cache_creation_input_tokens":${u.cacheWrite},` +
    `"cache_read_input_tokens":${u.cacheRead},"output_tokens":${output}${details}}`
  );
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  const { answer, plan } = ctx;
  const f = plan.faults;
  const usage = answer.usage;
  const events: SseEvent[] = [];
  events.push({
    name: 'message_start',
    data:
      `{"type":"message_start","message":{"id":"msg_mock${ctx.requestId}","type":"message","role":"assistant","model":${ctx.modelJson},` +
      `"content":[],"stop_reason":null,"stop_sequence":null${usage ? `,"usage":${usageJson(usage, 1)}` : ''}}}`,
  });
  let index = 0;
  let pinged = false;
  const start = (block: string): void => {
    events.push({ name: 'content_block_start', data: `{"type":"content_block_start","index":${index},"content_block":${block}}` });
    // Real streams carry one ping right after the first block opens.
    if (!pinged) {
      events.push(PING);
      pinged = true;
    }
  };
  const deltaHead = (): string => `{"type":"content_block_delta","index":${index},"delta":`;
  const stop = (): void => {
    events.push({ name: 'content_block_stop', data: `{"type":"content_block_stop","index":${index}}` });
    index++;
  };

  if (answer.reasoning.length > 0) {
    start('{"type":"thinking","thinking":"","signature":""}');
    const head = deltaHead() + '{"type":"thinking_delta","thinking":';
    for (const r of answer.reasoning) events.push({ name: 'content_block_delta', data: head + JSON.stringify(r) + '}}' });
    events.push({ name: 'content_block_delta', data: deltaHead() + `{"type":"signature_delta","signature":"${SIGNATURE}"}}` });
    stop();
  }
  if (answer.text.length > 0) {
    start('{"type":"text","text":""}');
    const head = deltaHead() + '{"type":"text_delta","text":';
    for (let i = 0; i < answer.text.length; i++) {
      events.push({ name: 'content_block_delta', data: head + answer.textJson[i] + '}}' });
      if (i === 0 && f.has('empty_deltas')) events.push({ name: 'content_block_delta', data: head + '""}}' }); // Q-19
    }
    stop();
  }
  for (const call of answer.toolCalls) {
    start(`{"type":"tool_use","id":"toolu_${call.id}","name":${call.nameJson},"input":{}}`);
    const head = deltaHead() + '{"type":"input_json_delta","partial_json":';
    if (f.has('whole_tool')) {
      events.push({ name: 'content_block_delta', data: head + answer.argsJsonString + '}}' }); // Q-21
    } else {
      // §6: the first input_json_delta is often "".
      events.push({ name: 'content_block_delta', data: head + '""}}' });
      for (const frag of answer.argsFragmentsJson) events.push({ name: 'content_block_delta', data: head + frag + '}}' });
    }
    stop();
  }
  if (!pinged) events.push(PING);
  events.push({
    name: 'message_delta',
    data:
      `{"type":"message_delta","delta":{"stop_reason":"${STOP_REASON[answer.finish]}","stop_sequence":null}` +
      (usage ? `,"usage":${usageJson(usage, usage.output)}}` : '}'),
    final: true,
  });
  events.push(MESSAGE_STOP);
  return events;
}

function responseJson(ctx: StreamContext): string {
  const { answer } = ctx;
  const blocks: string[] = [];
  if (answer.reasoning.length > 0) {
    blocks.push(`{"type":"thinking","thinking":${JSON.stringify(answer.reasoning.join(''))},"signature":"${SIGNATURE}"}`);
  }
  if (answer.text.length > 0) blocks.push(`{"type":"text","text":${JSON.stringify(answer.text.join(''))}}`);
  for (const call of answer.toolCalls) {
    blocks.push(`{"type":"tool_use","id":"toolu_${call.id}","name":${call.nameJson},"input":${answer.argsJson}}`);
  }
  const usage = answer.usage;
  return (
    `{"id":"msg_mock${ctx.requestId}","type":"message","role":"assistant","model":${ctx.modelJson},"content":[${blocks.join(',')}],` +
    `"stop_reason":"${STOP_REASON[answer.finish]}","stop_sequence":null` +
    (usage ? `,"usage":${usageJson(usage, usage.output)}}` : '}')
  );
}

/** §7 error.type by status. */
function errorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 503:
    case 529:
      return 'overloaded_error';
  }
  return status >= 500 ? 'api_error' : 'invalid_request_error';
}

function errorJson(status: number, message: string): string {
  return JSON.stringify({ type: 'error', error: { type: errorType(status), message } });
}

function midStreamError(): SseEvent {
  // §7: the documented mid-stream error.
  return { name: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' };
}

function malformedEvent(): SseEvent {
  return { name: 'content_block_delta', data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"brok' };
}

function inspect(body: unknown, route: RouteInfo): Inspected | string {
  if (!isObject(body)) return 'request body must be a JSON object';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  const toolNames: string[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) if (isObject(t) && typeof t.name === 'string') toolNames.push(t.name);
  }
  // A final assistant message is a prefill the answer continues (anthropic-messages.md §3); the API
  // refuses one that ends in whitespace.
  const last = body.messages[body.messages.length - 1];
  let prefill: string | undefined;
  if (isObject(last) && last.role === 'assistant') {
    const text = contentText(last.content);
    prefill = text;
    if (/\s$/u.test(text)) return 'messages: final assistant content cannot end with trailing whitespace';
  }
  return {
    model: typeof body.model === 'string' ? body.model : 'mock-model',
    stream: route.count !== true && body.stream === true,
    includeUsage: true,
    messageCount: body.messages.length,
    lastUserText: lastUserText(body.messages, (m) => m.content),
    toolNames,
    prefill,
  };
}

export const anthropicMock: Dialect = {
  name: 'anthropic',
  routes: [
    { path: /\/messages$/, help: ['POST …/v1/messages', 'Anthropic'] },
    { path: /\/messages\/count_tokens$/, info: () => ({ count: true }), help: ['POST …/v1/messages/count_tokens', 'Anthropic token count: {"input_tokens": N}'] },
  ],
  countJson: (tokens) => `{"input_tokens":${tokens}}`,
  inspect,
  streamEvents,
  responseJson,
  errorJson,
  midStreamError,
  malformedEvent,
  keepaliveEvent: PING,
  sseContentType: 'text/event-stream; charset=utf-8',
  requestIdHeader: 'request-id',
};
