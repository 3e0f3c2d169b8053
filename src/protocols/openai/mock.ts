// OpenAI Chat Completions as the mock speaks it (protocols/openai-chat.md §5–§7), plus the
// OpenAI-compatible quirks of docs/quirks.md §C–§E. Chunk strings are assembled from
// pre-stringified constant parts: the benchmark drives thousands of these streams.

import { type Dialect, type Inspected, type SseEvent, type StreamContext, contentText, isObject, lastUserText } from '../../mock/dialect.ts';
import type { Usage } from '../../mock/content.ts';
import { MOCK_EMBEDDING_DIMENSIONS, MOCK_MAX_DIMENSIONS, base64Of, mockEmbedding, mockEmbeddingTokens } from '../../mock/embeddings.ts';

const CHOICE_OPEN = '{"index":0,"delta":';
const CHOICE_CLOSE = ',"logprobs":null,"finish_reason":';
const ROLE_DELTA = '{"role":"assistant","content":""}';
// the no-op deltas real servers send mid-stream.
const EMPTY_DELTAS = ['{}', '{"content":""}', '{"content":null}', '{"role":""}'];
const FILTER_RESULTS =
  '{"hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},' +
  '"sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"}}';
// Azure's first chunk has empty id/model and no choices.
const AZURE_PROMPT_FILTER =
  `{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":${FILTER_RESULTS}}]}`;
const SERVER_ERROR_MESSAGE = 'The server had an error while processing your request. Sorry about that!';

/** §6 usage: prompt_tokens includes the cached tokens (cached=), completion_tokens the reasoning. */
function usageJson(input: number, output: number, reasoning: number, cached = 0): string {
  return (
    `{"prompt_tokens":${input},"completion_tokens":${output},"total_tokens":${input + output},` +
    `"prompt_tokens_details":{"cached_tokens":${cached}},"completion_tokens_details":{"reasoning_tokens":${reasoning}}}`
  );
}

/** One entry of the stream body: a delta (content-bearing or not) or a raw choice object. */
interface Entry {
  delta?: string;
  choice?: string;
  tokens: number;
  reasoning: boolean;
  content: boolean;
}

function toolIdField(ctx: StreamContext, id: string): string {
  const f = ctx.plan.faults;
  if (f.has('tool_id_missing')) return '';
  if (f.has('tool_id_empty')) return '"id":"",';
  return `"id":"call_${id}",`;
}

