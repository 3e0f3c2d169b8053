// Bedrock Converse / ConverseStream as `sluice mock` speaks it (bedrock.md §3–§7): every request's
// SigV4 signature is recomputed from a known test secret (sigv4-verify.ts), ConverseStream answers in
// AWS event-stream framing with the service's shapes (padding `p` on every payload, no
// contentBlockStart for text and reasoning, metadata last), and errors carry `x-amzn-ErrorType`.
// Faults specific to this framing: `malformed` writes a message with a corrupted CRC; `error_mid`
// an exception message (`style=` picks which); `status=429` a ThrottlingException. CountTokens
// answers the input the usage would report; InvokeModel of embedding models is mock-embeddings.ts.

import { MOCK_TOOL_ARGS_JSON } from '../../mock/content.ts';
import type { Finish, Plan } from '../../mock/directives.ts';
import { type Dialect, type Inspected, type MockHttpReply, type MockSignedRequest, type RouteInfo, type SseEvent, type StreamContext, contentText, isObject, lastUserText } from '../../mock/dialect.ts';
import type { Framed } from '../../mock/framing.ts';
import { encodeEvent, encodeException } from './event-stream.ts';
import { invokeEmbeddingsAnswer } from './mock-embeddings.ts';
import { verifySigV4, type KnownKey } from './sigv4-verify.ts';

/** The credentials `sluice mock` accepts (test values, documented in the README). */
export const MOCK_AWS_ACCESS_KEY_ID = 'AKIASLUICEMOCKKEY001';
export const MOCK_AWS_SECRET_ACCESS_KEY = 'sluice-mock-secret-access-key';
/** Temporary credentials: this key id is only accepted with this session token. */
export const MOCK_AWS_TEMP_ACCESS_KEY_ID = 'ASIASLUICEMOCKKEY002';
export const MOCK_AWS_TEMP_SECRET_ACCESS_KEY = 'sluice-mock-temporary-secret';
export const MOCK_AWS_SESSION_TOKEN = 'sluice-mock-session-token';
/** A Bedrock API key (`Authorization: Bearer`). */
export const MOCK_BEDROCK_API_KEY = 'ABSKsluicemockbedrockapikey';

const KEYS: Readonly<Record<string, KnownKey>> = {
  [MOCK_AWS_ACCESS_KEY_ID]: { secretAccessKey: MOCK_AWS_SECRET_ACCESS_KEY },
  [MOCK_AWS_TEMP_ACCESS_KEY_ID]: { secretAccessKey: MOCK_AWS_TEMP_SECRET_ACCESS_KEY, sessionToken: MOCK_AWS_SESSION_TOKEN },
};

const CORAL = ':http://internal.amazon.com/coral/com.amazon.bedrock/';

/** The padding field of real payloads: an alphabet prefix of varying length, precomputed. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PADS = Array.from({ length: 16 }, (_, i) => `"p":"${ALPHABET.slice(0, 4 + ((i * 11) % 40))}"`);
const pad = (i: number): string => PADS[i % PADS.length];

const STOP_REASON: Record<Finish, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'content_filtered',
  tool_calls: 'tool_use',
};
const SIGNATURE = 'bW9jay1iZWRyb2NrLXNpZ25hdHVyZQ==';

function usageJson(input: number, output: number): string {
  return `{"inputTokens":${input},"outputTokens":${output},"totalTokens":${input + output}}`;
}

function stopReason(ctx: StreamContext): string {
  const { answer, plan } = ctx;
  if (answer.toolCalls.length > 0 && plan.faults.has('stop_with_tools')) return 'end_turn';
  return STOP_REASON[answer.finish];
}

function streamEvents(ctx: StreamContext): SseEvent[] {
  const { answer, plan } = ctx;
  const events: SseEvent[] = [];
  let n = 0;
  const add = (name: string, body: string): void => {
    events.push({ name, data: `{${body},${pad(n++)}}` });
  };
  add('messageStart', '"role":"assistant"');
  let index = 0;
  if (answer.reasoning.length > 0) {
    for (const r of answer.reasoning) add('contentBlockDelta', `"contentBlockIndex":${index},"delta":{"reasoningContent":{"text":${JSON.stringify(r)}}}`);
    add('contentBlockDelta', `"contentBlockIndex":${index},"delta":{"reasoningContent":{"signature":"${SIGNATURE}"}}`);
    add('contentBlockStop', `"contentBlockIndex":${index}`);
    index++;
  }
  if (answer.text.length > 0) {
    const head = `"contentBlockIndex":${index},"delta":{"text":`;
    for (let i = 0; i < answer.text.length; i++) {
      add('contentBlockDelta', `${head}${answer.textJson[i]}}`);
      if (i === 0 && plan.faults.has('empty_deltas')) add('contentBlockDelta', `${head}""}`);
    }
    add('contentBlockStop', `"contentBlockIndex":${index}`);
    index++;
  }
  for (const call of answer.toolCalls) {
    add('contentBlockStart', `"contentBlockIndex":${index},"start":{"toolUse":{"toolUseId":"tooluse_${call.id}","name":${call.nameJson}}}`);
    const head = `"contentBlockIndex":${index},"delta":{"toolUse":{"input":`;
    if (plan.faults.has('whole_tool')) add('contentBlockDelta', `${head}${answer.argsJsonString}}}`);
    else for (const frag of answer.argsFragmentsJson) add('contentBlockDelta', `${head}${frag}}}`);
    add('contentBlockStop', `"contentBlockIndex":${index}`);
    index++;
  }
  add('messageStop', `"stopReason":"${stopReason(ctx)}"`);
  events[events.length - 1].final = true;
  const usage = answer.usage;
  if (usage) add('metadata', `"metrics":{"latencyMs":${plan.firstMs + plan.delayMs * events.length}},"usage":${usageJson(usage.input, usage.output)}`);
  return events;
}

function responseJson(ctx: StreamContext): string {
  const { answer } = ctx;
  const blocks: string[] = [];
  if (answer.reasoning.length > 0) {
    blocks.push(`{"reasoningContent":{"reasoningText":{"text":${JSON.stringify(answer.reasoning.join(''))},"signature":"${SIGNATURE}"}}}`);
  }
  if (answer.text.length > 0) blocks.push(`{"text":${JSON.stringify(answer.text.join(''))}}`);
  for (const call of answer.toolCalls) {
    blocks.push(`{"toolUse":{"toolUseId":"tooluse_${call.id}","name":${call.nameJson},"input":${MOCK_TOOL_ARGS_JSON}}}`);
  }
  const usage = answer.usage;
  return (
    `{"output":{"message":{"role":"assistant","content":[${blocks.join(',')}]}},"stopReason":"${stopReason(ctx)}"` +
    `,"usage":${usage ? usageJson(usage.input, usage.output) : usageJson(0, 0)},"metrics":{"latencyMs":1}}`
  );
}

/** Exception type by status (the `@httpError` traits, bedrock.md §7). */
function errorType(status: number): string {
  switch (status) {
    case 400:
    case 413:
      return 'ValidationException';
    case 401:
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
    case 529:
      return 'ServiceUnavailableException';
  }
  return status >= 500 ? 'InternalServerException' : 'ValidationException';
}

