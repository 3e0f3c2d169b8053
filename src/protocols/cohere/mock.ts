// Cohere v2 chat as `sluice mock` speaks it (docs/protocols/cohere.md §3–§7): named events with the
// type repeated in the data, content blocks and tool calls numbered separately, the text of a tool
// turn streamed as its tool plan, finish_reason and usage in message-end, no [DONE]; errors as
// `{"id","message"}`, the mid-stream failure as message-end with finish_reason ERROR.

import type { Finish } from '../../mock/directives.ts';
import { type Dialect, type Inspected, type SseEvent, type StreamContext, isObject, lastUserText } from '../../mock/dialect.ts';
import { COHERE } from './wire.ts';

/** finish_reason for the mock's canonical finish (§5). */
const FINISH_REASON: Record<Finish, string> = {
  stop: 'COMPLETE',
  length: 'MAX_TOKENS',
  content_filter: 'ERROR',
  tool_calls: 'TOOL_CALL',
};

function usageJson(ctx: StreamContext): string {
  const u = ctx.answer.usage;
  if (!u) return '';
  const pair = `{"input_tokens":${u.input},"output_tokens":${u.output}}`;
  // cached_tokens (directive cached=) is part of tokens.input_tokens.
  const cached = u.cacheRead > 0 ? `,"cached_tokens":${u.cacheRead}` : '';
  return `,"usage":{"billed_units":${pair},"tokens":${pair}${cached}}`;
}

function messageId(ctx: StreamContext): string {
  return `"mock-${ctx.requestId}-0000-4000-8000-000000000000"`;
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  const { answer, plan } = ctx;
  const events: SseEvent[] = [];
  const ev = (type: string, body: string, final = false): void => {
    events.push({ name: type, data: `{"type":"${type}"${body}}`, ...(final ? { final } : {}) });
  };
  events.push({
    name: 'message-start',
    data: `{"id":${messageId(ctx)},"type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}`,
  });
  let content = 0;
  if (answer.reasoning.length > 0) {
    ev('content-start', `,"index":${content},"delta":{"message":{"content":{"type":"thinking","thinking":""}}}`);
    for (const r of answer.reasoning) ev('content-delta', `,"index":${content},"delta":{"message":{"content":{"thinking":${JSON.stringify(r)}}}}`);
    ev('content-end', `,"index":${content}`);
    content++;
  }
  const calls = answer.toolCalls;
  if (calls.length > 0) {
    // A tool turn has no content block: its words are the plan (§4).
    for (const t of answer.textJson) ev('tool-plan-delta', `,"delta":{"message":{"tool_plan":${t}}}`);
    calls.forEach((call, k) => {
      ev(
        'tool-call-start',
        `,"index":${k},"delta":{"message":{"tool_calls":{"id":"${call.name}_${call.id}","type":"function","function":{"name":${call.nameJson},"arguments":""}}}}`,
      );
      const fragments = plan.faults.has('whole_tool') ? [answer.argsJsonString] : answer.argsFragmentsJson;
      for (const f of fragments) ev('tool-call-delta', `,"index":${k},"delta":{"message":{"tool_calls":{"function":{"arguments":${f}}}}}`);
      ev('tool-call-end', `,"index":${k}`);
    });
  } else if (answer.text.length > 0) {
    ev('content-start', `,"index":${content},"delta":{"message":{"content":{"type":"text","text":""}}}`);
    const head = `,"index":${content},"delta":{"message":{"content":{"text":`;
    for (let i = 0; i < answer.textJson.length; i++) {
      ev('content-delta', head + answer.textJson[i] + '}}}');
      if (i === 0 && plan.faults.has('empty_deltas')) ev('content-delta', head + '""}}}');
    }
    ev('content-end', `,"index":${content}`);
  }
  ev('message-end', `,"delta":{"finish_reason":"${FINISH_REASON[answer.finish]}"${usageJson(ctx)}}`, true);
  return events;
}

function responseJson(ctx: StreamContext): string {
  const { answer } = ctx;
  const content: string[] = [];
  if (answer.reasoning.length > 0) content.push(`{"type":"thinking","thinking":${JSON.stringify(answer.reasoning.join(''))}}`);
  const text = answer.text.join('');
  let tools = '';
  if (answer.toolCalls.length > 0) {
    const calls = answer.toolCalls.map(
      (c) => `{"id":"${c.name}_${c.id}","type":"function","function":{"name":${c.nameJson},"arguments":${answer.argsJsonString}}}`,
    );
    tools = `,"tool_plan":${JSON.stringify(text)},"tool_calls":[${calls.join(',')}]`;
  } else if (text !== '') content.push(`{"type":"text","text":${JSON.stringify(text)}}`);
  return (
    `{"id":${messageId(ctx)},"finish_reason":"${FINISH_REASON[answer.finish]}",` +
    `"message":{"role":"assistant","content":[${content.join(',')}]${tools}}${usageJson(ctx)}}`
  );
}

function errorJson(status: number, message: string): string {
  return JSON.stringify({ id: `mock-error-${status}`, message });
}

function midStreamError(): SseEvent {
  // §6: the native failure of a started generation.
  return { name: 'message-end', data: '{"type":"message-end","delta":{"finish_reason":"ERROR","error":"internal server error"}}' };
}

function malformedEvent(): SseEvent {
  return { name: 'content-delta', data: '{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"brok' };
}

function inspect(body: unknown): Inspected | string {
  if (!isObject(body)) return 'invalid request: request body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'invalid request: model must be a non-empty string';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'invalid request: messages must be a non-empty list';
  const toolNames: string[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      const fn = isObject(t) ? t.function : undefined;
      if (isObject(fn) && typeof fn.name === 'string') toolNames.push(fn.name);
    }
  }
  return {
    model: body.model,
    stream: body.stream === true,
    includeUsage: true,
    messageCount: body.messages.length,
    lastUserText: lastUserText(body.messages, (m) => m.content),
    toolNames,
  };
}

export const cohereMock: Dialect = {
  name: COHERE,
  routes: [{ path: /\/v2\/chat$/, help: ['POST …/v2/chat', 'Cohere v2 chat'] }],
  inspect,
  streamEvents,
  responseJson,
  errorJson,
  midStreamError,
  malformedEvent,
  keepaliveEvent: { comment: 'keepalive' },
  sseContentType: 'text/event-stream',
  requestIdHeader: 'x-request-id',
};