function entries(ctx: StreamContext): Entry[] {
  const { answer, plan } = ctx;
  const f = plan.faults;
  const out: Entry[] = [];
  for (const r of answer.reasoning) {
    out.push({ delta: `{"reasoning_content":${JSON.stringify(r)}}`, tokens: 1, reasoning: true, content: true });
  }
  const noops = (): void => {
    for (const d of EMPTY_DELTAS) out.push({ delta: d, tokens: 0, reasoning: false, content: false });
  };
  if (f.has('empty_deltas') && answer.text.length === 0) noops();
  const annotationAt = f.has('azure_filter') ? Math.floor(answer.text.length / 2) : -1;
  for (let i = 0; i < answer.text.length; i++) {
    if (i === annotationAt) {
      // an annotation chunk whose choice has no `delta`.
      out.push({
        choice: `{"index":0,"finish_reason":null,"content_filter_offsets":{"check_offset":0,"start_offset":0,"end_offset":${i}},"content_filter_results":${FILTER_RESULTS}}`,
        tokens: 0,
        reasoning: false,
        content: false,
      });
    }
    out.push({ delta: '{"content":' + answer.textJson[i] + '}', tokens: 1, reasoning: false, content: true });
    if (i === 0 && f.has('empty_deltas')) noops();
  }
  const whole = f.has('whole_tool');
  const repeatId = f.has('tool_id_repeat');
  answer.toolCalls.forEach((call, k) => {
    const id = toolIdField(ctx, call.id);
    if (whole) {
      // the complete call in one chunk.
      out.push({
        delta: `{"tool_calls":[{"index":${k},${id}"type":"function","function":{"name":${call.nameJson},"arguments":${answer.argsJsonString}}}]}`,
        tokens: 10,
        reasoning: false,
        content: true,
      });
      return;
    }
    out.push({
      delta: `{"tool_calls":[{"index":${k},${id}"type":"function","function":{"name":${call.nameJson},"arguments":""}}]}`,
      tokens: 10,
      reasoning: false,
      content: true,
    });
    const head = `{"tool_calls":[{"index":${k},${repeatId ? id : ''}"function":{"arguments":`;
    for (const frag of answer.argsFragmentsJson) {
      out.push({ delta: head + frag + '}}]}', tokens: 0, reasoning: false, content: true });
    }
  });
  return out;
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  const { answer, plan } = ctx;
  const f = plan.faults;
  const usage = answer.usage;
  const events: SseEvent[] = [];
  const baseId = `chatcmpl-mock${ctx.requestId}`;
  const headOf = (id: string): string =>
    `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${ctx.created},"model":${ctx.modelJson},"choices":[`;
  const fixedHead = headOf(f.has('empty_ids') ? '' : baseId);
  const changingIds = f.has('changing_ids');
  const afterFinish = f.has('usage_after_finish');
  const everyChunk = f.has('usage_every_chunk') ? usage : undefined;
  // §6: with include_usage every chunk carries "usage":null until the usage chunk (not llama.cpp, Q-26).
  const nullTail = usage !== undefined && ctx.includeUsage && !afterFinish ? ',"usage":null}' : '}';
  let output = 0;
  let reasoning = 0;
  const head = (): string => (changingIds ? headOf(`${baseId}-${events.length}`) : fixedHead);
  const tail = (): string => (everyChunk ? `,"usage":${usageJson(everyChunk.input, output, reasoning, everyChunk.cacheRead)}}` : nullTail);
  const push = (choice: string, final?: true): void => {
    events.push(final ? { data: head() + choice + ']' + tail(), final } : { data: head() + choice + ']' + tail() });
  };

  if (f.has('azure_filter')) events.push({ data: AZURE_PROMPT_FILTER });
  push(CHOICE_OPEN + ROLE_DELTA + CHOICE_CLOSE + 'null}');
  const body = entries(ctx);
  const finishJson = JSON.stringify(answer.finish);
  let lastContent = -1;
  if (f.has('finish_on_content')) for (let i = 0; i < body.length; i++) if (body[i].content) lastContent = i;
  for (let i = 0; i < body.length; i++) {
    const e = body[i];
    output += e.tokens;
    if (e.reasoning) reasoning += e.tokens;
    if (e.choice !== undefined) push(e.choice);
    else if (i === lastContent) push(CHOICE_OPEN + e.delta + CHOICE_CLOSE + finishJson + '}', true);
    else push(CHOICE_OPEN + e.delta + CHOICE_CLOSE + 'null}');
  }
  if (lastContent < 0) push(CHOICE_OPEN + '{}' + CHOICE_CLOSE + finishJson + '}', true);
  if (usage !== undefined && (ctx.includeUsage || afterFinish)) {
    const timings = afterFinish ? `,"timings":{"prompt_n":${usage.input},"predicted_n":${usage.output},"predicted_ms":1.5}` : '';
    events.push({ data: head() + `],"usage":${usageJson(usage.input, usage.output, usage.reasoning, usage.cacheRead)}${timings}}` });
  }
  events.push({ data: '[DONE]' });
  return events;
}

function responseJson(ctx: StreamContext): string {
  const { answer } = ctx;
  const text = answer.text.join('');
  const content = text === '' && answer.toolCalls.length > 0 ? 'null' : JSON.stringify(text);
  const reasoning = answer.reasoning.length > 0 ? `,"reasoning_content":${JSON.stringify(answer.reasoning.join(''))}` : '';
  const calls =
    answer.toolCalls.length === 0
      ? ''
      : ',"tool_calls":[' +
        answer.toolCalls
          .map((c) => `{${toolIdField(ctx, c.id)}"type":"function","function":{"name":${c.nameJson},"arguments":${answer.argsJsonString}}}`)
          .join(',') +
        ']';
  const usage = answer.usage;
  return (
    `{"id":"chatcmpl-mock${ctx.requestId}","object":"chat.completion","created":${ctx.created},"model":${ctx.modelJson},` +
    `"choices":[{"index":0,"message":{"role":"assistant","content":${content},"refusal":null${reasoning}${calls},"annotations":[]},` +
    `"logprobs":null,"finish_reason":${JSON.stringify(answer.finish)}}]` +
    (usage ? `,"usage":${usageJson(usage.input, usage.output, usage.reasoning, usage.cacheRead)}` : '') +
    ',"system_fingerprint":"fp_sluice_mock"}'
  );
}

/** §7: error `type`/`code` by status, as OpenAI answers them. */
function errorKind(status: number): { type: string; code: string | null } {
  switch (status) {
    case 401:
      return { type: 'invalid_request_error', code: 'invalid_api_key' };
    case 403:
      return { type: 'invalid_request_error', code: 'permission_denied' };
    case 404:
      return { type: 'invalid_request_error', code: 'model_not_found' };
    case 429:
      return { type: 'requests', code: 'rate_limit_exceeded' };
  }
  return status >= 500 ? { type: 'server_error', code: null } : { type: 'invalid_request_error', code: null };
}