function errorJson(status: number, message: string): string {
  // ThrottlingException's text is the service's own.
  const text = status === 429 ? `Too many requests, please wait before trying again. (${message})` : message;
  return JSON.stringify({ message: text });
}

function errorHeaders(status: number): Record<string, string> {
  return { 'x-amzn-errortype': errorType(status) + CORAL };
}

/** `error_mid`: the exception message `style=` names (throttling, unavailable, internal, validation; default model-stream). */
const MID_STREAM: Record<string, [string, string]> = {
  throttling: ['throttlingException', '{"message":"Too many requests, please wait before trying again."}'],
  unavailable: ['serviceUnavailableException', '{"message":"Bedrock is unable to process your request."}'],
  internal: ['internalServerException', '{"message":"The server encountered an internal error."}'],
  validation: ['validationException', '{"message":"Input is too long for requested model."}'],
  model: [
    'modelStreamErrorException',
    '{"message":"The model stream failed (sluice mock fault=error_mid)","originalStatusCode":500,"originalMessage":"overloaded"}',
  ],
};

function midStreamError(ctx: StreamContext): SseEvent {
  const [type, json] = MID_STREAM[ctx.plan.style ?? 'model'] ?? MID_STREAM.model;
  return { name: `exception:${type}`, data: json };
}

function malformedEvent(): SseEvent {
  return { name: 'contentBlockDelta', data: '{"contentBlockIndex":0,"delta":{"text":"bad crc"}}' };
}

function clamp(n: number, lo: number, hi: number): number {
  return n < lo ? lo : n > hi ? hi : n;
}

function finalIndex(events: SseEvent[]): number {
  for (let i = 0; i < events.length; i++) if (events[i].final) return i;
  return events.length - 1;
}

function frame(ev: SseEvent): Buffer {
  const name = ev.name ?? '';
  return name.startsWith('exception:') ? encodeException(name.slice('exception:'.length), ev.data ?? '{}') : encodeEvent(name, ev.data ?? '{}');
}

/**
 * Event-stream framing with its own faults. `malformed`: a message whose CRC does not match, after K
 * messages (the stream then continues, as SSE's malformed does). SSE-only faults do not apply.
 */
function frameStream(events: SseEvent[], plan: Plan, ctx: StreamContext): Framed {
  const list = [...events];
  let corruptAt = -1;
  if (plan.faults.has('malformed')) {
    corruptAt = clamp(plan.after, 0, list.length);
    list.splice(corruptAt, 0, malformedEvent());
  }
  const frames: Uint8Array[] = list.map(frame);
  if (corruptAt >= 0) {
    const bad = Buffer.from(frames[corruptAt]);
    bad[bad.length - 1] ^= 0xff;
    frames[corruptAt] = bad;
  }
  return {
    frames,
    endingAt: clamp(plan.after, 0, finalIndex(list)),
    errorFrame: frame(midStreamError(ctx)),
    keepaliveFrame: '',
  };
}

