// OpenAI Responses as `sluice mock` speaks it (docs/protocols/openai-responses.md §2, §3): the full
// event lifecycle with sequence numbers, a reasoning item (summary deltas, encrypted_content), a
// message item, one function_call item per tool call, `response.completed` (or `.incomplete`) with
// usage. Event strings are assembled from constant parts; the benchmark drives thousands of streams.

import type { Finish } from '../../mock/directives.ts';
import { type Dialect, type Inspected, type SseEvent, type StreamContext, contentText, isObject } from '../../mock/dialect.ts';
import { openaiMock } from '../openai/mock.ts';

const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

/** input_tokens includes the cached tokens (directive cached=), output_tokens the reasoning. */
function usageJson(input: number, output: number, reasoning: number, cached = 0): string {
  return (
    `{"input_tokens":${input},"input_tokens_details":{"cached_tokens":${cached}},"output_tokens":${output},` +
    `"output_tokens_details":{"reasoning_tokens":${reasoning}},"total_tokens":${input + output}}`
  );
}

/** §2: status and incomplete_details for the mock's finish. */
function outcome(finish: Finish): { status: string; incomplete: string } {
  switch (finish) {
    case 'length':
      return { status: 'incomplete', incomplete: '{"reason":"max_output_tokens"}' };
    case 'content_filter':
      return { status: 'incomplete', incomplete: '{"reason":"content_filter"}' };
    default:
      return { status: 'completed', incomplete: 'null' };
  }
}

function responseHead(ctx: StreamContext, status: string): string {
  return (
    `{"id":"resp_mock${ctx.requestId}","object":"response","created_at":${ctx.created},"status":"${status}","background":false,` +
    `"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":${ctx.modelJson},`
  );
}

const RESPONSE_TAIL =
  '"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"service_tier":"default",' +
  '"store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],' +
  '"top_logprobs":0,"top_p":1.0,"truncation":"disabled","user":null,"metadata":{}';

interface Items {
  /** Complete output items as JSON, in order. */
  done: string[];
  reasoningId: string;
  messageId: string;
}

function items(ctx: StreamContext): Items {
  const { answer } = ctx;
  const done: string[] = [];
  const reasoningId = `rs_mock${ctx.requestId}`;
  const messageId = `msg_mock${ctx.requestId}`;
  if (answer.reasoning.length > 0) {
    done.push(
      `{"id":"${reasoningId}","type":"reasoning","summary":[{"type":"summary_text","text":${JSON.stringify(answer.reasoning.join(''))}}],` +
        `"encrypted_content":"${encrypted(ctx)}"}`,
    );
  }
  if (answer.text.length > 0) {
    done.push(
      `{"id":"${messageId}","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],` +
        `"text":${JSON.stringify(answer.text.join(''))}}],"role":"assistant"}`,
    );
  }
  for (const call of answer.toolCalls) {
    done.push(
      `{"id":"fc_${call.id}","type":"function_call","status":"completed","arguments":${answer.argsJsonString},` +
        `"call_id":"call_${call.id}","name":${call.nameJson}}`,
    );
  }
  return { done, reasoningId, messageId };
}