function errorJson(status: number, message: string): string {
  const { type, code } = errorKind(status);
  return JSON.stringify({ error: { message, type, param: null, code } });
}

function midStreamError(ctx: StreamContext): SseEvent {
  if (ctx.plan.style === 'openrouter') {
    // OpenRouter after tokens: a chunk with top-level error and finish_reason "error" (§7).
    return {
      data:
        `{"id":"gen-mock${ctx.requestId}","object":"chat.completion.chunk","created":${ctx.created},"model":${ctx.modelJson},` +
        `"provider":"MockProvider","error":{"code":502,"message":"Provider disconnected"},` +
        `"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}`,
    };
  }
  return { data: JSON.stringify({ error: { message: SERVER_ERROR_MESSAGE, type: 'server_error', param: null, code: null } }) };
}

function malformedEvent(ctx: StreamContext): SseEvent {
  return { data: `{"id":"chatcmpl-mock${ctx.requestId}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"brok` };
}

function inspect(body: unknown): Inspected | string {
  if (!isObject(body)) return 'request body must be a JSON object';
  if (!Array.isArray(body.messages)) return "Missing required parameter: 'messages'.";
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const toolNames: string[] = [];
  for (const t of tools) {
    const name = isObject(t) ? (isObject(t.function) ? t.function.name : t.name) : undefined;
    if (typeof name === 'string') toolNames.push(name);
  }
  // vLLM's continue_final_message: the final assistant message is continued, not answered.
  const last = body.messages[body.messages.length - 1];
  const prefill = body.continue_final_message === true && isObject(last) && last.role === 'assistant' ? contentText(last.content) : undefined;
  return {
    model: typeof body.model === 'string' ? body.model : 'mock-model',
    stream: body.stream === true,
    includeUsage: isObject(body.stream_options) && body.stream_options.include_usage === true,
    messageCount: body.messages.length,
    lastUserText: lastUserText(body.messages, (m) => m.content),
    toolNames,
    prefill,
  };
}

export const openaiMock: Dialect = {
  name: 'openai',
  routes: [{ path: /\/chat\/completions$/, help: ['POST …/chat/completions', 'OpenAI (any base path prefix)'] }],
  embeddings: {
    routes: [{ path: /\/embeddings$/, help: ['POST …/embeddings', 'OpenAI embeddings: deterministic vectors, float or base64'] }],
    answer: (body) => embeddingsAnswer(body),
  },
  inspect,
  streamEvents,
  responseJson,
  errorJson,
  midStreamError,
  malformedEvent,
  // OpenRouter's comment lines.
  keepaliveEvent: { comment: 'OPENROUTER PROCESSING' },
  endsWithDone: true,
  sseContentType: 'text/event-stream; charset=utf-8',
  requestIdHeader: 'x-request-id',
};

/** `POST …/embeddings`: deterministic vectors (mock/embeddings.ts), float or base64, OpenAI's 400s. */
function embeddingsAnswer(body: unknown): { json: string } | string {
  if (!isObject(body)) return 'sluice mock: embeddings body must be a JSON object';
  const { input, model, encoding_format: format, dimensions } = body;
  if (typeof model !== 'string' || model === '') return "sluice mock: 'model' is required";
  let inputs: Array<string | number[]>;
  if (typeof input === 'string') inputs = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((i) => typeof i === 'number')) inputs = [input as number[]];
  else if (Array.isArray(input) && input.length > 0 && input.every((i) => typeof i === 'string' || (Array.isArray(i) && i.length > 0))) {
    inputs = input as Array<string | number[]>;
  } else return "sluice mock: 'input' must be a string, a list of strings or token ids";
  if (inputs.some((i) => i === '')) return "sluice mock: 'input' must not contain empty strings";
  if (format !== undefined && format !== 'float' && format !== 'base64') return "sluice mock: 'encoding_format' must be float or base64";
  if (dimensions !== undefined && (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > MOCK_MAX_DIMENSIONS)) {
    return `sluice mock: 'dimensions' must be 1..${MOCK_MAX_DIMENSIONS}`;
  }
  const dims = typeof dimensions === 'number' ? dimensions : MOCK_EMBEDDING_DIMENSIONS;
  let tokens = 0;
  const data = inputs.map((item, index) => {
    tokens += mockEmbeddingTokens(item);
    const v = mockEmbedding(typeof item === 'string' ? item : item.join(' '), dims);
    return { object: 'embedding', index, embedding: format === 'base64' ? base64Of(v) : Array.from(v) };
  });
  return { json: JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }) };
}