async function verify(req: MockSignedRequest): Promise<MockHttpReply | undefined> {
  const auth = req.headers.authorization;
  const refuse = (status: number, type: string, message: string): MockHttpReply => ({
    status,
    body: JSON.stringify({ message }),
    headers: { 'x-amzn-errortype': type + CORAL },
  });
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) {
    if (auth.slice(7) === MOCK_BEDROCK_API_KEY) return undefined;
    return refuse(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const verdict = await verifySigV4({ method: req.method, target: req.target, headers: req.headers, body: req.rawBody }, (id) => KEYS[id], Date.now());
  return verdict.ok ? undefined : refuse(verdict.status, verdict.type, verdict.message);
}

/**
 * CountTokens (bedrock.md §8): `{input:{converse:{messages, system?, toolConfig?}}}` or
 * `{input:{invokeModel:{body}}}` with the base64 of an InvokeModel body (Anthropic's: `messages`).
 * The conversation it holds, or a validation message.
 */
function countInput(body: unknown): Record<string, unknown> | string {
  const input = isObject(body) ? body.input : undefined;
  if (!isObject(input)) return "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must not be null";
  const kinds = Object.keys(input);
  if (kinds.length !== 1) return "1 validation error detected: Value at 'input' failed to satisfy constraint: exactly one of converse, invokeModel";
  if (isObject(input.converse)) return input.converse;
  const invoke = input.invokeModel;
  if (!isObject(invoke) || typeof invoke.body !== 'string') return "1 validation error detected: Value at 'input' failed to satisfy constraint: exactly one of converse, invokeModel";
  try {
    const parsed: unknown = JSON.parse(Buffer.from(invoke.body, 'base64').toString('utf8'));
    return isObject(parsed) ? parsed : 'The provided request is not valid JSON: invokeModel.body';
  } catch {
    return 'The provided request is not valid JSON: invokeModel.body';
  }
}

function inspect(raw: unknown, route: RouteInfo): Inspected | string {
  const body = route.count === true ? countInput(raw) : raw;
  if (typeof body === 'string') return body;
  if (!isObject(body)) return '1 validation error detected: the request body must be a JSON object';
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return "1 validation error detected: Value at 'messages' failed to satisfy constraint: Member must not be null";
  }
  const toolNames: string[] = [];
  const tools = isObject(body.toolConfig) && Array.isArray(body.toolConfig.tools) ? body.toolConfig.tools : [];
  for (const t of tools) if (isObject(t) && isObject(t.toolSpec) && typeof t.toolSpec.name === 'string') toolNames.push(t.toolSpec.name);
  // A final assistant message is continued, as Anthropic models on Bedrock do.
  const last = body.messages[body.messages.length - 1];
  const prefill = isObject(last) && last.role === 'assistant' ? contentText(last.content) : undefined;
  return {
    model: route.pathModel ?? 'mock-model',
    stream: route.count !== true && route.pathStream === true,
    includeUsage: true,
    messageCount: body.messages.length,
    lastUserText: lastUserText(body.messages, (m) => m.content),
    toolNames,
    prefill,
  };
}

/** `/model/{modelId}/converse[-stream]` and `/count-tokens`; the id percent-encoded (the AWS SDK) or raw (`:`). */
const ROUTE = /\/model\/([^/]+)\/(converse|converse-stream|count-tokens)$/;
/** InvokeModel of the embedding models this mock serves (mock-embeddings.ts), geography prefix allowed. */
const EMBED_ROUTE = /\/model\/((?:[a-z-]+(?:\.|%2E))?(?:amazon\.titan-embed-(?:text|g1-text)|cohere\.embed-)[^/]*)\/invoke$/i;

function pathModel(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export const bedrockMock: Dialect = {
  name: 'bedrock',
  routes: [
    {
      path: ROUTE,
      help: ['POST …/model/{id}/converse-stream', 'Bedrock Converse (also /converse, /count-tokens: {"inputTokens": N}), SigV4 checked, AWS event-stream'],
      verify,
      info: (m) => ({ pathModel: pathModel(m[1]!), pathStream: m[2] === 'converse-stream', count: m[2] === 'count-tokens' }),
    },
  ],
  embeddings: {
    routes: [
      {
        path: EMBED_ROUTE,
        help: ['POST …/model/{id}/invoke', 'Bedrock embeddings (amazon.titan-embed-text-*, cohere.embed-*): deterministic vectors, SigV4 checked'],
        verify,
        info: (m) => ({ pathModel: pathModel(m[1]!) }),
      },
    ],
    answer: invokeEmbeddingsAnswer,
  },
  countJson: (tokens) => `{"inputTokens":${tokens}}`,
  inspect,
  streamEvents,
  responseJson,
  errorJson,
  errorHeaders,
  midStreamError,
  malformedEvent,
  keepaliveEvent: { comment: 'keepalive' },
  sseContentType: 'application/vnd.amazon.eventstream',
  requestIdHeader: 'x-amzn-requestid',
  frameStream,
};