/** Stands in for OpenAI's encrypted reasoning: opaque, deterministic, base64-looking. */
function encrypted(ctx: StreamContext): string {
  return `gAAAAABmock${ctx.requestId}` + Buffer.from(ctx.answer.reasoning.join(''), 'utf8').toString('base64');
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  const { answer, plan } = ctx;
  const f = plan.faults;
  const events: SseEvent[] = [];
  let seq = 0;
  const push = (type: string, fields: string, final?: true): void => {
    const data = `{"type":"${type}","sequence_number":${seq++},${fields}}`;
    events.push(final ? { name: type, data, final } : { name: type, data });
  };
  const all = items(ctx);
  const inProgress = `${responseHead(ctx, 'in_progress')}"output":[],${RESPONSE_TAIL},"usage":null}`;
  push('response.created', `"response":${inProgress}`);
  push('response.in_progress', `"response":${inProgress}`);
  let outputIndex = 0;
  let doneIndex = 0;

  if (answer.reasoning.length > 0) {
    const where = `"item_id":"${all.reasoningId}","output_index":${outputIndex},"summary_index":0`;
    push('response.output_item.added', `"output_index":${outputIndex},"item":{"id":"${all.reasoningId}","type":"reasoning","summary":[]}`);
    push('response.reasoning_summary_part.added', `${where},"part":{"type":"summary_text","text":""}`);
    for (const r of answer.reasoning) push('response.reasoning_summary_text.delta', `${where},"delta":${JSON.stringify(r)}`);
    const text = JSON.stringify(answer.reasoning.join(''));
    push('response.reasoning_summary_text.done', `${where},"text":${text}`);
    push('response.reasoning_summary_part.done', `${where},"part":{"type":"summary_text","text":${text}}`);
    push('response.output_item.done', `"output_index":${outputIndex},"item":${all.done[doneIndex++]}`);
    outputIndex++;
  }
  if (answer.text.length > 0) {
    const where = `"item_id":"${all.messageId}","output_index":${outputIndex},"content_index":0`;
    push(
      'response.output_item.added',
      `"output_index":${outputIndex},"item":{"id":"${all.messageId}","type":"message","status":"in_progress","content":[],"role":"assistant"}`,
    );
    push('response.content_part.added', `${where},"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}`);
    for (let i = 0; i < answer.text.length; i++) {
      push('response.output_text.delta', `${where},"delta":${answer.textJson[i]},"logprobs":[]`);
      if (i === 0 && f.has('empty_deltas')) push('response.output_text.delta', `${where},"delta":"","logprobs":[]`);
    }
    const text = JSON.stringify(answer.text.join(''));
    push('response.output_text.done', `${where},"text":${text},"logprobs":[]`);
    push('response.content_part.done', `${where},"part":{"type":"output_text","annotations":[],"logprobs":[],"text":${text}}`);
    push('response.output_item.done', `"output_index":${outputIndex},"item":${all.done[doneIndex++]}`);
    outputIndex++;
  }
  for (const call of answer.toolCalls) {
    const where = `"item_id":"fc_${call.id}","output_index":${outputIndex}`;
    push(
      'response.output_item.added',
      `"output_index":${outputIndex},"item":{"id":"fc_${call.id}","type":"function_call","status":"in_progress","arguments":"","call_id":"call_${call.id}","name":${call.nameJson}}`,
    );
    if (f.has('whole_tool')) push('response.function_call_arguments.delta', `${where},"delta":${answer.argsJsonString}`);
    else for (const frag of answer.argsFragmentsJson) push('response.function_call_arguments.delta', `${where},"delta":${frag}`);
    push('response.function_call_arguments.done', `${where},"name":${call.nameJson},"arguments":${answer.argsJsonString}`);
    push('response.output_item.done', `"output_index":${outputIndex},"item":${all.done[doneIndex++]}`);
    outputIndex++;
  }
  const { status, incomplete } = outcome(answer.finish);
  const usage = answer.usage;
  const final =
    responseHead(ctx, status).replace('"incomplete_details":null', `"incomplete_details":${incomplete}`) +
    `"output":[${all.done.join(',')}],${RESPONSE_TAIL},"usage":${usage ? usageJson(usage.input, usage.output, usage.reasoning, usage.cacheRead) : 'null'}}`;
  push(status === 'completed' ? 'response.completed' : 'response.incomplete', `"response":${final}`, true);
  return events;
}

function responseJson(ctx: StreamContext): string {
  const all = items(ctx);
  const { status, incomplete } = outcome(ctx.answer.finish);
  const usage = ctx.answer.usage;
  return (
    responseHead(ctx, status).replace('"incomplete_details":null', `"incomplete_details":${incomplete}`) +
    `"output":[${all.done.join(',')}],${RESPONSE_TAIL},"usage":${usage ? usageJson(usage.input, usage.output, usage.reasoning, usage.cacheRead) : 'null'}}`
  );
}

/** The mid-stream `error` event in the nested shape OpenAI sends at runtime. */
function midStreamError(ctx: StreamContext): SseEvent {
  return {
    name: 'error',
    data: `{"type":"error","sequence_number":${ctx.plan.after},"error":{"type":"server_error","code":"server_error","message":${JSON.stringify(SERVER_ERROR_MESSAGE)},"param":null}}`,
  };
}

function malformedEvent(ctx: StreamContext): SseEvent {
  return { name: 'response.output_text.delta', data: `{"type":"response.output_text.delta","item_id":"msg_mock${ctx.requestId}","delta":"brok` };
}

/** Text of the last user item; a function_call_output after it is a newer turn without directives. */
function lastUserText(input: unknown[]): string {
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (!isObject(item)) continue;
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') return '';
    if (item.role === 'user' && (item.type === undefined || item.type === 'message')) return contentText(item.content);
  }
  return '';
}

function inspect(body: unknown): Inspected | string {
  if (!isObject(body)) return 'request body must be a JSON object';
  const input = body.input;
  if (typeof input !== 'string' && !Array.isArray(input)) return "Missing required parameter: 'input'.";
  const toolNames: string[] = [];
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) if (isObject(t) && (t.type === 'function' || t.type === 'custom') && typeof t.name === 'string') toolNames.push(t.name);
  }
  return {
    model: typeof body.model === 'string' ? body.model : 'mock-model',
    stream: body.stream === true,
    includeUsage: true,
    messageCount: typeof input === 'string' ? 1 : input.length,
    lastUserText: typeof input === 'string' ? input : lastUserText(input),
    toolNames,
  };
}

export const responsesMock: Dialect = {
  name: 'openai-responses',
  routes: [{ path: /\/responses$/, help: ['POST …/v1/responses', 'OpenAI Responses'] }],
  inspect,
  streamEvents,
  responseJson,
  // Errors before the stream have the Chat Completions shape.
  errorJson: openaiMock.errorJson,
  midStreamError,
  malformedEvent,
  keepaliveEvent: { comment: 'keepalive' },
  sseContentType: 'text/event-stream; charset=utf-8',
  requestIdHeader: 'x-request-id',
};
